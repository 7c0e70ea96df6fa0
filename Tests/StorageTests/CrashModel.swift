import Testing

@testable import Storage

/// What a store should hold: the same rules as the stores, with no disk.
struct Model: Equatable {
    var log = LogState<StoredEntry>()
    var snapshot: StoredSnapshot?
    var term: UInt64 = 1

    var contents: StoreContents {
        StoreContents(
            firstIndex: log.firstIndex, lastIndex: log.lastIndex, hardState: log.hardState,
            baseTerm: log.term(at: log.baseIndex), entries: log.entries, snapshot: snapshot)
    }
}

/// One step of a random workload.
enum Operation: CustomStringConvertible {
    case append([StoredEntry], StoredHardState?)
    case saveSnapshot(StoredSnapshot)
    case compact(UInt64)

    var description: String {
        switch self {
        case .append(let entries, let hard):
            "append \(entries.first.map { "\($0.index)...\(entries.last!.index) term \($0.term)" } ?? "nothing") hard \(hard.map { "\($0.term)/\($0.commit)" } ?? "-")"
        case .saveSnapshot(let snapshot): "snapshot \(snapshot.index)/\(snapshot.term) (\(snapshot.data.count) bytes)"
        case .compact(let index): "compact to \(index)"
        }
    }

    func apply(to model: inout Model) {
        switch self {
        case .append(let entries, let hard):
            for entry in entries { model.log.append(entry) }
            if let hard { model.log.hardState = hard }
        case .saveSnapshot(let snapshot):
            let replaced = !model.log.matches(index: snapshot.index, term: snapshot.term)
            model.log.recordSnapshot(index: snapshot.index, term: snapshot.term, replacedLog: replaced)
            model.snapshot = snapshot
        case .compact(let index):
            if index > model.log.baseIndex, let term = model.log.term(at: index) {
                model.log.compact(upTo: index, term: term)
            }
        }
    }

    func apply(to store: some LogStore) throws {
        switch self {
        case .append(let entries, let hard): try store.append(entries, hardState: hard)
        case .saveSnapshot(let snapshot): try store.saveSnapshot(snapshot)
        case .compact(let index): try store.compact(upTo: index)
        }
    }

    /// A random operation that is valid for `model`, as Raft would issue it.
    static func random(for model: inout Model, using generator: inout SeededGenerator) -> Operation {
        let log = model.log
        let floor = max(log.baseIndex, model.snapshot?.index ?? 0)
        let roll = Int.random(in: 0..<100, using: &generator)
        if roll < 12 {
            let index = UInt64.random(in: log.baseIndex...(model.snapshot?.index ?? 0), using: &generator)
            return .compact(index)
        }
        if roll < 24 {
            let data = (0..<Int.random(in: 0...3000, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            if log.lastIndex > floor && Bool.random(using: &generator) {
                let index = UInt64.random(in: (floor + 1)...log.lastIndex, using: &generator)
                return .saveSnapshot(
                    StoredSnapshot(index: index, term: log.term(at: index)!, configuration: [1, 2], data: data))
            }
            model.term += 1
            let index = log.lastIndex + UInt64.random(in: 0...5, using: &generator)
            return .saveSnapshot(
                StoredSnapshot(index: max(index, floor), term: model.term, configuration: [3], data: data))
        }
        if Int.random(in: 0..<10, using: &generator) == 0 { model.term += 1 }
        var start = log.lastIndex + 1
        if log.lastIndex > floor && Int.random(in: 0..<5, using: &generator) == 0 {
            start = UInt64.random(in: (floor + 1)...log.lastIndex, using: &generator)
            model.term += 1
        }
        let count = UInt64.random(in: 0...8, using: &generator)
        let entries =
            count == 0
            ? []
            : makeEntries(
                start...(start + count - 1), term: model.term, size: Int.random(in: 0...300, using: &generator))
        let hard: StoredHardState? =
            count == 0 || Bool.random(using: &generator)
            ? StoredHardState(term: model.term, vote: UInt64.random(in: 0...3, using: &generator), commit: start - 1)
            : nil
        return .append(entries, hard)
    }
}

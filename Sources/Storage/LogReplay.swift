/// The in-memory log: entries after a compaction point. Shared by the stores and by recovery, so replaying
/// the write-ahead log makes exactly the decisions the store made when it wrote it.
package struct LogState: Equatable {
    package init() {}

    /// The index before the first entry: the compaction point (0 for a log that was never compacted).
    package var baseIndex: UInt64 = 0
    /// The term at `baseIndex`; nil while replay has not yet learned it (older segments were removed).
    package var baseTerm: UInt64? = 0
    /// The entries `baseIndex + 1 ... lastIndex`.
    package var entries: [StoredEntry] = []
    package var hardState = StoredHardState.initial
    /// The index and term of the newest snapshot recorded in the log, if any.
    package var snapshotIndex: UInt64?
    package var snapshotTerm: UInt64?

    package var firstIndex: UInt64 { baseIndex + 1 }
    package var lastIndex: UInt64 { baseIndex + UInt64(entries.count) }

    package func term(at index: UInt64) -> UInt64? {
        if index == baseIndex { return baseTerm }
        guard index > baseIndex && index <= lastIndex else { return nil }
        return entries[Int(index - baseIndex - 1)].term
    }

    /// Whether the log holds `index` with `term` (the compaction point counts).
    package func matches(index: UInt64, term: UInt64) -> Bool { self.term(at: index) == term }

    /// Appends `entry`, first dropping any entries at or after its index.
    package mutating func append(_ entry: StoredEntry) {
        precondition(
            entry.index > baseIndex && entry.index <= lastIndex + 1,
            "entry \(entry.index) does not attach to the log \(baseIndex)+\(entries.count)")
        entries.removeSubrange(Int(entry.index - baseIndex - 1)...)
        entries.append(entry)
    }

    /// Records a saved snapshot; when the log does not hold it, the log is replaced by it.
    package mutating func recordSnapshot(index: UInt64, term: UInt64, replacedLog: Bool) {
        snapshotIndex = index
        snapshotTerm = term
        if replacedLog {
            baseIndex = index
            baseTerm = term
            entries.removeAll()
        }
    }

    /// Drops the entries up to and including `index`, whose term is `term`.
    package mutating func compact(upTo index: UInt64, term: UInt64) {
        guard index > baseIndex else { return }
        entries.removeSubrange(..<min(entries.count, Int(index - baseIndex)))
        baseIndex = index
        baseTerm = term
    }
}

/// Rebuilds a `LogState` from the records of complete batches, checking that they make sense.
///
/// Compaction removes the oldest segments, so the entries a later segment's records build on may be gone.
/// That is fine for entries the log is later compacted past: `horizon` is the highest compaction point
/// recorded anywhere in the log, and an entry at or below `horizon + 1` that does not attach starts the
/// known part of the log again, with its start unknown until a compaction record fixes it. Any other entry
/// that does not attach is corruption.
struct LogReplay {
    var state = LogState()
    let horizon: UInt64

    init(horizon: UInt64) {
        self.horizon = horizon
    }

    /// The highest compaction point (or replacing snapshot) among `records`.
    static func horizon(of records: [WALRecord]) -> UInt64 {
        records.reduce(0) { highest, record in
            switch record {
            case .compaction(let index, _): max(highest, index)
            case .snapshot(let index, _, true): max(highest, index)
            default: highest
            }
        }
    }

    /// Applies one record; `path` and `offset` name it in errors.
    mutating func apply(_ record: WALRecord, path: String, offset: UInt64) throws {
        switch record {
        case .entry(let entry):
            if entry.index <= state.baseIndex || entry.index > state.lastIndex + 1 {
                guard entry.index >= 1 && entry.index <= horizon + 1 else {
                    throw StorageError.corrupt(
                        path, at: offset,
                        "entry \(entry.index) does not attach to the log \(state.firstIndex)...\(state.lastIndex)")
                }
                state.entries.removeAll()
                state.baseIndex = entry.index - 1
                state.baseTerm = entry.index == 1 ? 0 : nil
            }
            state.append(entry)
        case .hardState(let hardState):
            state.hardState = hardState
        case .snapshot(let index, let term, let replacedLog):
            state.recordSnapshot(index: index, term: term, replacedLog: replacedLog)
        case .compaction(let index, let term):
            if state.baseTerm == nil && index == state.baseIndex { state.baseTerm = term }
            state.compact(upTo: index, term: term)
        }
    }
}

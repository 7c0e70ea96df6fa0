import Foundation
import Testing

@testable import Storage

/// A fresh directory under the system's temporary directory, removed when the test is done with it.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/padlock-storage-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw StorageError(code: .io, operation: "mkdtemp") }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    /// The names of the segment files, oldest first.
    func segments() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasPrefix("wal-") }.sorted()
    }

    func read(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: file(name)))) }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: file(name)))
    }

    /// Flips bit `bit` of byte `offset` in `name`.
    func flipBit(in name: String, at offset: Int, bit: Int = 0) throws {
        var bytes = try read(name)
        bytes[offset] ^= UInt8(1 << bit)
        try write(name, bytes)
    }
}

/// Entries `range` with the given term and a payload that depends on index and term.
func makeEntries(_ range: ClosedRange<UInt64>, term: UInt64, size: Int = 24) -> [StoredEntry] {
    range.map { index in
        StoredEntry(
            index: index, term: term,
            payload: (0..<size).map { UInt8(truncatingIfNeeded: index &* 7 &+ term &+ UInt64($0)) })
    }
}

/// Everything a store holds that a user of it can see.
struct StoreContents: Equatable, CustomStringConvertible {
    var firstIndex: UInt64
    var lastIndex: UInt64
    var hardState: StoredHardState
    var baseTerm: UInt64?
    var entries: [StoredEntry]
    var snapshot: StoredSnapshot?

    init(
        firstIndex: UInt64, lastIndex: UInt64, hardState: StoredHardState, baseTerm: UInt64?,
        entries: [StoredEntry], snapshot: StoredSnapshot?
    ) {
        self.firstIndex = firstIndex
        self.lastIndex = lastIndex
        self.hardState = hardState
        self.baseTerm = baseTerm
        self.entries = entries
        self.snapshot = snapshot
    }

    init(_ store: some LogStore) throws {
        firstIndex = store.firstIndex
        lastIndex = store.lastIndex
        hardState = store.hardState
        baseTerm = try store.term(at: store.firstIndex - 1)
        entries = try store.entries(from: store.firstIndex, to: store.lastIndex + 1)
        snapshot = try store.loadSnapshot()
    }

    var description: String {
        "log \(firstIndex)...\(lastIndex) after \(baseTerm.map(String.init) ?? "?") (terms \(entries.map(\.term))), \(hardState), snapshot \(snapshot.map { "\($0.index)/\($0.term)" } ?? "none")"
    }
}

extension TemporaryDirectory {
    func remove(_ name: String) throws { try FileManager.default.removeItem(atPath: file(name)) }
}

import Storage

/// A `LogStore` in memory, for tests: the same rules as `FileLogStore` (conflicting suffixes replaced,
/// snapshots that replace a log they do not match, compaction), with no files and nothing to recover.
///
/// Like `FileLogStore` it is used from one thread at a time and has no locks; `@unchecked Sendable` lets a
/// test hand it to the thread that will use it.
package final class MemoryLogStore: LogStore, @unchecked Sendable {
    var log = LogState<StoredEntry>()
    var snapshot: StoredSnapshot?

    /// What the store held when created: an empty log.
    package let recovered = RecoveredState(
        hardState: .initial, snapshotIndex: nil, snapshotTerm: nil, firstIndex: 1, lastIndex: 0, discardedTail: nil)

    /// Creates an empty store.
    package init() {}

    /// The first index held in the log.
    package var firstIndex: UInt64 { log.firstIndex }
    /// The last index held in the log.
    package var lastIndex: UInt64 { log.lastIndex }
    /// The last hard state stored.
    package var hardState: StoredHardState { log.hardState }

    /// Appends `entries` (replacing a conflicting suffix) and records `hardState`.
    package func append(_ entries: [StoredEntry], hardState: StoredHardState?) throws {
        for entry in entries { log.append(entry) }
        if let hardState { log.hardState = hardState }
    }

    /// The entries with indexes in `from..<to`.
    package func entries(from: UInt64, to: UInt64) throws -> [StoredEntry] {
        guard from >= log.firstIndex else { throw StorageError(code: .compacted, operation: "read entries") }
        guard to <= log.lastIndex + 1, from <= to else {
            throw StorageError(code: .unavailable, operation: "read entries")
        }
        return Array(log.entries[Int(from - log.firstIndex)..<Int(to - log.firstIndex)])
    }

    /// The term at `index`.
    package func term(at index: UInt64) throws -> UInt64? { log.term(at: index) }

    /// Stores `snapshot`, replacing the log when the log does not hold its last entry.
    package func saveSnapshot(_ snapshot: StoredSnapshot) throws {
        precondition(
            snapshot.index >= (self.snapshot?.index ?? 0), "snapshot at \(snapshot.index) is older than the stored one")
        let replaced = !log.matches(index: snapshot.index, term: snapshot.term)
        log.recordSnapshot(index: snapshot.index, term: snapshot.term, replacedLog: replaced)
        self.snapshot = snapshot
    }

    /// The stored snapshot.
    package func loadSnapshot() throws -> StoredSnapshot? { snapshot }

    /// Drops entries up to `index`, which must not be past the snapshot.
    package func compact(upTo index: UInt64) throws {
        precondition(index <= (snapshot?.index ?? 0), "compaction to \(index) is past the snapshot")
        guard index > log.baseIndex, let term = log.term(at: index) else { return }
        log.compact(upTo: index, term: term)
    }
}

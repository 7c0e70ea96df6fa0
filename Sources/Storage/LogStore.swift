/// Durable storage for one node's Raft log, hard state and snapshot.
///
/// Every call is synchronous: it returns once its effect is durable, or throws. A store is used from one
/// thread at a time (in production, the event loop's disk thread); it is not safe to call concurrently.
///
/// Indexes: the log holds the entries `firstIndex...lastIndex`. Entries before `firstIndex` were compacted
/// into a snapshot; `term(at: firstIndex - 1)` still answers when that index is the compaction point.
///
/// Errors: after the first failed write or sync the store is *poisoned*: every later call throws that same
/// first error. Nothing is retried, because a failed `fsync` may have dropped dirty pages ("fsyncgate").
package protocol LogStore: AnyObject {
    /// What the store found when it was opened.
    var recovered: RecoveredState { get }

    /// The first index held in the log; `lastIndex + 1` when the log is empty.
    var firstIndex: UInt64 { get }

    /// The last index held in the log, or the compaction point when the log is empty.
    var lastIndex: UInt64 { get }

    /// The last hard state made durable.
    var hardState: StoredHardState { get }

    /// Appends `entries` and records `hardState` (when given) atomically, with one sync for the whole batch.
    ///
    /// `entries` must have consecutive indexes starting at most at `lastIndex + 1` and after the compaction
    /// point. When the first one is at or before `lastIndex`, the conflicting suffix is replaced, as Raft
    /// requires of a follower. After a crash either the whole batch is recovered or none of it.
    func append(_ entries: [StoredEntry], hardState: StoredHardState?) throws

    /// The entries with indexes in `from..<to`. Throws `StorageError.Code.compacted` when `from` is before
    /// `firstIndex` and `.unavailable` when `to` is past `lastIndex + 1`.
    func entries(from: UInt64, to: UInt64) throws -> [StoredEntry]

    /// The term of the entry at `index`, or nil when the index is neither in the log nor its compaction point.
    func term(at index: UInt64) throws -> UInt64?

    /// Makes `snapshot` durable and the one `loadSnapshot()` returns.
    ///
    /// When the log holds `snapshot.index` with the same term the log is kept (compact it separately);
    /// otherwise the snapshot came from a leader and replaces the whole log, which then continues at
    /// `snapshot.index + 1`.
    func saveSnapshot(_ snapshot: StoredSnapshot) throws

    /// The newest durable snapshot, read back and verified, or nil when there is none.
    func loadSnapshot() throws -> StoredSnapshot?

    /// Drops the entries up to and including `index`, which must not be past the snapshot's index, and
    /// removes the segment files that held only such entries.
    func compact(upTo index: UInt64) throws
}

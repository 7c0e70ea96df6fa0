/// One Raft log entry as the storage layer keeps it.
///
/// Storage does not depend on `Raft`; the node shell maps Raft's entry type to this one and back. The
/// payload is opaque to storage: it is written and read back byte for byte.
package struct StoredEntry: Hashable, Sendable {
    /// The entry's log index (the first entry of a log is 1).
    package var index: UInt64
    /// The term of the leader that created the entry.
    package var term: UInt64
    /// The encoded command the entry carries.
    package var payload: [UInt8]

    /// Creates an entry.
    package init(index: UInt64, term: UInt64, payload: [UInt8]) {
        self.index = index
        self.term = term
        self.payload = payload
    }
}

/// The part of Raft's state that must survive a restart besides the log: the current term, the vote cast in
/// it (0 for none) and the highest index known to be committed.
package struct StoredHardState: Hashable, Sendable {
    /// The node's current term.
    package var term: UInt64
    /// The node voted for in `term`, or 0 when it has not voted.
    package var vote: UInt64
    /// The highest log index known to be committed.
    package var commit: UInt64

    /// The hard state of a node that has never run: term 0, no vote, nothing committed.
    package static let initial = StoredHardState(term: 0, vote: 0, commit: 0)

    /// Creates a hard state.
    package init(term: UInt64, vote: UInt64, commit: UInt64) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }
}

/// A state-machine snapshot: the state after applying every entry up to and including `index`.
package struct StoredSnapshot: Hashable, Sendable {
    /// The index of the last entry the snapshot covers.
    package var index: UInt64
    /// The term of that entry.
    package var term: UInt64
    /// The encoded cluster configuration as of `index`.
    package var configuration: [UInt8]
    /// The encoded state machine.
    package var data: [UInt8]

    /// Creates a snapshot.
    package init(index: UInt64, term: UInt64, configuration: [UInt8], data: [UInt8]) {
        self.index = index
        self.term = term
        self.configuration = configuration
        self.data = data
    }
}

/// What a store found when it was opened: enough for the node shell to restart Raft.
package struct RecoveredState: Hashable, Sendable {
    /// The last hard state made durable, or `StoredHardState.initial` for a new store.
    package var hardState: StoredHardState
    /// The index and term of the newest durable snapshot, if any (load its contents with `loadSnapshot()`).
    package var snapshotIndex: UInt64?
    /// The term of the snapshot named by `snapshotIndex`.
    package var snapshotTerm: UInt64?
    /// The first index held in the log.
    package var firstIndex: UInt64
    /// The last index held in the log (`firstIndex - 1` when the log is empty).
    package var lastIndex: UInt64
    /// A torn tail that recovery cut off, if it found one. It was never reported durable.
    package var discardedTail: DiscardedTail?

    /// Creates a recovered state.
    package init(
        hardState: StoredHardState, snapshotIndex: UInt64?, snapshotTerm: UInt64?,
        firstIndex: UInt64, lastIndex: UInt64, discardedTail: DiscardedTail?
    ) {
        self.hardState = hardState
        self.snapshotIndex = snapshotIndex
        self.snapshotTerm = snapshotTerm
        self.firstIndex = firstIndex
        self.lastIndex = lastIndex
        self.discardedTail = discardedTail
    }
}

/// A torn tail that recovery truncated and zeroed: where it started and how many bytes it spanned.
package struct DiscardedTail: Hashable, Sendable, CustomStringConvertible {
    /// The segment file's path.
    package var path: String
    /// The byte offset in that file where the incomplete batch began.
    package var offset: UInt64
    /// How many bytes were zeroed.
    package var byteCount: UInt64

    /// A sentence for the node's log.
    package var description: String {
        "discarded an incomplete batch of \(byteCount) bytes at offset \(offset) of \(path)"
    }
}

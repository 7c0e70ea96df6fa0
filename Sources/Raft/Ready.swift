import PadlockTypes

/// Everything a node needs its caller to do, handed out in one batch by `RaftNode.ready()`.
///
/// Handle a `Ready` in this order, then call `RaftNode.advance(_:)` with it:
///
/// 1. Send `messages` at any time, even before anything is written: they are the leader's appends,
///    heartbeats, snapshots and `timeoutNow`, which promise nothing about this node's disk. This lets the
///    leader write its log in parallel with replicating it.
/// 2. When `mustSync` is set, persist, as one durable unit: `snapshot` (it replaces the whole log), then
///    `entries` (an entry replaces any stored entry at the same or a later index), then `hardState`. When
///    it is not, there is nothing that must be durable: at most the commit index changed, which the caller
///    may write later along with other state, or never.
/// 3. Only after step 2 is durable, send `messagesAfterPersist`: votes, vote requests (they carry the
///    candidate's self-vote) and append responses all promise state that must survive a crash.
/// 4. Apply `snapshot` to the state machine (if any), then `committedEntries` in order. Only committed,
///    locally durable entries ever appear there.
/// 5. Serve each `ReadState` once the state machine has applied its `index`.
///
/// The leader counts its own log toward a commit quorum only for entries acknowledged through `advance`,
/// so a majority of durable copies always stands behind a commit.
package struct Ready: Sendable {
    /// The hard state to persist, present only when it changed.
    package var hardState: HardState?
    /// Whether `entries`, `snapshot` and `hardState` must be durable (written and synced) before
    /// `messagesAfterPersist` leave and before `advance`: set when there are entries or a snapshot, or the
    /// term or vote changed. A change of the commit index alone does not need it: every entry it covers is
    /// already durable, and after a restart Raft learns the commit index again from the leader.
    package var mustSync: Bool
    /// Entries to append to durable storage.
    package var entries: [Entry]
    /// A snapshot received from the leader, to persist and install.
    package var snapshot: Snapshot?
    /// Committed entries to apply, in order.
    package var committedEntries: [Entry]
    /// Confirmed read requests.
    package var readStates: [ReadState]
    /// Messages that may be sent at once.
    package var messages: [Message]
    /// Messages that may be sent only after this `Ready`'s entries and hard state are durable.
    package var messagesAfterPersist: [Message]

    /// Whether there is nothing to do.
    package var isEmpty: Bool {
        hardState == nil && entries.isEmpty && snapshot == nil && committedEntries.isEmpty && readStates.isEmpty
            && messages.isEmpty && messagesAfterPersist.isEmpty
    }
}

/// A read the leader has confirmed: serve it after applying through `index`.
package struct ReadState: Hashable, Sendable {
    /// The commit index at the time of the request.
    package var index: LogIndex
    /// The caller's context, echoed back to match the request.
    package var context: [UInt8]
}

/// The answer to a proposal.
package enum ProposeResult: Hashable, Sendable {
    /// Appended to the leader's log; it commits later, or is lost if leadership changes first.
    case accepted(index: LogIndex, term: Term)
    /// This node is not the leader; `hint` is the leader it knows of.
    case notLeader(hint: NodeID?)
    /// The leader is handing over leadership and takes no new proposals.
    case transferInProgress
    /// Too many bytes are proposed but not yet committed; try again later.
    case overloaded
    /// A membership change that cannot be made now.
    case rejected(ConfigChangeRejection)
}

/// The answer to a read request.
package enum ReadIndexResult: Hashable, Sendable {
    /// The read waits for confirmation and appears in a later `Ready.readStates`.
    case pending
    /// This node is not the leader; `hint` is the leader it knows of.
    case notLeader(hint: NodeID?)
}

/// The answer to a leadership transfer request.
package enum TransferResult: Hashable, Sendable {
    /// The transfer is under way; it ends with a new leader or is abandoned after an election timeout.
    case started
    /// This node is the target and already leads.
    case alreadyLeader
    /// This node is not the leader; `hint` is the leader it knows of.
    case notLeader(hint: NodeID?)
    /// The target is not a voter in the latest configuration.
    case notVoter(NodeID)
}

/// The outcome of sending a snapshot, reported by the caller.
package enum SnapshotStatus: Hashable, Sendable {
    /// The follower received the whole snapshot.
    case finished
    /// Sending failed or was aborted; the leader will probe the follower again.
    case failed
}

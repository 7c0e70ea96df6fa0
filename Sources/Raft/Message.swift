/// A message between two nodes. Its byte encoding lives in the `PeerWire` module.
public struct Message: Hashable, Sendable {
    /// What a message asks or answers.
    public enum Kind: Hashable, Sendable {
        /// Asks for a pre-vote for `term` (one above the sender's) without disturbing anyone's term.
        case preVote(lastIndex: LogIndex, lastTerm: Term)
        /// Answers a pre-vote.
        case preVoteResponse(granted: Bool)
        /// Asks for a vote. `transfer` marks a campaign started by a leadership transfer, which
        /// voters honour even while they still hear from a leader.
        case vote(lastIndex: LogIndex, lastTerm: Term, transfer: Bool)
        /// Answers a vote.
        case voteResponse(granted: Bool)
        /// Replicates `entries` after the entry at `prevIndex` with term `prevTerm`.
        case append(prevIndex: LogIndex, prevTerm: Term, entries: [Entry], commit: LogIndex)
        /// Answers an append. On success `index` is the last entry known to match; on rejection
        /// `index` is the rejected `prevIndex` and `hintIndex`/`hintTerm` point the leader at the
        /// last entry that may match, which lets it skip a whole term per round trip.
        case appendResponse(index: LogIndex, rejected: Bool, hintIndex: LogIndex, hintTerm: Term)
        /// Keeps followers quiet and carries the commit index; `round` numbers leadership checks.
        case heartbeat(commit: LogIndex, round: UInt64)
        /// Answers a heartbeat, echoing its round, with the sender's last log index: a leader that learns
        /// a follower's log ends before entries it acknowledged detects a follower that lost its data.
        case heartbeatResponse(round: UInt64, lastIndex: LogIndex)
        /// Carries a snapshot to a follower that is behind the leader's compacted log.
        case snapshot(Snapshot)
        /// Tells the transfer target to start an election at once.
        case timeoutNow
    }

    /// The sender.
    public var from: NodeID
    /// The recipient.
    public var to: NodeID
    /// The sender's term (for a pre-vote request: the term it would campaign in).
    public var term: Term
    /// The body.
    public var kind: Kind

    /// Creates a message.
    public init(from: NodeID, to: NodeID, term: Term, kind: Kind) {
        self.from = from
        self.to = to
        self.term = term
        self.kind = kind
    }

    /// Whether the message must wait until the `Ready` it came in is durable.
    ///
    /// Only a leader's replication traffic may leave early: it promises nothing about the leader's
    /// own disk. Votes, responses and vote requests (which carry a self-vote) all promise state that
    /// must survive a crash.
    var requiresPersistence: Bool {
        switch kind {
        case .append, .heartbeat, .snapshot, .timeoutNow: return false
        default: return true
        }
    }
}

import PadlockTypes

/// A message between two nodes. Its byte encoding lives in the `PeerWire` module.
package struct Message: Hashable, Sendable {
    /// What a message asks or answers.
    package enum Kind: Hashable, Sendable {
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
    package var from: NodeID
    /// The recipient.
    package var to: NodeID
    /// The sender's term (for a pre-vote request: the term it would campaign in).
    package var term: Term
    /// The body.
    package var kind: Kind

    /// Creates a message.
    package init(from: NodeID, to: NodeID, term: Term, kind: Kind) {
        self.from = from
        self.to = to
        self.term = term
        self.kind = kind
    }

    /// What makes the message impossible, or nil: every term and index it carries (entries and snapshot
    /// metadata included) must be below `Term.limit` and `LogIndex.limit`. `RaftNode.step` drops an impossible
    /// message before looking at it, so no arithmetic on a received value can overflow.
    package var boundsProblem: String? {
        guard term.isWithinLimit else { return "term \(term) is not below \(Term.limit)" }
        switch kind {
        case .preVote(let index, let lastTerm), .vote(let index, let lastTerm, _):
            return Self.problem(index: index, term: lastTerm, "last entry")
        case .append(let prevIndex, let prevTerm, let entries, let commit):
            if let problem = Self.problem(index: prevIndex, term: prevTerm, "previous entry") { return problem }
            if let problem = Self.problem(index: commit, term: .zero, "commit") { return problem }
            for entry in entries {
                if let problem = Self.problem(index: entry.index, term: entry.term, "entry") { return problem }
            }
            return nil
        case .appendResponse(let index, _, let hintIndex, let hintTerm):
            return Self.problem(index: index, term: .zero, "answered")
                ?? Self.problem(index: hintIndex, term: hintTerm, "hint")
        case .heartbeat(let commit, _):
            return Self.problem(index: commit, term: .zero, "commit")
        case .snapshot(let snapshot):
            return Self.problem(index: snapshot.metadata.index, term: snapshot.metadata.term, "snapshot")
        case .heartbeatResponse(_, let lastIndex):
            return Self.problem(index: lastIndex, term: .zero, "last")
        case .preVoteResponse, .voteResponse, .timeoutNow:
            return nil
        }
    }

    private static func problem(index: LogIndex, term: Term, _ what: String) -> String? {
        if !index.isWithinLimit { return "\(what) index \(index) is not below \(LogIndex.limit)" }
        if !term.isWithinLimit { return "\(what) term \(term) is not below \(Term.limit)" }
        return nil
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

/// A node's Raft role, as reported by `status`.
public enum NodeRole: UInt8, Hashable, Sendable, CaseIterable {
    /// Follows a leader, or waits for one.
    case follower = 0
    /// Campaigning for votes.
    case candidate = 1
    /// Serves requests and replicates the log.
    case leader = 2
    /// Receives the log without voting.
    case learner = 3
}

/// A node's view of itself and the cluster, as `padlock status` shows it.
public struct NodeStatus: Hashable, Sendable {
    /// The answering node.
    public var node: NodeID
    /// Its Raft role.
    public var role: NodeRole
    /// Its current term.
    public var term: Term
    /// The leader this node knows of, if any.
    public var leader: NodeID?
    /// The highest log index it knows to be committed.
    public var commitIndex: LogIndex
    /// The highest log index its lock table has applied.
    public var appliedIndex: LogIndex
    /// The highest index in its log, committed or not.
    public var lastIndex: LogIndex
    /// The log index its latest snapshot covers; the log before it has been compacted away.
    public var snapshotIndex: LogIndex
    /// Open sessions in its lock table.
    public var sessionCount: UInt64
    /// Held locks in its lock table.
    public var lockCount: UInt64
    /// Queued acquires in its lock table.
    public var waiterCount: UInt64
    /// The voting members of the configuration this node follows, at most 16 (the wire's bound).
    public var members: [NodeID]
    /// The non-voting members (learners), at most 16 (the wire's bound).
    public var learners: [NodeID]
    /// How far each other member's log has been replicated; only the leader knows this, so it is empty on
    /// every other node. At most 16.
    public var peers: [PeerProgress]
    /// On the leader: whether a quorum of voters (itself included) is reachable, accepted (not refused for
    /// its identity) and not stuck, so that writes can commit. Other nodes report true.
    public var canCommit: Bool
    /// Sentences about what keeps the cluster from committing or threatens it (a refused or stuck member,
    /// data loss found on a follower), at most 16 of at most 1024 bytes each. Empty when all is well.
    public var problems: [String]

    /// Creates a status report; `peers`, `canCommit` and `problems` are for the leader to fill.
    public init(
        node: NodeID, role: NodeRole, term: Term, leader: NodeID?, commitIndex: LogIndex,
        appliedIndex: LogIndex, lastIndex: LogIndex, snapshotIndex: LogIndex, sessionCount: UInt64,
        lockCount: UInt64, waiterCount: UInt64, members: [NodeID], learners: [NodeID],
        peers: [PeerProgress] = [], canCommit: Bool = true, problems: [String] = []
    ) {
        self.node = node
        self.role = role
        self.term = term
        self.leader = leader
        self.commitIndex = commitIndex
        self.appliedIndex = appliedIndex
        self.lastIndex = lastIndex
        self.snapshotIndex = snapshotIndex
        self.sessionCount = sessionCount
        self.lockCount = lockCount
        self.waiterCount = waiterCount
        self.members = members
        self.learners = learners
        self.peers = peers
        self.canCommit = canCommit
        self.problems = problems
    }
}

/// The leader's view of one other member's replication, as reported by `status`.
public struct PeerProgress: Hashable, Sendable {
    /// The member.
    public var node: NodeID
    /// The highest log index known to be replicated on it.
    public var matchIndex: LogIndex
    /// Whether it is a learner (receives the log without voting).
    public var isLearner: Bool
    /// Whether the leader has heard from it recently enough to count it as reachable.
    public var isReachable: Bool

    /// Creates a progress report for one member.
    public init(node: NodeID, matchIndex: LogIndex, isLearner: Bool, isReachable: Bool) {
        self.node = node
        self.matchIndex = matchIndex
        self.isLearner = isLearner
        self.isReachable = isReachable
    }
}

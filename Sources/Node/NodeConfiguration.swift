import LockTable
import PadlockTypes
import Raft

/// How one node behaves. Every node of a cluster must use the same `lockTable` configuration and the same
/// lease settings, because they shape the answers every replica computes.
package struct NodeConfiguration: Sendable {
    /// This node's identity.
    package var id: NodeID
    /// Where the members of a brand-new cluster are reached: written into the bootstrap snapshot, after which
    /// the replicated address book (changed by `addMember`) is the authority.
    package var initialMembers: [NodeID: MemberAddresses]
    /// The voters of a brand-new cluster; empty for a node that will join an existing cluster as a learner.
    package var bootstrapVoters: [NodeID]
    /// Milliseconds between two calls of `Node.tick()`; Raft's election and heartbeat ticks count these.
    package var tickMilliseconds: UInt64
    /// Raft's tuning; its `id` is replaced by `id` above.
    package var raft: Config
    /// The lock table's bounds and lock-delays.
    package var lockTable: LockTableConfiguration
    /// Shortest and longest session TTL the cluster grants; a request inside `InputLimits` but outside these
    /// bounds is granted the nearest bound (the grant says which TTL was granted).
    package var sessionTTLMillisecondsMin: UInt64
    package var sessionTTLMillisecondsMax: UInt64
    /// How often the leader looks for sessions whose recorded lease time should be brought down (see
    /// docs/leases.md), in milliseconds.
    package var checkpointIntervalMilliseconds: UInt64
    /// Most sessions one lease checkpoint entry carries; larger batches are split.
    package var checkpointBatchMax: Int
    /// Take a snapshot and compact the log once this many entries were applied since the last one.
    package var snapshotEntryThreshold: UInt64
    /// Most client requests waiting for a commit, a read confirmation or a lease renewal at once; beyond it
    /// requests are answered `overloaded`.
    package var pendingRequestsMax: Int
    /// The per-namespace quotas the leader makes the replicated ones (by a committed `setQuotas`) whenever
    /// they differ; nil leaves the applied quotas alone. Read only by the leader, never by the state machine.
    package var quotas: NamespaceQuotas?
    /// How far a leader's entry stamp may run ahead of its last trusted stamp plus the monotonic time elapsed
    /// since (docs/leases.md, "Clocks"); also how close two wall clocks must be to corroborate each other.
    package var clockJumpAllowanceMilliseconds: UInt64 = 1_000
    /// A peer's wall clock further from this node's than this is logged as a warning.
    package var clockSkewWarningMilliseconds: UInt64 = 500
    /// The random number this node's data directory was created with (`docs/operations.md`, "Node
    /// identity"); peers check it against the cluster's record. 0 (tests only) takes no part in the check.
    package var incarnation: UInt64 = 0
    /// The cluster's id, as the configuration file names it: recorded in backups (0 when unknown, in tests).
    package var clusterID: UInt64 = 0
    /// Most keys and prefixes one client connection may watch (`limits.watches_per_connection`,
    /// docs/events.md); a subscribe past it is refused `overloaded`.
    package var watchesPerConnectionMax = Defaults.watchesPerConnectionMax
    /// How many lock losses every node keeps for resumed subscriptions; an older resume point is answered
    /// with a resync (`docs/events.md`).
    package var lossRingCapacity = Defaults.lossRingCapacity
    /// Deliberate bugs for the simulator's self-test. Never set outside tests.
    package var injectedBugs = NodeInjectedBugs()

    /// A configuration with production defaults for a node with `id` in a cluster of `bootstrapVoters`.
    package init(
        id: NodeID, initialMembers: [NodeID: MemberAddresses] = [:], bootstrapVoters: [NodeID],
        tickMilliseconds: UInt64 = Defaults.tickMilliseconds, raft: Config? = nil,
        lockTable: LockTableConfiguration = .init(),
        sessionTTLMillisecondsMin: UInt64 = InputLimits.sessionTTLMillisecondsMin,
        sessionTTLMillisecondsMax: UInt64 = InputLimits.sessionTTLMillisecondsMax,
        checkpointIntervalMilliseconds: UInt64 = 500, checkpointBatchMax: Int = 2_000,
        snapshotEntryThreshold: UInt64 = Defaults.snapshotEntryThreshold,
        pendingRequestsMax: Int = Defaults.pendingRequestsMax
    ) {
        self.id = id
        self.initialMembers = initialMembers
        self.bootstrapVoters = bootstrapVoters
        self.tickMilliseconds = tickMilliseconds
        var raftConfig = raft ?? Config(id: id)
        raftConfig.id = id
        self.raft = raftConfig
        self.lockTable = lockTable
        self.sessionTTLMillisecondsMin = sessionTTLMillisecondsMin
        self.sessionTTLMillisecondsMax = sessionTTLMillisecondsMax
        self.checkpointIntervalMilliseconds = checkpointIntervalMilliseconds
        self.checkpointBatchMax = checkpointBatchMax
        self.snapshotEntryThreshold = snapshotEntryThreshold
        self.pendingRequestsMax = pendingRequestsMax
    }

    /// Why this configuration cannot run, or nil when it can.
    package var problem: String? {
        if tickMilliseconds == 0 { return "tickMilliseconds must be positive" }
        if sessionTTLMillisecondsMin < InputLimits.sessionTTLMillisecondsMin
            || sessionTTLMillisecondsMax > InputLimits.sessionTTLMillisecondsMax
            || sessionTTLMillisecondsMin > sessionTTLMillisecondsMax
        {
            return "session TTL bounds must lie within \(InputLimits.sessionTTLMillisecondsMin)"
                + "...\(InputLimits.sessionTTLMillisecondsMax) ms with min ≤ max"
        }
        if checkpointIntervalMilliseconds == 0 || checkpointBatchMax < 1 {
            return "checkpoint settings must be positive"
        }
        if snapshotEntryThreshold < 1 { return "snapshotEntryThreshold must be positive" }
        if pendingRequestsMax < 1 { return "pendingRequestsMax must be positive" }
        if !bootstrapVoters.isEmpty && !bootstrapVoters.contains(id) {
            return
                "node \(id) is not among the bootstrap voters \(bootstrapVoters.sorted()); a node that joins later starts with none"
        }
        return nil
    }

    /// The TTL the cluster grants for a requested one already within `InputLimits`.
    func grantedTTL(requested: UInt64) -> UInt64 {
        min(max(requested, sessionTTLMillisecondsMin), sessionTTLMillisecondsMax)
    }
}

/// Deliberate bugs in the node shell, for the simulator's self-test (package access only). Bugs in the
/// cores are injected through `Config.injectedBugs` and `LockTableConfiguration.injectedBugs`.
package struct NodeInjectedBugs: Hashable, Sendable {
    /// Send votes and append answers before the Ready that they promise is durable.
    package var acknowledgesBeforeFsync = false
    /// Count a session's lease as a third of its TTL, in the leader's expiry decisions and its checkpoints.
    package var expiresSessionsEarly = false
    /// Stamp entries with the wall clock however far it jumped, as before issue 18.
    package var trustsWallClock = false
    /// Accept messages from any member whatever incarnation it announces or lost (no identity check).
    package var identityCheckDisabled = false
    /// Tell a force-unlocked holder its lock is lost when the leader proposes the force-unlock, before the entry
    /// is committed (events must come from applied entries only, `docs/events.md`).
    package var notifiesLossesOnProposal = false

    package init() {}
}

/// Where one member is reached.
package struct MemberAddresses: Hashable, Sendable {
    /// The peer address other nodes connect to, such as `10.0.0.7:7501`.
    package var peer: String
    /// The client address clients are redirected to, such as `10.0.0.7:7401`.
    package var client: String

    /// Creates a member's addresses.
    package init(peer: String, client: String) {
        self.peer = peer
        self.client = client
    }
}

/// The documented default of every tunable that more than one layer carries, defined once.
///
/// padlockd's configuration (`PadlockConfig`), the server's settings, the node's configuration and the cores'
/// own configurations (Raft's `Config`, `LockTableConfiguration`) all take their defaults from here, so a
/// default changes in one place and `docs/configuration.md` has one number to agree with.
package enum Defaults {
    /// Milliseconds between two ticks of a node (`[raft] tick`).
    package static let tickMilliseconds: UInt64 = 10
    /// Ticks without a leader before a follower campaigns (`[raft] election-ticks`).
    package static let electionTicks = 10
    /// Ticks between a leader's heartbeats (`[raft] heartbeat-ticks`).
    package static let heartbeatTicks = 1
    /// Applied entries after which a node snapshots and compacts its log (`[raft] snapshot-entries`).
    package static let snapshotEntryThreshold: UInt64 = 50_000

    /// Most client requests waiting for a commit or a read confirmation (`[limits] pending-requests`).
    package static let pendingRequestsMax = 100_000
    /// Most client connections open at once (`[limits] client-connections`).
    package static let clientConnectionsMax = 10_000

    /// Most open sessions (`[limits] sessions`).
    package static let sessionCountMax = 200_000
    /// Most locks held plus waiters queued by one session (`[limits] locks-per-session`).
    package static let locksPerSessionMax = 1_000
    /// Most locks held plus waiters queued in the whole table (`[limits] held-locks`).
    package static let heldLockCountMax = 4_000_000
    /// Most waiters queued on one key (`[limits] waiters-per-key`).
    package static let waitersPerKeyMax = 128
    /// Most waiters queued in the whole table (`[limits] waiters`).
    package static let waiterCountMax = 10_000
    /// Most audit records kept (`[limits] audit-records`).
    package static let auditRecordCountMax = 10_000
    /// Most keys and prefixes one client connection may watch (`[limits] watches-per-connection`).
    package static let watchesPerConnectionMax = 10_000
    /// Lock losses every node keeps for resumed subscriptions (`[limits] event-history`).
    package static let lossRingCapacity = 10_000

    /// The lock-delay for namespaces not listed, in milliseconds (`[lock-delay] default`).
    package static let lockDelayMilliseconds: UInt64 = 5_000
}

import PadlockTypes

/// Everything a `padlockd` node reads from its configuration file, checked and with defaults filled in.
///
/// Plain values only: the runtime turns them into the node's, the lock table's and Raft's configurations. Read
/// one with ``parse(toml:)``, then ``apply(overrides:)`` for command-line flags. The file format is described
/// field by field in `docs/configuration.md`.
package struct PadlockdSettings: Hashable, Sendable {
    /// The cluster's identity, greater than 0: peers and clients naming another cluster are refused.
    package var clusterID: UInt64
    /// This node's identity, greater than 0; one of ``members`` unless ``join`` is set.
    package var nodeID: UInt64
    /// Where the node keeps its log and snapshots.
    package var dataDirectory: String
    /// Where the node accepts client connections.
    package var clientListen: SocketAddress
    /// Where the node accepts connections from the other nodes.
    package var peerListen: SocketAddress
    /// Where the node serves the admin port (metrics and health); none when nil.
    package var adminListen: SocketAddress?
    /// The lowest level of log messages written.
    package var logLevel: LogLevel
    /// Start as a new node waiting to be added with `padlock member add`, instead of bootstrapping the
    /// cluster from ``members``.
    package var join: Bool
    /// The initial cluster, 1 to ``membersMax`` members with distinct ids and addresses.
    package var members: [Member]
    /// The session TTLs the cluster grants.
    package var sessions: Sessions
    /// The pauses after forced or expired releases.
    package var lockDelay: LockDelay
    /// Bounds on what the node holds at once.
    package var limits: Limits
    /// Raft's timing and snapshot tuning.
    package var raft: RaftTuning
    /// Where this node dials each peer, when not at the peer address the cluster records for it (a local
    /// override: a sidecar, an SSH tunnel, a fault-injecting proxy). Keyed by node id; not replicated.
    package var peerRoutes: [UInt64: SocketAddress] = [:]
    /// Client tokens and roles, and the cluster secret peers prove (`[[clients]]`, `[security]`).
    package var security = Security()
    /// Per-namespace quotas (`[quotas]`); must be equal on every node.
    package var quotas = Quotas()
    /// TLS for the client port and optionally peer links (`[tls]`); nil means plaintext.
    package var tls: TLS?
    /// Handshake deadlines, pending-connection pools and idle limits (`[connections]`).
    package var connections = Connections()

    /// Most members the initial cluster may list.
    package static let membersMax = 16

    /// Settings with the required fields and documented defaults for the rest. Nothing is checked; settings
    /// read with ``parse(toml:)`` have been.
    package init(
        clusterID: UInt64, nodeID: UInt64, dataDirectory: String, clientListen: SocketAddress,
        peerListen: SocketAddress, adminListen: SocketAddress? = nil, logLevel: LogLevel = .info, join: Bool = false,
        members: [Member], sessions: Sessions = Sessions(), lockDelay: LockDelay = LockDelay(),
        limits: Limits = Limits(), raft: RaftTuning = RaftTuning()
    ) {
        self.clusterID = clusterID
        self.nodeID = nodeID
        self.dataDirectory = dataDirectory
        self.clientListen = clientListen
        self.peerListen = peerListen
        self.adminListen = adminListen
        self.logLevel = logLevel
        self.join = join
        self.members = members
        self.sessions = sessions
        self.lockDelay = lockDelay
        self.limits = limits
        self.raft = raft
    }

    /// The member entry of this node, if the initial cluster lists it.
    package var ownMember: Member? { members.first { $0.id == nodeID } }

    /// The settings written as a configuration file that ``parse(toml:)`` reads back to equal settings; every
    /// field is written, defaults included.
    package var tomlText: String { SettingsWriter.document(self) }
}

extension PadlockdSettings {
    /// The lowest level of messages the node logs; the names are swift-log's.
    package enum LogLevel: String, CaseIterable, Hashable, Sendable {
        /// Everything, including per-message traces.
        case trace
        /// Details useful when debugging.
        case debug
        /// Normal operation: elections, membership, snapshots.
        case info
        /// Conditions worth noticing that are not problems.
        case notice
        /// Problems the node works around.
        case warning
        /// Problems that fail an operation.
        case error
        /// Problems that stop the node.
        case critical
    }

    /// One member of the initial cluster.
    package struct Member: Hashable, Sendable {
        /// The member's node id, greater than 0.
        package var id: UInt64
        /// Where the other nodes connect to it.
        package var peer: SocketAddress
        /// Where clients are redirected to reach it.
        package var client: SocketAddress

        /// A member with its addresses.
        package init(id: UInt64, peer: SocketAddress, client: SocketAddress) {
            self.id = id
            self.peer = peer
            self.client = client
        }
    }

    /// The shortest and longest session TTL the cluster grants; requests outside are granted the nearest
    /// bound. Both lie within 2 s and 1 h (`InputLimits`), and the minimum is at most the maximum.
    package struct Sessions: Hashable, Sendable {
        /// Shortest TTL granted, in milliseconds; 2 s by default.
        package var ttlMillisecondsMin = InputLimits.sessionTTLMillisecondsMin
        /// Longest TTL granted, in milliseconds; 1 h by default.
        package var ttlMillisecondsMax = InputLimits.sessionTTLMillisecondsMax

        /// The default bounds, `InputLimits`' 2 s and 1 h.
        package init() {}
    }

    /// How long a key stays ungrantable after a forced, expired or revoked release (never after a clean one).
    package struct LockDelay: Hashable, Sendable {
        /// The delay for namespaces not listed, in milliseconds; 5 s by default, 0 disables it, at most 1 h.
        package var millisecondsDefault = Defaults.lockDelayMilliseconds
        /// The delay per namespace (a key's first segment), in milliseconds, each at most 1 h.
        package var millisecondsByNamespace: [String: UInt64] = [:]

        /// The default delays: 5 s for every namespace.
        package init() {}
    }

    /// Bounds on what one node holds at once. Each is a positive integer of at most ``valueMax``; the
    /// defaults are `PadlockTypes`' ``Defaults``, as for `LockTableConfiguration` and `NodeConfiguration`. All nodes of a cluster must use the
    /// same values, because the lock table's bounds shape its answers.
    package struct Limits: Hashable, Sendable {
        /// Most open sessions (`sessions`, default 200 000).
        package var sessionCountMax = Defaults.sessionCountMax
        /// Most locks held plus waiters queued by one session (`locks-per-session`, default 1 000).
        package var locksPerSessionMax = Defaults.locksPerSessionMax
        /// Most locks held plus waiters queued in the whole table (`held-locks`, default 4 000 000).
        package var heldLockCountMax = Defaults.heldLockCountMax
        /// Most waiters queued on one key (`waiters-per-key`, default 128).
        package var waitersPerKeyMax = Defaults.waitersPerKeyMax
        /// Most waiters queued in the whole table (`waiters`, default 10 000).
        package var waiterCountMax = Defaults.waiterCountMax
        /// Most audit records kept (`audit-records`, default 10 000).
        package var auditRecordCountMax = Defaults.auditRecordCountMax
        /// Most client requests waiting for a commit or a read confirmation (`pending-requests`, default 100 000).
        package var pendingRequestsMax = Defaults.pendingRequestsMax
        /// Most client connections open at once (`client-connections`, default 10 000).
        package var clientConnectionsMax = Defaults.clientConnectionsMax
        /// Most keys and prefixes one client connection may watch (`watches-per-connection`, default 10 000).
        package var watchesPerConnectionMax = Defaults.watchesPerConnectionMax
        /// Lock losses kept for resumed subscriptions (`event-history`, default 10 000).
        package var lossRingCapacity = Defaults.lossRingCapacity

        /// The largest value any limit accepts.
        package static let valueMax = 1_000_000_000

        /// The documented limits.
        package init() {}
    }

    /// Raft's timing: the node ticks every `tickMilliseconds`; a follower campaigns after `electionTicks` to
    /// twice that without a leader; the leader sends heartbeats every `heartbeatTicks`.
    package struct RaftTuning: Hashable, Sendable {
        /// Milliseconds between ticks, 1 ms to 1 s; 10 ms by default.
        package var tickMilliseconds = Defaults.tickMilliseconds
        /// Ticks before a follower campaigns, more than `heartbeatTicks`, at most 10 000; 10 by default.
        package var electionTicks = Defaults.electionTicks
        /// Ticks between heartbeats, 1 to 1 000; 1 by default.
        package var heartbeatTicks = Defaults.heartbeatTicks
        /// Applied entries after which a snapshot is taken and the log compacted, 1 to 1 000 000 000; 50 000 by
        /// default.
        package var snapshotEntryThreshold = Defaults.snapshotEntryThreshold

        /// The defaults, `PadlockTypes`' ``Defaults``, as for `NodeConfiguration` and Raft's `Config`.
        package init() {}
    }
}

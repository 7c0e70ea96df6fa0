import Prometheus

/// The families `/metrics` fills in from the node when asked (`AdminEndpoint` reads the node and sets them):
/// gauges of its state, and counters that follow the totals the node keeps itself. Loop thread only.
struct ScrapedMetrics {
    let state: StateGauges
    let connections: ConnectionGauges
    let peers: PeerFamilies
    let counts: FollowedCounts

    init(registry: PrometheusCollectorRegistry) {
        state = StateGauges(registry)
        connections = ConnectionGauges(registry)
        peers = PeerFamilies(registry)
        counts = FollowedCounts(registry)
    }
}

/// The node's state: role, term, log positions, table sizes, health.
struct StateGauges {
    /// The roles `padlock_role` reports, each always present.
    static let roleNames = ["leader", "follower", "candidate", "learner"]

    let up: Gauge
    /// `padlock_role`, one gauge per role, 1 for the current one.
    let roles: [String: Gauge]
    let term, commitIndex, appliedIndex, lastIndex, snapshotIndex: Gauge
    let sessions, locks, waiters: Gauge
    let incarnationsRecorded, canCommit: Gauge
    let stampAheadOfWall: Gauge

    init(_ registry: PrometheusCollectorRegistry) {
        let gauge = { (name: String, help: String) in registry.gauge(name, help) }
        up = gauge("padlock_up", "1 while the node serves.")
        roles = Dictionary(
            uniqueKeysWithValues: Self.roleNames.map { role in
                (role, registry.gauge("padlock_role", "1 for the role this node has now.", labels: [("role", role)]))
            })
        term = gauge("padlock_term", "The current Raft term.")
        commitIndex = gauge("padlock_commit_index", "The highest committed log index.")
        appliedIndex = gauge("padlock_applied_index", "The highest log index applied to the lock table.")
        lastIndex = gauge("padlock_last_index", "The last log index.")
        snapshotIndex = gauge("padlock_snapshot_index", "The latest snapshot's log index.")
        sessions = gauge("padlock_sessions", "Open sessions.")
        locks = gauge("padlock_locks", "Held locks (each shared holder counts).")
        waiters = gauge("padlock_waiters", "Queued acquires.")
        incarnationsRecorded = gauge(
            "padlock_incarnations_recorded", "Members whose incarnation the applied log records.")
        canCommit = gauge(
            "padlock_can_commit", "On the leader: 1 while a quorum of voters is reachable, accepted and caught up.")
        stampAheadOfWall = gauge(
            "padlock_clock_stamp_ahead_of_wall_milliseconds",
            "How far this leader's latest entry stamp ran ahead of its own wall clock.")
    }
}

/// Connections of the client and peer ports as they stand.
struct ConnectionGauges {
    let clientConnections, connectionBudget: Gauge
    let pending: [ServicePort: Gauge]

    init(_ registry: PrometheusCollectorRegistry) {
        clientConnections = registry.gauge("padlock_client_connections", "Open client connections.")
        connectionBudget = registry.gauge(
            "padlock_connection_budget", "Client and peer connections the descriptor limit leaves room for.")
        pending = Dictionary(
            uniqueKeysWithValues: ServicePort.allCases.map { port in
                let help = "Connections still in their handshake, by port."
                return (port, registry.gauge("padlock_pending_connections", help, labels: [("port", port.rawValue)]))
            })
    }
}

/// The families with one series per peer.
struct PeerFamilies {
    let clockSkew, connected, lag: PeerGauges

    init(_ registry: PrometheusCollectorRegistry) {
        clockSkew = PeerGauges(
            registry, "padlock_peer_clock_skew_milliseconds",
            "The peer's wall clock minus this node's, at the peer's latest clock reading.")
        connected = PeerGauges(registry, "padlock_peer_connected", "1 while this node's link to the peer is up.")
        lag = PeerGauges(registry, "padlock_peer_lag_entries", "On the leader: entries the peer has yet to match.")
    }
}

/// Counters whose totals the node (or the admin server) keeps itself.
struct FollowedCounts {
    let proposals, appliedEntries, readRounds, renewals, expiries, diskWrites, snapshots, eventsSent: FollowedCounter
    let peerIdentityRefused, raftMessagesMalformed, clockJumpsBounded: FollowedCounter
    let adminConnectionsShed, adminConnectionsRejected: FollowedCounter

    init(_ registry: PrometheusCollectorRegistry) {
        let counter = { (name: String, help: String) in FollowedCounter(registry.counter(name, help)) }
        proposals = counter("padlock_proposals_total", "Entries proposed as leader.")
        appliedEntries = counter("padlock_applied_entries_total", "Entries applied.")
        readRounds = counter("padlock_read_rounds_total", "ReadIndex rounds started.")
        renewals = counter("padlock_renewals_total", "Session renewals answered.")
        expiries = counter("padlock_expiries_total", "Session expiries decided as leader.")
        diskWrites = counter("padlock_disk_writes_total", "Durable writes.")
        snapshots = counter("padlock_snapshots_total", "Snapshots taken.")
        eventsSent = counter("padlock_events_sent_total", "Events sent to subscribed client connections.")
        peerIdentityRefused = counter(
            "padlock_peer_identity_refused_total",
            "Peer messages refused because the sender's incarnation does not match the cluster's record or was lost.")
        raftMessagesMalformed = counter(
            "padlock_peer_raft_messages_malformed_total",
            "Raft messages from peers dropped as impossible (a term or index past the limit, a forged handover).")
        clockJumpsBounded = counter(
            "padlock_clock_jumps_bounded_total",
            "Entry stamps held back because this leader's wall clock ran ahead of its monotonic clock.")
        adminConnectionsShed = counter(
            "padlock_admin_connections_shed_total", "Admin connections without a complete request closed to make room.")
        adminConnectionsRejected = counter(
            "padlock_admin_connections_rejected_total", "Admin connections answered 503 overloaded.")
    }
}

/// A counter that follows a total kept elsewhere (the node's own counts): each `follow` adds what the total
/// grew by since the last one. A total that went down (a counter that started again) starts the export again.
final class FollowedCounter {
    let counter: Counter
    private var exported: UInt64 = 0

    init(_ counter: Counter) { self.counter = counter }

    func follow(_ total: UInt64) {
        if total < exported {
            counter.reset()
            exported = 0
        }
        counter.increment(by: Int64(clamping: total - exported))
        exported = total
    }
}

/// A gauge family with one series per peer (label `peer`): peers that are gone are unregistered, so the
/// page lists only the peers the node knows now.
final class PeerGauges {
    private let registry: PrometheusCollectorRegistry
    private let name: String
    private let help: String
    private var gauges: [String: Gauge] = [:]

    init(_ registry: PrometheusCollectorRegistry, _ name: String, _ help: String) {
        self.registry = registry
        self.name = name
        self.help = help
    }

    /// Sets one series per key of `values` and drops the series of peers not in it.
    func set(_ values: [String: Double]) {
        for (peer, gauge) in gauges where values[peer] == nil {
            registry.unregisterGauge(gauge)
            gauges[peer] = nil
        }
        for (peer, value) in values {
            let gauge = gauges[peer] ?? registry.gauge(name, help, labels: [("peer", peer)])
            gauges[peer] = gauge
            gauge.set(to: value)
        }
    }
}

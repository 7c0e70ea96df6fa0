import AdminHTTP
import Node

/// Counters the runtime keeps for `/metrics` (the node's own state is read when the page is rendered).
/// Loop thread only.
struct ServerMetrics {
    var clientRequests: UInt64 = 0
    var badClientFrames: UInt64 = 0
    /// Handshakes refused, by port and reason (docs/admin.md lists the reasons).
    var handshakesRefused: [RefusalKey: UInt64] = [:]
    var requestsDenied: UInt64 = 0
    var peerProofsRefused: UInt64 = 0
    var peerMessagesRefused: UInt64 = 0
    var peerFramesDropped: UInt64 = 0
    /// Connections closed before their handshake to make room, by the limit that was full.
    var connectionsShed: [String: UInt64] = [:]
    /// Accepts that failed (out of descriptors, mostly), on any port.
    var acceptErrors: UInt64 = 0
    /// Authenticated client connections closed for idleness (no session, nothing sent).
    var idleClientsClosed: UInt64 = 0
    /// The descriptor limit (`RLIMIT_NOFILE`, soft) the process runs with; 0 when unknown.
    var descriptorLimit: UInt64 = 0
    /// Durable writes (append and `fdatasync` of one Ready, or a snapshot), by latency.
    var syncLatency = LatencyHistogram()

    /// A refusal's labels.
    struct RefusalKey: Hashable, Comparable {
        var port: ServicePort
        var reason: String

        static func < (lhs: RefusalKey, rhs: RefusalKey) -> Bool {
            (lhs.port.rawValue, lhs.reason) < (rhs.port.rawValue, rhs.reason)
        }
    }

    /// All refusals, every port and reason.
    var handshakesRefusedTotal: UInt64 { handshakesRefused.values.reduce(0, +) }

    mutating func count(refusal reason: String, on port: ServicePort) {
        handshakesRefused[RefusalKey(port: port, reason: reason), default: 0] += 1
    }

    mutating func count(shed reason: String) { connectionsShed[reason, default: 0] += 1 }

    mutating func recordSync(nanoseconds: UInt64) { syncLatency.record(seconds: Double(nanoseconds) / 1e9) }
}

extension ServerMetrics {
    /// The node's clock figures (docs/operations.md, "Clocks") and the peer messages Raft refused.
    static func renderClocks(_ report: ClockReport, refusedRaftMessages: Int, into text: inout PrometheusText) {
        text.family(
            "padlock_peer_clock_skew_milliseconds", type: .gauge,
            help: "The peer's wall clock minus this node's, at the peer's latest clock reading.")
        for peer in report.peers.keys.sorted() {
            text.sample(labels: ["peer": "\(peer)"], value: Double(report.peers[peer]!.skewMilliseconds))
        }
        text.counter(
            "padlock_clock_jumps_bounded_total",
            help: "Entry stamps held back because this leader's wall clock ran ahead of its monotonic clock.",
            value: Double(report.jumpsBounded))
        text.gauge(
            "padlock_clock_stamp_ahead_of_wall_milliseconds",
            help: "How far this leader's latest entry stamp ran ahead of its own wall clock.",
            value: Double(report.stampAheadOfWallMilliseconds))
        text.counter(
            "padlock_peer_raft_messages_malformed_total",
            help: "Raft messages from peers dropped as impossible (a term or index past the limit, a forged handover).",
            value: Double(refusedRaftMessages))
    }
}

import AdminHTTP

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

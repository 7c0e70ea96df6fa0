import AdminHTTP

/// Counters the runtime keeps for `/metrics` (the node's own state is read when the page is rendered).
/// Loop thread only.
struct ServerMetrics {
    var clientRequests: UInt64 = 0
    var badClientFrames: UInt64 = 0
    var handshakesRefused: UInt64 = 0
    var requestsDenied: UInt64 = 0
    var peerProofsRefused: UInt64 = 0
    var peerMessagesRefused: UInt64 = 0
    var peerFramesDropped: UInt64 = 0
    /// Durable writes (append and `fdatasync` of one Ready, or a snapshot), by latency.
    var syncLatency = LatencyHistogram()

    mutating func recordSync(nanoseconds: UInt64) { syncLatency.record(seconds: Double(nanoseconds) / 1e9) }
}

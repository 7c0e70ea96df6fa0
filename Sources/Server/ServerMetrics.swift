import Prometheus

/// One node's metrics (docs/admin.md lists every family), in a `PrometheusCollectorRegistry` of the node's
/// own: nothing here touches the global `MetricsSystem` or swift-prometheus's default registry, so several
/// nodes in one process keep their figures apart (decision 0012).
///
/// Counters of the runtime's own events are incremented where the event happens. Figures the node keeps
/// itself (its state and its `NodeCounters`, which the pure `Node` module keeps without Prometheus) are
/// copied in when `/metrics` is asked for (`ScrapedMetrics`). Loop thread only.
final class ServerMetrics {
    /// The `Content-Type` of `/metrics`: the Prometheus text format, version 0.0.4, that `emit()` writes.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Upper bounds of `padlock_fsync_seconds`, 100 µs to 10 s, roughly ×2.5 apart: fine where a write and
    /// its `fdatasync` usually fall, and wide enough to show a stalling disk.
    static let syncBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2_500),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2_500), .seconds(5), .seconds(10),
    ]

    /// The handshake refusals each port can count (docs/admin.md explains each reason). Every pair is
    /// exported from the start, at 0, so a dashboard's `rate()` sees the first refusal.
    static let refusalReasons: [ServicePort: [String]] = [
        .client: ["timeout", "garbage", "wrong-role", "wrong-cluster", "bad-token", "over-cap"],
        .peer: ["timeout", "garbage", "wrong-role", "wrong-cluster", "not-member", "no-secret", "bad-secret"],
    ]

    /// The limits whose overflow sheds a pending connection (`ConnectionGate`), likewise exported at 0.
    static let shedReasons = ["pending", "pending-per-address", "descriptors", "accept-error"]

    let registry: PrometheusCollectorRegistry
    let clientRequests: Counter
    let badClientFrames: Counter
    let requestsDenied: Counter
    let peerProofsRefused: Counter
    let peerMessagesRefused: Counter
    let peerFramesDropped: Counter
    /// Accepts that failed (out of descriptors, mostly), on any port.
    let acceptErrors: Counter
    /// Authenticated client connections closed for idleness (no session, nothing sent).
    let idleClientsClosed: Counter
    /// The descriptor limit (`RLIMIT_NOFILE`, soft) the process runs with; 0 when unknown.
    let descriptorLimit: Gauge
    /// Durable writes (append and `fdatasync` of one Ready, or a snapshot), by latency.
    let syncLatency: DurationHistogram
    /// What `/metrics` reads from the node when asked.
    let scraped: ScrapedMetrics
    private var handshakesRefused: [RefusalKey: Counter] = [:]
    private var connectionsShed: [String: Counter] = [:]

    /// A refusal's labels.
    struct RefusalKey: Hashable {
        var port: ServicePort
        var reason: String
    }

    /// Registers every family in `registry` (a fresh one per node by default).
    init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        clientRequests = registry.counter("padlock_client_requests_total", "Client requests received.")
        badClientFrames = registry.counter(
            "padlock_bad_client_frames_total", "Client connections closed for an undecodable request.")
        requestsDenied = registry.counter("padlock_requests_denied_total", "Client requests answered permissionDenied.")
        peerProofsRefused = registry.counter(
            "padlock_peer_proofs_refused_total",
            "Peer links refused for a missing or wrong proof of the cluster secret.")
        peerMessagesRefused = registry.counter(
            "padlock_peer_messages_refused_total", "Peer messages with a forged sender.")
        peerFramesDropped = registry.counter("padlock_peer_frames_dropped_total", "Peer frames dropped on a full link.")
        acceptErrors = registry.counter(
            "padlock_accept_errors_total", "Accepts that failed (out of file descriptors, mostly).")
        idleClientsClosed = registry.counter(
            "padlock_idle_client_connections_closed_total",
            "Client connections closed for idleness (no session, nothing sent).")
        descriptorLimit = registry.gauge(
            "padlock_file_descriptor_limit", "The file descriptor limit (RLIMIT_NOFILE, soft) padlockd runs with.")
        syncLatency = registry.makeDurationHistogram(
            descriptor: .padlock("padlock_fsync_seconds", "Time of each durable write (append and fdatasync)."),
            buckets: Self.syncBuckets)
        scraped = ScrapedMetrics(registry: registry)
        for (port, reasons) in Self.refusalReasons {
            for reason in reasons { _ = refusalCounter(RefusalKey(port: port, reason: reason)) }
        }
        for reason in Self.shedReasons { _ = shedCounter(reason) }
    }

    /// Every family as Prometheus text.
    func emit() -> [UInt8] { registry.emitToBuffer() }

    func count(refusal reason: String, on port: ServicePort) {
        refusalCounter(RefusalKey(port: port, reason: reason)).increment()
    }

    func count(shed reason: String) { shedCounter(reason).increment() }

    func recordSync(nanoseconds: UInt64) { syncLatency.record(.nanoseconds(Int64(clamping: nanoseconds))) }

    private func refusalCounter(_ key: RefusalKey) -> Counter {
        if let counter = handshakesRefused[key] { return counter }
        let counter = registry.makeCounter(
            descriptor: .padlock(
                "padlock_handshakes_refused_total",
                "Client and peer handshakes refused, by port and reason (timeout, garbage, wrong-role, "
                    + "wrong-cluster, not-member, no-secret, bad-secret, bad-token, over-cap)."),
            labels: [("port", key.port.rawValue), ("reason", key.reason)])
        handshakesRefused[key] = counter
        return counter
    }

    private func shedCounter(_ reason: String) -> Counter {
        if let counter = connectionsShed[reason] { return counter }
        let counter = registry.makeCounter(
            descriptor: .padlock(
                "padlock_connections_shed_total",
                "Connections still in their handshake closed to make room, by the limit that was full."),
            labels: [("reason", reason)])
        connectionsShed[reason] = counter
        return counter
    }
}

extension MetricNameDescriptor {
    /// A family named `name` in full (Padlock's names already carry their unit), with its `# HELP` text.
    static func padlock(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}

extension PrometheusCollectorRegistry {
    /// The counter `name` with these labels, registered on first use (the help text must not change).
    func counter(_ name: String, _ help: String, labels: [(String, String)] = []) -> Counter {
        makeCounter(descriptor: .padlock(name, help), labels: labels)
    }

    /// The gauge `name` with these labels, registered on first use (the help text must not change).
    func gauge(_ name: String, _ help: String, labels: [(String, String)] = []) -> Gauge {
        makeGauge(descriptor: .padlock(name, help), labels: labels)
    }
}

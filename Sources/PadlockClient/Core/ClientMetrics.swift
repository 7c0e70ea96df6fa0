import Metrics

/// The client's metrics, recorded through swift-metrics (decision 0005). Names are part of the public surface
/// and listed in `docs/client.md`. Loop thread only (it caches one metric object per label and dimensions).
final class ClientMetrics {
    /// Calls by operation and outcome (`ok` or the error code's name).
    static let requests = "padlock_client_requests_total"
    /// Attempts repeated after a failure, by operation.
    static let retries = "padlock_client_retries_total"
    /// Moves to another endpoint: a redirect followed, a connection lost, an attempt timed out.
    static let failovers = "padlock_client_failovers_total"
    /// Attempt timeouts that found the node still answering earlier requests on the connection, so the
    /// attempt kept waiting instead of moving to another endpoint.
    static let busyWaits = "padlock_client_busy_node_waits_total"
    /// Session renewals by outcome (`renewed`, `failed`, `expired`).
    static let renewals = "padlock_client_renewals_total"
    /// Renewal requests sent (one renews a batch of sessions; retries of a request are not counted again).
    static let renewalRequests = "padlock_client_renewal_requests_total"
    /// Locks whose session's lease lapsed or ended.
    static let locksLost = "padlock_client_locks_lost_total"
    /// Time from an acquire call to its answer, by outcome.
    static let acquireDuration = "padlock_client_acquire_duration_seconds"
    /// Locks currently held whose lease is at risk.
    static let locksAtRisk = "padlock_client_locks_at_risk"
    /// Sessions currently open.
    static let sessionsOpen = "padlock_client_sessions_open"
    /// Idle sessions closed to make room in a full pool for another owner's call.
    static let sessionsEvicted = "padlock_client_sessions_evicted_total"

    private var counters: [String: Counter] = [:]
    private var timers: [String: Metrics.Timer] = [:]
    private let atRiskGauge = Gauge(label: ClientMetrics.locksAtRisk)
    private let sessionsGauge = Gauge(label: ClientMetrics.sessionsOpen)

    private func counter(_ label: String, _ dimensions: [(String, String)] = []) -> Counter {
        let key = ([label] + dimensions.map { "\($0.0)=\($0.1)" }).joined(separator: ",")
        if let existing = counters[key] { return existing }
        let made = Counter(label: label, dimensions: dimensions)
        counters[key] = made
        return made
    }

    func request(_ operation: String, outcome: String) {
        counter(Self.requests, [("operation", operation), ("outcome", outcome)]).increment()
    }

    func retry(_ operation: String) { counter(Self.retries, [("operation", operation)]).increment() }
    func failover() { counter(Self.failovers).increment() }
    func attemptKeptWaiting() { counter(Self.busyWaits).increment() }
    func sessionEvicted() { counter(Self.sessionsEvicted).increment() }
    func renewal(_ outcome: String) { counter(Self.renewals, [("outcome", outcome)]).increment() }
    func renewalRequest() { counter(Self.renewalRequests).increment() }
    func locksLost(_ count: Int) { if count > 0 { counter(Self.locksLost).increment(by: count) } }

    func acquired(after duration: Duration, outcome: String) {
        let key = outcome
        let timer = timers[key] ?? Metrics.Timer(label: Self.acquireDuration, dimensions: [("outcome", outcome)])
        timers[key] = timer
        timer.recordNanoseconds(duration.wholeNanoseconds)
    }

    func locksAtRisk(_ count: Int) { atRiskGauge.record(count) }
    func sessionsOpen(_ count: Int) { sessionsGauge.record(count) }
}

extension Duration {
    /// Whole nanoseconds, saturating.
    var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (total, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : total &+ attoseconds / 1_000_000_000
    }
}

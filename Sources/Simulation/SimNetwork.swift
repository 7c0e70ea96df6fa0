/// The simulated network between every endpoint (nodes first, then clients): per-message delay, loss,
/// duplication and reordering, directed partitions, and clogged endpoints whose traffic crawls.
struct SimNetwork {
    /// Base one-way latency and the mean of its random extra part, in microseconds.
    var baseLatency: UInt64 = 150
    var jitterMean: Double = 250
    /// Probability that a message is lost or delivered twice.
    var lossRate = 0.0
    var duplicationRate = 0.0
    /// Directed links that deliver nothing, as `from * 1024 + to`.
    private(set) var blocked: Set<Int> = []
    /// Extra delay for everything to or from an endpoint, in microseconds.
    var clogged: [Int: UInt64] = [:]
    var random: SimRandom

    func isBlocked(_ from: Int, _ to: Int) -> Bool { blocked.contains(from * 1024 + to) }

    mutating func block(_ from: Int, _ to: Int) { blocked.insert(from * 1024 + to) }

    mutating func healPartitions() { blocked = [] }

    var hasPartitions: Bool { !blocked.isEmpty }

    /// The delivery delays for one message from `from` to `to`: none when it is lost, two when duplicated.
    mutating func deliveries(from: Int, to: Int) -> [UInt64] {
        if isBlocked(from, to) || random.chance(lossRate) { return [] }
        var delays = [delay(from: from, to: to)]
        if random.chance(duplicationRate) { delays.append(delay(from: from, to: to)) }
        return delays
    }

    /// One message's delay (also used for streams that are delivered whole, such as snapshots).
    mutating func delay(from: Int, to: Int, bytes: Int = 0) -> UInt64 {
        let clog = (clogged[from] ?? 0) + (clogged[to] ?? 0)
        let jitter = random.exponential(mean: jitterMean)
        // A loopback-like link moves about a gigabyte per second.
        return baseLatency + jitter + clog + UInt64(bytes / 1000)
    }

    /// Back to a clean network: no partitions, loss, duplication or clogging.
    mutating func healAll() {
        blocked = []
        clogged = [:]
        lossRate = 0
        duplicationRate = 0
    }
}

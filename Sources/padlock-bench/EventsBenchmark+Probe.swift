import Foundation
import Histogram
import Logging
import PadlockClient
import Synchronization

/// Force-unlock notices, one at a time: a holder client acquires a fresh key, an admin client force-unlocks
/// it, and the time until the holder's lock turns `.lost` is recorded.
final class NoticeProbe: Sendable {
    let holder: PadlockClient
    let admin: PadlockClient
    private let sequence = Atomic<Int>(0)

    /// The clients log nothing: the holder's client would warn of every lost lock.
    static let quiet = Logger(label: "padlock-bench.events") { _ in SwiftLogNoOpLogHandler() }

    init(endpoints: [String]) async throws {
        holder = try await PadlockClient(endpoints: endpoints, owner: "holder@padlock-bench", logger: Self.quiet)
        admin = try await PadlockClient(endpoints: endpoints, owner: "admin@padlock-bench", logger: Self.quiet)
    }

    func close() async {
        await holder.close()
        await admin.close()
    }

    /// A few notices not recorded: the holder's first lock subscribes its session, which later ones reuse.
    func warmUp() async throws {
        for _ in 0..<5 { _ = try await sample() }
    }

    /// `samples` notices, back to back (`over` nil) or one every `over`.
    func measure(samples: Int, over spacing: Duration?) async throws -> NoticeStats {
        var stats = NoticeStats()
        let start = ContinuousClock.now
        for index in 0..<samples {
            if let spacing { try await Task.sleep(until: start + spacing * index, clock: .continuous) }
            stats.add(try await sample())
        }
        return stats
    }

    private func sample() async throws -> NoticeSample {
        let key = "bench/notice-\(sequence.add(1, ordering: .relaxed).newValue)"
        let lock = try await holder.acquire(key)
        let states = lock.states
        let listener = Task { () -> ContinuousClock.Instant? in
            for await state in states where state == .lost { return ContinuousClock.now }
            return nil
        }
        let sent = ContinuousClock.now
        let released = try await admin.forceUnlock(key, reason: "padlock-bench events")
        let answered = ContinuousClock.now
        let timeout = Task {
            try? await Task.sleep(for: .seconds(10))
            listener.cancel()
        }
        let lostAt = await listener.value
        timeout.cancel()
        guard !released.isEmpty, let lostAt else { return .missing }
        guard case .cluster(.forceUnlocked) = lock.lossReason else { return .otherReason }
        return .told(fromSend: lostAt - sent, fromAnswer: lostAt - answered)
    }
}

enum NoticeSample {
    case told(fromSend: Duration, fromAnswer: Duration)
    /// No `.lost` within 10 s (or nothing was released).
    case missing
    /// Lost, but not with the force-unlock's reason (a resync, a lease that ran out).
    case otherReason
}

/// Notice latencies of one series.
struct NoticeStats {
    var fromSend = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    var fromAnswer = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    /// Notices that reached the holder before the force-unlock's answer reached the admin (counted as 0 in
    /// `fromAnswer`).
    var beforeAnswer = 0
    var missing = 0
    var otherReason = 0

    mutating func add(_ sample: NoticeSample) {
        switch sample {
        case .told(let fromSend, let fromAnswer):
            _ = self.fromSend.record(LatencyBenchmark.micros(fromSend))
            if fromAnswer < .zero { beforeAnswer += 1 }
            _ = self.fromAnswer.record(LatencyBenchmark.micros(max(.zero, fromAnswer)))
        case .missing: missing += 1
        case .otherReason: otherReason += 1
        }
    }

    /// "p50 X ms, p99 Y ms" of a histogram in microseconds.
    static func percentiles(_ histogram: Histogram<UInt64>) -> (p50: Double, p99: Double, max: Double) {
        (
            Double(histogram.valueAtPercentile(50)) / 1000, Double(histogram.valueAtPercentile(99)) / 1000,
            Double(histogram.max) / 1000
        )
    }
}

/// Counters the watch consumers share.
final class WatchCounters: Sendable {
    let states = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    let firstFailure = Mutex<String?>(nil)
}

/// Many watches, spread over client library instances, each read by a task of its own that counts states.
final class WatchFleet: Sendable {
    let clients: [PadlockClient]
    let counters = WatchCounters()
    let count: Int
    private let readers = Mutex<[Task<Void, Never>]>([])

    private init(clients: [PadlockClient], count: Int) {
        self.clients = clients
        self.count = count
    }

    /// Watches every key in `keys`, `perClient` on each client, and waits until each watch yielded its first
    /// state (the state the leader read when it accepted the subscription).
    static func start(endpoints: [String], keys: [String], perClient: Int) async throws -> WatchFleet {
        var clients: [PadlockClient] = []
        for index in 0..<((keys.count + perClient - 1) / perClient) {
            clients.append(
                try await PadlockClient(
                    endpoints: endpoints, owner: "watcher-\(index)@padlock-bench", logger: NoticeProbe.quiet))
        }
        let fleet = WatchFleet(clients: clients, count: keys.count)
        let counters = fleet.counters
        var tasks: [Task<Void, Never>] = []
        for (index, key) in keys.enumerated() {
            let stream = clients[index / perClient].watch(key)
            tasks.append(
                Task {
                    do {
                        for try await _ in stream { counters.states.add(1, ordering: .relaxed) }
                    } catch {
                        counters.failures.add(1, ordering: .relaxed)
                        counters.firstFailure.withLock { $0 = $0 ?? "\(key): \(error)" }
                    }
                })
        }
        fleet.readers.withLock { $0 = tasks }
        let deadline = ContinuousClock.now + .seconds(120)
        while counters.states.load(ordering: .relaxed) < keys.count {
            if let failure = counters.firstFailure.withLock({ $0 }) {
                await fleet.close()
                throw ValidationFailure("a watch ended: \(failure)")
            }
            guard ContinuousClock.now < deadline else {
                await fleet.close()
                throw ValidationFailure("the \(keys.count) watches did not all start within 120 s")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return fleet
    }

    func close() async {
        for task in readers.withLock({ $0 }) { task.cancel() }
        for client in clients { await client.close() }
    }
}

import ArgumentParser
import Foundation
import Histogram
import PadlockClient

/// `padlock-bench locks` (the default): the reference lock workload against a running cluster. Each worker
/// holds one session and loops *acquire a record key → release it*, like `etcd-bench` with etcd's own
/// `concurrency.Mutex`, so the two are compared on one machine in one run (`../shared/bench/compare.sh`).
struct LocksBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "locks", abstract: "Lock+unlock cycles per second against a cluster (the compare.sh workload).")

    @Option(help: "Comma-separated host:port list of the nodes' client ports.") var endpoints: String
    @Option(help: "Concurrent workers; each holds its own session.") var workers = 64
    @Option(help: "Distinct record keys (0: one per worker, uncontended).") var keys = 0
    @Option(help: "How long to run, in seconds.") var duration = 10.0
    @Option(help: "Workers per client library instance (each instance has its own connections and loop).")
    var workersPerClient = 32
    @Flag(help: "Print one JSON object as the last line.") var json = false

    func validate() throws {
        guard workers > 0, keys >= 0, duration > 0, workersPerClient > 0 else {
            throw ValidationError("--workers, --duration and --workers-per-client must be positive, --keys ≥ 0")
        }
    }

    func run() async throws {
        let list = endpoints.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        let clients = try await Self.clients(endpoints: list, workers: workers, perClient: workersPerClient)
        let tally = Tally()
        let deadline = ContinuousClock.now + .milliseconds(Int64(duration * 1000))
        let progress = Progress(tally: tally, enabled: isatty(STDERR_FILENO) == 1)
        progress.start()
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                let client = clients[worker / workersPerClient]
                group.addTask {
                    await Self.loop(worker: worker, keys: keys, client: client, until: deadline, tally: tally)
                }
            }
        }
        progress.stop()
        for client in clients { await client.close() }
        report(tally.snapshot())
    }

    /// The workload's clients: one per `perClient` workers, each with a session per worker.
    static func clients(endpoints: [String], workers: Int, perClient: Int) async throws -> [PadlockClient] {
        var clients: [PadlockClient] = []
        for index in 0..<((workers + perClient - 1) / perClient) {
            var configuration = PadlockClient.Configuration()
            configuration.maximumConcurrentSessions = perClient
            configuration.callDeadline = .seconds(10)
            clients.append(
                try await PadlockClient(
                    endpoints: endpoints, owner: "bench-\(index)@padlock-bench", configuration: configuration))
        }
        return clients
    }

    /// One worker: acquire (waiting up to 5 s on a contended key, as etcd's Lock does), release, repeat.
    static func loop(
        worker: Int, keys: Int, client: PadlockClient, until deadline: ContinuousClock.Instant, tally: Tally
    ) async {
        var random = SystemRandomNumberGenerator()
        while ContinuousClock.now < deadline {
            let key = keys == 0 ? worker : Int.random(in: 0..<keys, using: &random)
            let started = ContinuousClock.now
            do {
                let lock = try await client.acquire("bench/record-\(key)", wait: keys == 0 ? .zero : .seconds(5))
                let acquired = ContinuousClock.now - started
                try await lock.release()
                tally.cycle(acquire: acquired)
            } catch {
                tally.error()
            }
        }
    }

    private func report(_ result: Tally.Snapshot) {
        let cyclesPerSecond = Double(result.cycles) / duration
        let p50 = Double(result.latency.valueAtPercentile(50)) / 1000
        let p99 = Double(result.latency.valueAtPercentile(99)) / 1000
        let gap = Double(result.longestGapMicroseconds) / 1000
        if json {
            print(
                "{\"system\":\"padlock\",\"workers\":\(workers),\"keys\":\(keys),\"cycles\":\(result.cycles),"
                    + "\"cycles_per_s\":\(String(format: "%.1f", cyclesPerSecond)),\"errors\":\(result.errors),"
                    + "\"acquire_p50_ms\":\(String(format: "%.3f", p50)),\"acquire_p99_ms\":\(String(format: "%.3f", p99)),"
                    + "\"longest_gap_ms\":\(String(format: "%.1f", gap))}")
        } else {
            print(
                "padlock lock+release cycles: \(result.cycles) in \(duration) s = \(Int(cyclesPerSecond))/s; errors "
                    + "\(result.errors); acquire p50 \(p50) ms p99 \(p99) ms; longest gap between completed cycles \(gap) ms"
            )
        }
    }
}

/// Counts shared by every worker (a lock: workers run on many threads).
final class Tally: @unchecked Sendable {
    struct Snapshot {
        var cycles: Int
        var errors: Int
        var latency: Histogram<UInt64>
        var longestGapMicroseconds: UInt64
    }

    private let lock = NSLock()
    private var cycles = 0
    private var errors = 0
    private var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    private var lastCompletion: ContinuousClock.Instant?
    private var longestGap: Duration = .zero
    private var completions: [ContinuousClock.Instant] = []

    func cycle(acquire: Duration) {
        let micros =
            UInt64(max(0, acquire.components.seconds)) * 1_000_000
            + UInt64(acquire.components.attoseconds / 1_000_000_000_000)
        let now = ContinuousClock.now
        lock.lock()
        cycles += 1
        _ = latency.record(min(micros, 60_000_000))
        if let lastCompletion { longestGap = max(longestGap, now - lastCompletion) }
        lastCompletion = now
        completions.append(now)
        lock.unlock()
    }

    /// The longest time without a completed cycle around `instant`: from the last completion at or before
    /// it, through every gap between completions up to `horizon`.
    func longestGap(around instant: ContinuousClock.Instant, until horizon: ContinuousClock.Instant) -> Duration {
        lock.lock()
        defer { lock.unlock() }
        let start = completions.lastIndex(where: { $0 <= instant }) ?? 0
        var longest: Duration = .zero
        var previous = completions.indices.contains(start) ? completions[start] : instant
        for completion in completions[min(start + 1, completions.count)...] where completion <= horizon {
            longest = max(longest, completion - previous)
            previous = completion
        }
        // Nothing completed after the last one seen: the stall lasts until the horizon.
        return max(longest, horizon - previous)
    }

    func error() {
        lock.lock()
        errors += 1
        lock.unlock()
    }

    var cycleCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return cycles
    }

    func snapshot() -> Snapshot {
        lock.lock()
        defer { lock.unlock() }
        let gap =
            UInt64(longestGap.components.seconds) * 1_000_000
            + UInt64(longestGap.components.attoseconds / 1_000_000_000_000)
        return Snapshot(cycles: cycles, errors: errors, latency: latency, longestGapMicroseconds: gap)
    }
}

/// A one-line progress report on standard error, once a second, when it is a terminal.
final class Progress: @unchecked Sendable {
    private let tally: Tally
    private let enabled: Bool
    private var task: Task<Void, Never>?

    init(tally: Tally, enabled: Bool) {
        self.tally = tally
        self.enabled = enabled
    }

    func start() {
        guard enabled else { return }
        task = Task { [tally] in
            var previous = 0
            var elapsed = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                elapsed += 1
                let now = tally.cycleCount
                FileHandle.standardError.write(Data("\r\(elapsed) s: \(now) cycles, \(now - previous)/s   ".utf8))
                previous = now
            }
        }
    }

    func stop() {
        task?.cancel()
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

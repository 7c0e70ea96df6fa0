import ArgumentParser
import CoreMetrics
import Foundation
import Logging
import PadlockClient
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `padlock-bench owners`: one client holds one lock for each of many owners (an app server with many
/// signed-in reps), then idles. Reports the renewal requests per second the client sends and the leader's CPU
/// time per second (from /proc/<pid>/stat) while it idles: the cost of keeping the sessions alive.
struct OwnersBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "owners", abstract: "One client, one lock per owner for many owners, idle: renewal cost.")

    @Option(help: "Owners, each with its own session and one lock.") var owners = 10_000
    @Option(help: "How long to measure while idle, in seconds (such as 30 or 30s).") var duration = "30s"
    @Option(help: "Acquires in flight at once while filling.") var concurrency = 256
    @OptionGroup var devCluster: BenchClusterOptions

    func validate() throws {
        guard (1...65_536).contains(owners), concurrency > 0, Self.seconds(duration) != nil else {
            throw ValidationError("--owners must be 1-65536, --concurrency positive, --duration seconds such as 30s")
        }
    }

    static func seconds(_ text: String) -> Int? {
        let digits = text.hasSuffix("s") ? String(text.dropLast()) : text
        return Int(digits).flatMap { $0 > 0 ? $0 : nil }
    }

    func run() async throws {
        let counter = RenewalRequestCounter.bootstrap()
        try await devCluster.start().run { cluster in
            var configuration = PadlockClient.Configuration()
            configuration.maximumConcurrentSessions = owners
            configuration.maximumSessionsPerOwner = 1
            configuration.maximumWaitingCalls = max(owners, 10_000)
            // PADLOCK_LOG_LEVEL=debug shows the client's renewals and retries.
            var logger = Logger(label: "padlock-bench.owners")
            logger.logLevel =
                ProcessInfo.processInfo.environment["PADLOCK_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) }
                ?? .warning
            let client = try await PadlockClient(
                endpoints: cluster.endpoints, owner: "owners@padlock-bench", configuration: configuration,
                logger: logger)
            do {
                try await measure(cluster, client: client, counter: counter)
                await client.close()
            } catch {
                await client.close()
                throw error
            }
        }
    }

    private func measure(_ cluster: BenchCluster, client: PadlockClient, counter: RenewalRequestCounter) async throws {
        let started = ContinuousClock.now
        let locks = try await fill(client)
        print("holding \(locks.count) locks for \(owners) owners after \(started.duration(to: .now))")
        guard let leader = await BenchCluster.leader(client), let pid = cluster.pid(leader) else {
            throw ValidationFailure("no leader")
        }
        // One renewal interval (TTL 15 s / 3) of settling, so the sessions' renewals have found their batches.
        try await Task.sleep(for: .seconds(6))
        let seconds = Self.seconds(duration) ?? 30
        let requestsBefore = counter.requests
        let cpuBefore = Self.cpuTicks(pid)
        let measuredFrom = ContinuousClock.now
        try await Task.sleep(for: .seconds(seconds))
        let elapsed = measuredFrom.duration(to: .now)
        let requests = counter.requests - requestsBefore
        let cpu = Self.cpuTicks(pid).flatMap { after in cpuBefore.map { after - $0 } }
        let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        let lost = locks.filter { $0.state == .lost }.count
        print("owners: \(owners), idle for \(String(format: "%.1f", wall)) s, renewal interval 5 s (TTL 15 s)")
        print("renewal requests sent by the client: \(requests) (\(String(format: "%.1f", Double(requests) / wall))/s)")
        print("one request per session per interval would be \(String(format: "%.0f", Double(owners) / 5))/s")
        if let cpu {
            print(
                "leader (node \(leader)) CPU: \(String(format: "%.1f", Double(cpu) / ticksPerSecond * 1000 / wall)) ms per second"
            )
        }
        print("locks lost while idle: \(lost)")
        for start in stride(from: 0, to: locks.count, by: concurrency) {
            await withTaskGroup(of: Void.self) { group in
                for lock in locks[start..<min(locks.count, start + concurrency)] {
                    group.addTask { try? await lock.release() }
                }
            }
        }
    }

    /// Acquires `bench/owners/<i>` for owner `rep-<i>@crm`, `concurrency` at a time.
    private func fill(_ client: PadlockClient) async throws -> [Lock] {
        var locks: [Lock] = []
        locks.reserveCapacity(owners)
        for start in stride(from: 0, to: owners, by: concurrency) {
            try await withThrowingTaskGroup(of: Lock.self) { group in
                for index in start..<min(owners, start + concurrency) {
                    group.addTask { try await Self.acquire(client, index) }
                }
                for try await lock in group { locks.append(lock) }
            }
        }
        return locks
    }

    /// Acquires owner `index`'s lock, trying again a few times through a leader change on a busy machine.
    private static func acquire(_ client: PadlockClient, _ index: Int) async throws -> Lock {
        var lastError: (any Error)?
        for _ in 0..<6 {
            do {
                return try await client.acquire("bench/owners/\(index)", owner: "rep-\(index)@crm")
            } catch {
                lastError = error
            }
        }
        throw lastError ?? ValidationFailure("could not acquire bench/owners/\(index)")
    }

    /// The process's user plus system CPU time in clock ticks (fields 14 and 15 of /proc/<pid>/stat).
    static func cpuTicks(_ pid: pid_t) -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name (which may hold spaces) start at field 3.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return user + system
    }
}

/// Counts `padlock_client_renewal_requests_total` through swift-metrics; every other metric is dropped.
final class RenewalRequestCounter: MetricsFactory, Sendable {
    private final class Handler: CounterHandler, Sendable {
        let count = Atomic<Int64>(0)
        func increment(by amount: Int64) { count.add(amount, ordering: .relaxed) }
        func reset() { count.store(0, ordering: .relaxed) }
    }

    private let handler = Handler()

    var requests: Int64 { handler.count.load(ordering: .relaxed) }

    static func bootstrap() -> RenewalRequestCounter {
        let factory = RenewalRequestCounter()
        MetricsSystem.bootstrap(factory)
        return factory
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        label == "padlock_client_renewal_requests_total" ? handler : NOOPMetricsHandler.instance
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        NOOPMetricsHandler.instance
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { NOOPMetricsHandler.instance }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}

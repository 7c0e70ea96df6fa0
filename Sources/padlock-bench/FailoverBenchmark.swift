import ArgumentParser
import Foundation
import PadlockClient

#if canImport(Glibc)
    import Glibc
#endif

/// `padlock-bench failover`: the lock workload against a dev cluster of its own while the leader is killed
/// (SIGKILL) several times; each stall is the longest time without a completed lock+release cycle around the
/// kill, from the last cycle before it to the cycles after it. The killed node restarts after each kill.
struct FailoverBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover", abstract: "Kills the leader of a local cluster repeatedly and reports each stall.")

    @Option(help: "Leader kills.") var kills = 5
    @Option(help: "Seconds between kills (the killed node restarts halfway).") var interval = 4.0
    @Option(help: "Concurrent workers, each its own session and key.") var workers = 16
    @OptionGroup var devCluster: BenchClusterOptions
    @Flag(help: "Print one JSON object as the last line.") var json = false

    func validate() throws {
        guard kills > 0, interval >= 2, workers > 0 else {
            throw ValidationError("--kills and --workers must be positive and --interval at least 2 s")
        }
    }

    func run() async throws {
        try await devCluster.start().run { cluster in try await measure(cluster) }
    }

    private func measure(_ cluster: BenchCluster) async throws {
        var configuration = PadlockClient.Configuration()
        configuration.maximumConcurrentSessions = workers
        configuration.callDeadline = .seconds(10)
        let client = try await PadlockClient(
            endpoints: cluster.endpoints, owner: "failover@padlock-bench", configuration: configuration)
        let observer = try await PadlockClient(endpoints: cluster.endpoints, owner: "observer@padlock-bench")
        let tally = Tally()
        let end = ContinuousClock.now + .milliseconds(Int64((Double(kills) + 1) * interval * 1000))
        let workload = Task {
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        await LocksBenchmark.loop(worker: worker, keys: 0, client: client, until: end, tally: tally)
                    }
                }
            }
        }
        let stalls = try await killLeaders(cluster, observer: observer, tally: tally)
        await workload.value
        await client.close()
        await observer.close()
        report(stalls, errors: tally.snapshot().errors)
    }

    /// Kills whichever node leads, `kills` times, `interval` apart; returns each kill's stall.
    private func killLeaders(_ cluster: BenchCluster, observer: PadlockClient, tally: Tally) async throws -> [Duration]
    {
        var stalls: [Duration] = []
        let spacing = Duration.milliseconds(Int64(interval * 1000))
        try await Task.sleep(for: spacing)
        for _ in 0..<kills {
            guard let leader = await BenchCluster.leader(observer) else {
                throw ValidationFailure("no leader to kill; see the node logs in \(cluster.directory.path)")
            }
            let killed = ContinuousClock.now
            cluster.kill9(leader)
            try await Task.sleep(for: spacing / 2)
            try cluster.restart(leader)
            try await Task.sleep(for: spacing / 2)
            let stall = tally.longestGap(around: killed, until: killed + spacing / 2)
            stalls.append(stall)
            if !json {
                print(
                    "killed node \(leader) (leader): longest stall "
                        + String(format: "%.1f ms", Self.milliseconds(stall)))
            }
        }
        return stalls
    }

    private func report(_ stalls: [Duration], errors: Int) {
        let figures = stalls.map(Self.milliseconds)
        let worst = figures.max() ?? 0
        if json {
            let list = figures.map { String(format: "%.1f", $0) }.joined(separator: ",")
            print(
                "{\"system\":\"padlock\",\"kills\":\(stalls.count),\"stalls_ms\":[\(list)],"
                    + "\"worst_stall_ms\":\(String(format: "%.1f", worst)),\"errors\":\(errors)}")
        } else {
            print("\(stalls.count) leader kills: worst stall \(String(format: "%.1f", worst)) ms; errors \(errors)")
        }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }
}

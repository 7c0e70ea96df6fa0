import ArgumentParser
import Foundation
import Histogram
import PadlockClient

/// `padlock-bench events`: what the cluster's unasked notices cost and how fast they arrive (issue 21,
/// docs/events.md), on a dev cluster of its own.
///
/// - **Notice latency**: a holder client acquires a fresh key, an admin client force-unlocks it, and the
///   holder's `Lock.states` is read until `.lost`. Measured from just before the force-unlock is sent (so it
///   includes the commit: an upper bound on commit → `.lost`) and from the moment its answer arrives (the
///   answer leaves the leader after the commit too; a notice may come first, counted apart). Idle, and
///   during each workload phase.
/// - **Throughput with watches**: the 64-worker lock workload of `padlock-bench locks` (each worker its own
///   key `bench/record-<worker>`), first with no watch, then with `--watches` watches on keys nobody locks
///   (`bench/idle-<i>`), then with as many on `bench/record-0…` (the workload's keys among them, so every
///   cycle sends states), then with none again.
/// - **Memory per watch**: the leader's resident memory (VmRSS) before and after the idle watches are
///   established, divided by their number.
struct EventsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Notice latency of a force-unlock, lock throughput with many watches, memory per watch.")

    @Option(help: "Force-unlock notices measured idle and in each workload phase.") var samples = 200
    @Option(help: "Watches established for the watched phases.") var watches = 10_000
    @Option(help: "Watches per client library instance (each its own connection; the node allows 10,000).")
    var watchesPerClient = 10_000
    @Option(help: "Workers of the lock workload, each its own session and key.") var workers = 64
    @Option(help: "Seconds of each workload phase.") var duration = 10.0
    @OptionGroup var devCluster: BenchClusterOptions
    @Flag(help: "Print one JSON object as the last line.") var json = false

    func validate() throws {
        guard samples > 0, watches > 0, (1...10_000).contains(watchesPerClient), workers > 0, duration > 0 else {
            throw ValidationError(
                "--samples, --watches, --workers and --duration must be positive, --watches-per-client 1-10000")
        }
    }

    func run() async throws {
        try await devCluster.start().run { cluster in
            let probe = try await NoticeProbe(endpoints: cluster.endpoints)
            do {
                let result = try await measure(cluster, probe: probe)
                await probe.close()
                report(result)
            } catch {
                await probe.close()
                throw error
            }
        }
    }

    private func measure(_ cluster: BenchCluster, probe: NoticeProbe) async throws -> EventsResult {
        var result = EventsResult()
        try await probe.warmUp()
        progress("notices, idle")
        result.idle = try await probe.measure(samples: samples, over: nil)
        result.phases.append(try await phase("no watches", cluster, probe: probe, fleet: nil))
        guard let leader = await BenchCluster.leader(probe.admin) else { throw ValidationFailure("no leader") }
        let before = cluster.residentBytes(leader)
        progress("establishing \(watches) watches on idle keys")
        let started = ContinuousClock.now
        let idle = try await WatchFleet.start(
            endpoints: cluster.endpoints, keys: (0..<watches).map { "bench/idle-\($0)" }, perClient: watchesPerClient)
        result.establishSeconds = FailoverBenchmark.milliseconds(ContinuousClock.now - started) / 1000
        try await Task.sleep(for: .seconds(2))
        let after = cluster.residentBytes(leader)
        if let before, let after, await BenchCluster.leader(probe.admin) == leader {
            result.memory = (before, after)
        }
        result.phases.append(try await phase("\(watches) watches, idle keys", cluster, probe: probe, fleet: idle))
        await idle.close()
        progress("establishing \(watches) watches on the workload's keys and others")
        let busy = try await WatchFleet.start(
            endpoints: cluster.endpoints, keys: (0..<watches).map { "bench/record-\($0)" },
            perClient: watchesPerClient)
        result.phases.append(try await phase("\(watches) watches, workload keys", cluster, probe: probe, fleet: busy))
        await busy.close()
        result.phases.append(try await phase("no watches again", cluster, probe: probe, fleet: nil))
        return result
    }

    /// One workload phase with notices measured alongside; counts the states the fleet received meanwhile.
    private func phase(
        _ name: String, _ cluster: BenchCluster, probe: NoticeProbe, fleet: WatchFleet?
    ) async throws
        -> PhaseResult
    {
        progress("workload: \(name)")
        let statesBefore = fleet?.counters.states.load(ordering: .relaxed) ?? 0
        let spacing = Duration.milliseconds(Int64(duration * 1000)) / samples
        async let notices = probe.measure(samples: samples, over: spacing)
        let tally = try await Self.workload(
            endpoints: cluster.endpoints, workers: workers, duration: duration)
        let measured = try await notices
        let states = (fleet?.counters.states.load(ordering: .relaxed) ?? 0) - statesBefore
        let failed = fleet?.counters.failures.load(ordering: .relaxed) ?? 0
        return PhaseResult(
            name: name, watches: fleet?.count ?? 0, cycles: tally.cycles, errors: tally.errors,
            acquireP99: Double(tally.latency.valueAtPercentile(99)) / 1000, notices: measured,
            statesReceived: states, watchesEnded: failed, duration: duration)
    }

    /// The `padlock-bench locks` workload (own keys, 32 workers per client) for `duration` seconds.
    static func workload(endpoints: [String], workers: Int, duration: Double) async throws -> Tally.Snapshot {
        let perClient = 32
        let clients = try await LocksBenchmark.clients(endpoints: endpoints, workers: workers, perClient: perClient)
        let tally = Tally()
        let deadline = ContinuousClock.now + .milliseconds(Int64(duration * 1000))
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                let client = clients[worker / perClient]
                group.addTask {
                    await LocksBenchmark.loop(worker: worker, keys: 0, client: client, until: deadline, tally: tally)
                }
            }
        }
        for client in clients { await client.close() }
        return tally.snapshot()
    }

    private func progress(_ text: String) {
        guard !json else { return }
        FileHandle.standardError.write(Data("\(text)…\n".utf8))
    }
}

import Foundation
import Logging
import PadlockClient

#if canImport(Glibc)
    import Glibc
#endif

struct RunSettings: Sendable {
    var directory: URL
    var seconds: Double
    var seed: UInt64
    var kinds: [FaultKind]
    var clients: Int
    var keys: Int
    var pausers: Int
    var basePort: Int
    var selfCheck: Bool
    /// Seconds between the administrator's force-unlocks of a random record (nil: none).
    var forceUnlockEvery: ClosedRange<Double>? = 1...3
}

struct RunResults {
    var settings: RunSettings
    var checks: CheckResults
    var faults: [AppliedFault]
    var injectorNotes: [String]
    var notices: NoticeSummary
    var report: String { Report(results: self).text }
}

/// Runs one chaos run from start to report.
final class Orchestrator: @unchecked Sendable {
    let settings: RunSettings
    let quiet = Logger(label: "chaos.client") { _ in SwiftLogNoOpLogHandler() }

    init(settings: RunSettings) { self.settings = settings }

    private var padlockd: URL {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        return here.appendingPathComponent("padlockd")
    }

    func run() async throws -> RunResults {
        let directory = settings.directory
        guard FileManager.default.isExecutableFile(atPath: padlockd.path) else {
            throw ChaosError(
                "no padlockd next to padlock-chaos (\(padlockd.path)); build it: swift build --product padlockd")
        }
        let clusterID = UInt64(1000 + settings.seed % 1_000_000)
        let cluster = ChaosCluster(
            directory: directory, basePort: settings.basePort, padlockd: padlockd, clusterID: clusterID)
        progress("starting three nodes in \(directory.path)")
        do {
            try await cluster.start(tmpfsNode: settings.kinds.contains(.disk) ? 2 : nil, tmpfsBytes: 96 << 20)
        } catch {
            await cluster.stop()
            throw error
        }
        let history = try HistoryWriter(path: directory.appendingPathComponent("history.jsonl").path)
        let databasePath = directory.appendingPathComponent("records.sqlite").path
        let store = try RecordStore(path: databasePath, fenced: !settings.selfCheck)
        try store.create(keys: settings.keys)

        let startNs = Clocks.monotonicNanoseconds()
        let endNs = startNs + UInt64(settings.seconds * 1e9)
        let sentinel = try await Sentinel.start(cluster: cluster, history: history, logger: quiet)
        let children = try startChildren(cluster: cluster, database: databasePath, until: endNs)
        let injector = FaultInjector(cluster: cluster, history: history)
        injector.recordCount = settings.keys
        let plan = planFaults(kinds: settings.kinds, seed: settings.seed, seconds: settings.seconds)
        noteSkippedFaults(cluster, injector)
        progress(
            "\(settings.clients) front ends, \(settings.pausers) pausing ones, \(plan.count) faults planned, \(settings.seconds) s"
        )
        let clients = try await workloadClients(cluster)
        let (watcher, admin) = try await startListeners(cluster, history: history)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await injector.run(plan, until: endNs) }
            if let admin {
                let random = SeededGenerator(seed: settings.seed).derived(0xAD)
                group.addTask { await admin.run(until: endNs, random: random) }
            }
            for index in 0..<settings.clients {
                let frontEnd = FrontEnd(
                    name: "w\(index + 1)", client: clients[index % clients.count], store: store, history: history,
                    behaviour: FrontEndBehaviour(keys: settings.keys),
                    random: SeededGenerator(seed: settings.seed).derived(UInt64(index + 1)))
                group.addTask { await frontEnd.run(until: endNs) }
            }
        }
        let workloadEndNs = Clocks.monotonicNanoseconds()
        progress("workload done; healing")
        injector.packets?.clear()
        injector.restartUnexpectedlyStopped()
        await heal(cluster)
        let healedNs = Clocks.monotonicNanoseconds()
        await waitForChildren(children)
        for client in clients { await client.close() }
        await admin?.close()
        await sentinel.verify(keys: settings.keys)
        await sentinel.close()
        progress("comparing the watches with the cluster")
        let convergence = await watcher.converge(deadline: .seconds(20))
        await watcher.stop()
        history.close()
        await cluster.stop()
        return try check(
            store: store, injector: injector, watcher: watcher, convergence: convergence, healedNs: healedNs,
            workloadEndNs: workloadEndNs)
    }

    /// The watcher, and the administrator when force-unlocks are asked for (issue 21's notices).
    private func startListeners(
        _ cluster: ChaosCluster, history: HistoryWriter
    ) async throws
        -> (ChaosWatcher, Administrator?)
    {
        let watcher = try await ChaosWatcher.start(cluster: cluster, keys: settings.keys, logger: quiet)
        let admin = try await settings.forceUnlockEvery.asyncMap { every in
            try await Administrator.start(
                cluster: cluster, history: history, keys: settings.keys, every: every, logger: quiet)
        }
        return (watcher, admin)
    }

    /// Reads the histories back, runs the checkers and sums up the notices.
    private func check(
        store: RecordStore, injector: FaultInjector, watcher: ChaosWatcher, convergence: ChaosWatcher.Convergence,
        healedNs: UInt64, workloadEndNs: UInt64
    ) throws -> RunResults {
        progress("checking")
        let directory = settings.directory
        let paths =
            [directory.appendingPathComponent("history.jsonl").path]
            + (0..<settings.pausers).map { directory.appendingPathComponent("history-p\($0 + 1).jsonl").path }
        let events = try readHistory(paths).sorted { ($0.monoNs, $0.process) < ($1.monoNs, $1.process) }
        let record = RunRecord(
            events: events, accepted: try store.acceptedWrites(), counters: try store.counters(),
            faults: injector.applied, workloadEndNs: workloadEndNs)
        var checks = Checkers(record: record).run()
        var notices = NoticeSummary(
            events: events, watcher: watcher.state.withLock { $0 }, faults: injector.applied,
            workloadEndNs: workloadEndNs)
        notices.convergence = convergence
        notices.finalHealNs = healedNs
        checks.watches = convergence.mismatches
        return RunResults(
            settings: settings, checks: checks, faults: injector.applied, injectorNotes: injector.notes,
            notices: notices)
    }

    /// Fault kinds asked for that this machine cannot inject, each with why (the report lists the notes).
    private func noteSkippedFaults(_ cluster: ChaosCluster, _ injector: FaultInjector) {
        if settings.kinds.contains(.clock) && !cluster.faketimeWorks {
            injector.note(
                "clock: skipped — libfaketime is not installed (apt-get install faketime), or padlockd under it "
                    + "did not read PADLOCK_CONFIG")
        }
        if settings.kinds.contains(.packet), let reason = PacketFaults.unavailableReason() {
            injector.note("packet: skipped — \(reason)")
        }
        if settings.kinds.contains(.disk) && cluster.tmpfsNode == nil {
            injector.note("disk: skipped — the tmpfs could not be mounted (not root?)")
        }
    }

    /// A few shared clients for the in-process front ends, through the client proxies.
    private func workloadClients(_ cluster: ChaosCluster) async throws -> [PadlockClient] {
        var clients: [PadlockClient] = []
        for index in 0..<min(4, settings.clients) {
            let client = try await cluster.proxiedClient(owner: "frontend-\(index + 1)@chaos", logger: quiet) {
                $0.sessionTTL = .seconds(4)
                $0.callDeadline = .seconds(5)
                $0.attemptTimeout = .milliseconds(800)
            }
            clients.append(client)
        }
        return clients
    }

    private func startChildren(cluster: ChaosCluster, database: String, until: UInt64) throws -> [Process] {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return try (0..<settings.pausers).map { index in
            let process = Process()
            process.executableURL = me
            process.arguments =
                [
                    "frontend", "--name", "p\(index + 1)", "--endpoints",
                    cluster.proxiedEndpoints.joined(separator: ","),
                    "--cluster", "\(cluster.clusterID)", "--database", database,
                    "--history", settings.directory.appendingPathComponent("history-p\(index + 1).jsonl").path,
                    "--keys", "\(settings.keys)", "--seed", "\(settings.seed &* 31 &+ UInt64(index))", "--until-ns",
                    "\(until)",
                    "--pause-probability", settings.selfCheck ? "0.5" : "0.15",
                ] + (settings.selfCheck ? ["--unfenced"] : [])
            let log = settings.directory.appendingPathComponent("frontend-p\(index + 1).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            process.standardInput = FileHandle.nullDevice
            try process.run()
            return process
        }
    }

    /// Waits for the pausing front ends to finish. A pause under way runs its full course (its own waker
    /// sends SIGCONT, at most `pauseSeconds` after it stopped), so the last pause of a run lapses the lease
    /// like every other; only a child still stopped after that gets SIGCONT from here.
    private func waitForChildren(_ children: [Process]) async {
        let start = Date()
        let deadline = start.addingTimeInterval(30)
        let wakeAfter = FrontEndBehaviour(keys: 1).pauseSeconds.upperBound + 3
        while children.contains(where: \.isRunning) && Date() < deadline {
            if Date().timeIntervalSince(start) > wakeAfter {
                for child in children where child.isRunning { kill(child.processIdentifier, SIGCONT) }
            }
            await pause(.milliseconds(100))
        }
        for child in children where child.isRunning {
            progress("front end \(child.processIdentifier) did not stop; SIGKILL")
            kill(child.processIdentifier, SIGKILL)
        }
    }

    /// Everything back to normal: links pass, stopped nodes continue, dead nodes restart, a leader serves.
    private func heal(_ cluster: ChaosCluster) async {
        await cluster.healNetwork()
        for node in ChaosCluster.nodes {
            cluster.signal(node, SIGCONT)
            if !cluster.isRunning(node) { try? cluster.startNode(node) }
        }
        if await cluster.waitForLeader(seconds: 20) == nil { progress("no leader 20 s after the heal") }
    }
}

extension Optional {
    /// `map` with an asynchronous, throwing transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}

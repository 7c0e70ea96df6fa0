// padlock-chaos: the chaos harness. Three real padlockd nodes on loopback behind fault proxies, a fenced
// SQLite CRM workload on PadlockClient, a seeded fault schedule, then checkers and a report (chaos/README.md).
import ArgumentParser
import Foundation
import Logging
import PadlockClient

#if canImport(Glibc)
    import Glibc
#endif

@main
struct Chaos: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "padlock-chaos",
        abstract: "Chaos-test a local three-node Padlock cluster and check what the clients saw.",
        subcommands: [Run.self, ChildFrontEnd.self], defaultSubcommand: Run.self)
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Start a cluster, run the workload under seeded faults, heal, check and report.",
        discussion: """
            Exit status: 0 when no checker found a violation; 1 when one did. With --self-check the store ignores \
            fences, so violations are expected: the status is 0 when they are reported and 1 when none are.
            """)

    @Option(help: "How long the workload runs, such as 60s.") var duration: String = "60s"
    @Option(help: "Seed of the fault schedule and the workload's choices.") var seed: UInt64 = 1
    @Option(
        help: ArgumentHelp(
            "Comma-separated faults: kill, kill-all, pause, partition, latency, clock, disk, restart, packet, "
                + "wipe, flood; or all, or none."))
    var faults: String = "all"
    @Option(help: "Simulated CRM front ends in this process.") var clients: Int = 32
    @Option(help: "Records (each with phone and email field locks).") var keys: Int = 20
    @Option(help: "Front ends in child processes that stop themselves (SIGSTOP) while holding a lock.")
    var pausers: Int = 2
    @Option(help: "Directory for the history, the store, node logs and the report.") var out: String?
    @Option(help: "First of 300 ports used by the nodes.") var basePort: Int = 27_400
    @Option(
        help: "Seconds between an administrator's force-unlocks of a random record, as MIN-MAX or one number; 0: none.")
    var forceUnlockEvery: String = "1-3"
    @Flag(help: "Disable fencing in the store: the checkers must report violations.") var selfCheck = false
    @Flag(
        inversion: .prefixedNo,
        help: "Run in a network namespace of its own when the packet fault is asked for (needs root, ip, nft and tc).")
    var networkNamespace = true

    func run() async throws {
        ignoreBrokenPipes()
        guard let length = parseDuration(duration), length >= .seconds(5) else {
            throw ValidationError("--duration must be at least 5s, such as 60s")
        }
        let kinds = try parseFaults(faults)
        if kinds.contains(.packet) && networkNamespace, let status = try NetworkNamespace.runInside() {
            throw ExitCode(status)
        }
        let directory = URL(fileURLWithPath: out ?? ".chaos/seed-\(seed)-\(Int(Date().timeIntervalSince1970))")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let settings = RunSettings(
            directory: directory, seconds: length.seconds, seed: seed, kinds: kinds, clients: max(1, clients),
            keys: max(1, keys), pausers: max(0, pausers), basePort: basePort, selfCheck: selfCheck,
            forceUnlockEvery: try parseInterval(forceUnlockEvery))
        let results = try await Orchestrator(settings: settings).run()
        let text = results.report
        print(text)
        try? text.write(to: directory.appendingPathComponent("report.txt"), atomically: true, encoding: .utf8)
        let violations = results.checks.violationCount
        if selfCheck ? violations == 0 : violations > 0 { throw ExitCode(1) }
    }

    /// `1-3` → 1...3, `2` → 2...2, `0` → nil (no force-unlocks).
    private func parseInterval(_ text: String) throws -> ClosedRange<Double>? {
        let parts = text.split(separator: "-").map { Double($0) }
        guard (1...2).contains(parts.count), let low = parts.first ?? nil, let high = parts.last ?? nil, low >= 0,
            high >= low
        else {
            throw ValidationError(
                "--force-unlock-every takes seconds as MIN-MAX or one number, such as 1-3; got \(text)")
        }
        if high == 0 { return nil }
        guard low >= 0.1 else { throw ValidationError("--force-unlock-every must be at least 0.1 s, got \(text)") }
        return low...high
    }

    private func parseFaults(_ text: String) throws -> [FaultKind] {
        if text == "all" { return FaultKind.allCases }
        if text == "none" || text.isEmpty { return [] }
        return try text.split(separator: ",").map { name in
            guard let kind = FaultKind(rawValue: String(name)) else {
                throw ValidationError(
                    "unknown fault \(name); known: \(FaultKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return kind
        }
    }
}

/// A front end in a process of its own, started by `run`, so that it can stop the whole process (renewals
/// included) while holding a lock, as a long GC pause does.
struct ChildFrontEnd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frontend", abstract: "(internal) one pausing front end.")

    @Option var name: String
    @Option var endpoints: String
    @Option var cluster: UInt64
    @Option var database: String
    @Option var history: String
    @Option var keys: Int
    @Option var seed: UInt64
    @Option var untilNs: UInt64
    @Option var pauseProbability: Double
    @Flag var unfenced = false

    func run() async throws {
        ignoreBrokenPipes()
        let writer = try HistoryWriter(path: history)
        let store = try RecordStore(path: database, fenced: !unfenced)
        var configuration = PadlockClient.Configuration()
        configuration.sessionTTL = .seconds(2)
        configuration.callDeadline = .seconds(4)
        let client = try await PadlockClient(
            endpoints: endpoints.split(separator: ",").map(String.init), owner: "\(name)@chaos", cluster: cluster,
            configuration: configuration, logger: Logger(label: "chaos.client") { _ in SwiftLogNoOpLogHandler() })
        let frontEnd = FrontEnd(
            name: name, client: client, store: store, history: writer,
            behaviour: FrontEndBehaviour(keys: keys, pauseProbability: pauseProbability),
            random: SeededGenerator(seed: seed))
        await frontEnd.run(until: untilNs)
        await client.close()
        writer.close()
    }
}

/// A write to a connection the peer reset raises SIGPIPE, whose default action ends the process: neither
/// EventLoop nor PadlockClient ignores it (padlockd dies of it too — chaos/README.md, findings). The harness
/// hosts clients and proxies, so it ignores SIGPIPE and sees EPIPE instead.
func ignoreBrokenPipes() { signal(SIGPIPE, SIG_IGN) }

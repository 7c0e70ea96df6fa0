// padlock-sim: runs the real node under simulated faults, seed by seed (see docs/simulation.md).
import ArgumentParser
import Simulation

#if canImport(Glibc)
    import Glibc
#endif

/// Dictionary order must not differ between processes, so `--seed N` replays exactly what `--seeds` ran:
/// the simulator re-executes itself once with Swift's deterministic hashing switched on.
func ensureDeterministicHashing() {
    guard getenv("SWIFT_DETERMINISTIC_HASHING") == nil else { return }
    setenv("SWIFT_DETERMINISTIC_HASHING", "1", 1)
    var arguments = CommandLine.arguments.map { strdup($0) } + [nil]
    execv("/proc/self/exe", &arguments)
    // exec failed: carry on; in-process runs are still deterministic.
}

struct SeedRange: ExpressibleByArgument {
    var first: UInt64
    var last: UInt64

    init?(argument: String) {
        let parts = argument.split(separator: "-")
        guard parts.count == 2, let first = UInt64(parts[0]), let last = UInt64(parts[1]), first <= last else {
            return nil
        }
        self.first = first
        self.last = last
    }
}

@main
struct PadlockSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "padlock-sim",
        abstract: "Run Padlock's node under seeded network, disk, clock and process faults and check every guarantee.")

    @Option(help: "Run one seed.") var seed: UInt64?
    @Option(help: "Run a range of seeds, such as 1-2000.") var seeds: SeedRange?
    @Option(help: "Nodes in the cluster: 1, 3 or 5.") var nodes: Int = 3
    @Option(help: "Length of the fault phase in 10 ms ticks.") var ticks: Int = 2_000
    @Option(
        help:
            "Faults to inject, comma-separated (\(FaultKind.allCases.map(\.rawValue).joined(separator: ","))), 'all' or 'none'."
    )
    var faults: String = "all"
    @Option(help: "Simulated CRM clients.") var clients: Int = 5
    @Flag(help: "Print a readable trace of the run (with --seed).") var trace = false
    @Flag(help: "Prove the checkers catch deliberately injected bugs, and that a seed replays exactly.")
    var selfTest = false
    @Option(help: "Seeds each injected bug may use in --self-test.") var budget: Int = 300
    @Option(help: "Seeds of each bug's profile run without the bug in --self-test; all must be clean.")
    var controls: Int = 20
    @Option(
        help:
            "With --self-test: only this injected bug (\(InjectedBug.allCases.map(\.rawValue).joined(separator: ", ")))."
    )
    var bug: String?

    func validate() throws {
        guard [1, 3, 5].contains(nodes) else { throw ValidationError("--nodes must be 1, 3 or 5") }
        guard ticks > 0, clients > 0 else { throw ValidationError("--ticks and --clients must be positive") }
        _ = try faultSet()
        if let bug, InjectedBug(rawValue: bug) == nil { throw ValidationError("--bug: no injected bug named \(bug)") }
    }

    func faultSet() throws -> Set<FaultKind> {
        if faults == "all" { return Set(FaultKind.allCases) }
        if faults == "none" || faults.isEmpty { return [] }
        var set: Set<FaultKind> = []
        for name in faults.split(separator: ",") {
            guard let kind = FaultKind(rawValue: String(name)) else {
                throw ValidationError("unknown fault '\(name)'; known: \(FaultKind.allCases.map(\.rawValue))")
            }
            set.insert(kind)
        }
        return set
    }

    func options(seed: UInt64) throws -> SimulationOptions {
        SimulationOptions(
            seed: seed, nodeCount: nodes, faultTicks: ticks, faults: try faultSet(), clientCount: clients, trace: trace)
    }

    mutating func run() throws {
        ensureDeterministicHashing()
        if selfTest {
            try runSelfTest()
            return
        }
        let range = seeds ?? SeedRange(argument: "\(seed ?? 1)-\(seed ?? 1)")!
        let started = ContinuousClock.now
        var failed: [UInt64] = []
        var simulated: UInt64 = 0
        var operations = 0
        var grants = 0
        var groups = 0
        var inconclusive = 0
        var holds = (placed: 0, grants: 0)
        for number in range.first...range.last {
            let report = Simulation(options: try options(seed: number)).run()
            simulated += report.simulatedMicroseconds
            operations += report.operationCount
            grants += report.grantCount
            groups += report.checkedGroups
            inconclusive += report.inconclusiveGroups
            holds.placed += report.holdsPlaced
            holds.grants += report.grantsUnderHolds
            if trace { for line in report.trace { print(line) } }
            if !report.violations.isEmpty {
                failed.append(number)
                print("seed \(number): \(report.violations.count) violation(s)")
                for line in report.violations.prefix(5) { print("  \(line)") }
                print(
                    "  replay: padlock-sim --seed \(number) --nodes \(nodes) --ticks \(ticks) --faults \(faults) --trace"
                )
            }
        }
        let seconds =
            Double((ContinuousClock.now - started).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - started).components.seconds)
        let runs = Int(range.last - range.first + 1)
        let rate = (Double(runs) / max(seconds, 0.001) * 10).rounded() / 10
        print(
            "simulated \(simulated / 1_000_000) s of cluster time, \(operations) lock operations (\(grants) grants), "
                + "\(groups) key groups checked for linearizability (\(inconclusive) inconclusive), "
                + "\(holds.placed) holds placed (\(holds.grants) grants checked against holds in place), "
                + "\(rate) seeds/s (\(Int(seconds)) s)")
        print("seeds \(range.first)-\(range.last): \(runs) runs, \(failed.count) violations")
        if !failed.isEmpty { throw ExitCode(1) }
    }

    private func runSelfTest() throws {
        if let seed, let bug = bug.flatMap(InjectedBug.init(rawValue:)) {
            try replayControl(bug: bug, seed: seed)
            return
        }
        let (deterministic, first, second) = SelfTest.isDeterministic(seed: 7)
        print(
            "determinism: seed 7 twice: trace hashes \(first) and \(second): \(deterministic ? "identical" : "DIFFERENT")"
        )
        let bugs = bug.flatMap(InjectedBug.init(rawValue:)).map { [$0] } ?? InjectedBug.allCases
        let outcomes = SelfTest.run(bugs: bugs, budget: budget, controls: controls) { outcome in
            if let seed = outcome.caughtBySeed {
                print("caught \(outcome.bug.rawValue) at seed \(seed): \(outcome.violation ?? "")")
            } else {
                print("MISSED \(outcome.bug.rawValue) in \(outcome.seedsRun) seeds")
            }
            if let failed = outcome.failedControl {
                print("  CONTROL FAILED without the bug, seed \(failed.seed): \(failed.violation)")
                print("  replay: padlock-sim --self-test --bug \(outcome.bug.rawValue) --seed \(failed.seed) --trace")
            } else {
                print("  \(outcome.controlSeeds) control seeds of the same profile without the bug: clean")
            }
        }
        let caught = outcomes.filter(\.passed).count
        print(
            "self-test: \(caught) of \(outcomes.count) injected bugs caught, determinism \(deterministic ? "ok" : "FAILED")"
        )
        if caught < outcomes.count || !deterministic { throw ExitCode(1) }
    }

    /// `--self-test --bug NAME --seed N`: one seed of the bug's profile run without the bug (a control), as
    /// the self-test ran it, so that a failed control can be replayed and traced.
    private func replayControl(bug: InjectedBug, seed: UInt64) throws {
        var options = SelfTest.options(for: bug, seed: seed)
        options.bug = nil
        options.trace = trace
        let report = Simulation(options: options).run()
        if trace { for line in report.trace { print(line) } }
        for line in report.violations.prefix(5) { print("  \(line)") }
        print("control seed \(seed) of \(bug.rawValue)'s profile: \(report.violations.count) violation(s)")
        if !report.violations.isEmpty { throw ExitCode(1) }
    }
}

/// Builds the node with each deliberate bug in turn and requires the checkers to catch it within a budget of
/// seeds: proof that the checkers bite.
public enum SelfTest {
    /// How one injected bug fared.
    public struct Outcome: Sendable {
        /// The bug.
        public var bug: InjectedBug
        /// The first seed whose run reported a violation, or nil when none did within the budget.
        public var caughtBySeed: UInt64?
        /// Seeds run for this bug.
        public var seedsRun: Int
        /// The first violation reported.
        public var violation: String?
    }

    /// The run options that give a bug its best chance to show: the faults it needs, nothing that hides it.
    public static func options(for bug: InjectedBug, seed: UInt64) -> SimulationOptions {
        var options = SimulationOptions(seed: seed, faultTicks: 1_500, bug: bug)
        switch bug {
        case .acknowledgeBeforeFsync:
            options.faults = [.crash, .disk, .partition]
        case .grantWithoutConflictCheck:
            options.faults = []
            options.clientPauses = false
        case .expireSessionEarly:
            options.faults = [.loss]
            options.clientPauses = false
        case .skipDeduplication:
            options.faults = [.loss, .clog]
        case .commitPreviousTermByCounting:
            options.faults = [.crash, .partition, .disk]
        }
        return options
    }

    /// Runs every bug's seeds, from 1 up to `budget`, stopping at the first violation for each.
    public static func run(budget: Int, progress: (Outcome) -> Void = { _ in }) -> [Outcome] {
        InjectedBug.allCases.map { bug in
            var outcome = Outcome(bug: bug, caughtBySeed: nil, seedsRun: 0, violation: nil)
            for seed in 1...UInt64(max(budget, 1)) {
                outcome.seedsRun += 1
                let report = Simulation(options: options(for: bug, seed: seed)).run()
                if let first = report.violations.first {
                    outcome.caughtBySeed = seed
                    outcome.violation = first
                    break
                }
            }
            progress(outcome)
            return outcome
        }
    }

    /// Runs `seed` twice and says whether both runs processed exactly the same events.
    public static func isDeterministic(seed: UInt64, options: SimulationOptions? = nil) -> (Bool, UInt64, UInt64) {
        var chosen = options ?? SimulationOptions(seed: seed)
        chosen.seed = seed
        let first = Simulation(options: chosen).run()
        let second = Simulation(options: chosen).run()
        return (first.traceHash == second.traceHash, first.traceHash, second.traceHash)
    }
}

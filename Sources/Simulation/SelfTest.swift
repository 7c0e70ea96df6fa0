/// Builds the node with each deliberate bug in turn and requires the checkers to catch it within a budget of
/// seeds: proof that the checkers bite.
package enum SelfTest {
    /// How one injected bug fared.
    package struct Outcome: Sendable {
        /// The bug.
        package var bug: InjectedBug
        /// The first seed whose run reported a violation, or nil when none did within the budget.
        package var caughtBySeed: UInt64?
        /// Seeds run for this bug.
        package var seedsRun: Int
        /// The first violation reported.
        package var violation: String?
        /// Seeds of the same profile run without the bug (controls), and the first control that reported a
        /// violation: a profile that fails without its bug proves nothing about the checkers.
        package var controlSeeds: Int = 0
        package var failedControl: (seed: UInt64, violation: String)?

        /// Caught within the budget, and every control run clean.
        package var passed: Bool { caughtBySeed != nil && failedControl == nil }
    }

    /// The run options that give a bug its best chance to show: the faults it needs, nothing that hides it.
    package static func options(for bug: InjectedBug, seed: UInt64) -> SimulationOptions {
        var options = SimulationOptions(seed: seed, faultTicks: 1_500, bug: bug)
        switch bug {
        case .acknowledgeBeforeFsync:
            // Slow disks keep writes in flight long enough for crashes to find acknowledged, unsynced state.
            options.faults = [.crash, .partition]
            options.diskLatencyMean = 30_000
            options.faultInterval = 80_000...400_000
            options.downtime = 10_000...200_000
            options.leaderBias = 0.3
        case .grantWithoutConflictCheck:
            options.faults = []
            options.clientPauses = false
        case .expireSessionEarly:
            options.faults = [.loss]
            options.clientPauses = false
        case .skipDeduplication:
            options.faults = [.loss, .clog]
        case .commitPreviousTermByCounting:
            // Figure 8 needs leaders to crash with entries on a minority and come back quickly.
            options.nodeCount = 5
            options.faults = [.crash, .partition]
            options.diskLatencyMean = 50_000
            options.faultInterval = 40_000...200_000
            options.downtime = 10_000...300_000
            options.leaderBias = 0.9
            // Watch traffic and the holds workload add nothing to the Raft sequence it needs.
            options.watchers = false
            options.holds = false
        case .trustWallClock:
            // Clock faults that hit the leader often, so that one stamps while its clock is a day ahead.
            options.faults = [.clock]
            options.faultInterval = 80_000...300_000
            options.leaderBias = 0.9
        case .identityCheckDisabled:
            // The sequence: without the check, the wiped follower's vote elects the follower that
            // missed the acknowledged entries, and they are lost.
            options.faults = [.wipe]
            options.faultInterval = 100_000...300_000
        case .lossNoticeOnProposal:
            // Partitions and clogged links keep force-unlocks proposed but uncommitted for a while, and cut off
            // leaders propose ones that never commit; the notice sent meanwhile names a lock the log has not ended.
            options.faults = [.partition, .clog]
            options.faultInterval = 80_000...400_000
            options.leaderBias = 0.7
        case .clientFreshSequenceOnRetry:
            // Lost answers make the client retry; a retried release renumbered finds the lock already released.
            options.faults = [.loss, .clog]
        case .ignoreHolds:
            // No fault is needed: a grant through a hold is wrong whatever the network does.
            options.faults = []
            options.clientPauses = false
        case .clientLeaseIgnoresMargin:
            // Clients paused past their lease come back believing their locks still safe.
            options.faults = [.client]
            options.faultInterval = 80_000...400_000
        }
        return options
    }

    /// Runs every bug's seeds, from 1 up to `budget`, stopping at the first violation for each; then runs
    /// `controls` seeds of the same profile without the bug, which must all be clean.
    package static func run(
        bugs: [InjectedBug] = InjectedBug.allCases, budget: Int, controls: Int = 20,
        progress: (Outcome) -> Void = { _ in }
    ) -> [Outcome] {
        bugs.map { bug in
            var outcome = Outcome(bug: bug, caughtBySeed: nil, seedsRun: 0, violation: nil)
            for seed in 1...UInt64(max(controls, 1)) where controls > 0 && outcome.failedControl == nil {
                var control = options(for: bug, seed: seed)
                control.bug = nil
                outcome.controlSeeds += 1
                if let first = Simulation(options: control).run().violations.first {
                    outcome.failedControl = (seed, first)
                }
            }
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
    package static func isDeterministic(seed: UInt64, options: SimulationOptions? = nil) -> (Bool, UInt64, UInt64) {
        var chosen = options ?? SimulationOptions(seed: seed)
        chosen.seed = seed
        let first = Simulation(options: chosen).run()
        let second = Simulation(options: chosen).run()
        return (first.traceHash == second.traceHash, first.traceHash, second.traceHash)
    }
}

import Foundation
import LockHistory
import PadlockTypes
import Testing

/// Histories generated from a sequential run of the model with overlapping windows, checked as they are and
/// with one outcome changed. `PADLOCK_LONG=1` runs ten times as many seeds.
@Suite struct RandomizedTests {
    static let seedCount: UInt64 = ProcessInfo.processInfo.environment["PADLOCK_LONG"] == "1" ? 2_000 : 200

    @Test func historiesGeneratedFromTheModelAreAlwaysLinearizable() {
        let checker = LinearizabilityChecker()
        for seed in 1...Self.seedCount {
            let history = RandomHistory.generate(seed: seed, operationCount: Self.operationCount(seed))
            let report = checker.check(history)
            #expect(report.verdict == .linearizable, "seed \(seed): \(report)")
            let fences = FenceOrderCheck().check(history)
            #expect(fences.isEmpty, "seed \(seed): \(fences.map(\.description).joined(separator: "\n"))")
        }
    }

    @Test func historiesWithOneOutcomeChangedAreMostlyCaughtAndNeverCrashTheChecker() {
        let checker = LinearizabilityChecker()
        var verdicts: [LinearizabilityReport.Verdict: Int] = [:]
        for seed in 1...Self.seedCount {
            let history = RandomHistory.generate(seed: seed, operationCount: Self.operationCount(seed))
            var random = SeededGenerator(seed: seed ^ 0xDEAD_BEEF)
            let mutated = Mutation.mutate(history, using: &random)
            #expect(mutated != history, "seed \(seed): nothing to mutate")
            let report = checker.check(mutated)
            verdicts[report.verdict, default: 0] += 1
            if report.verdict == .violation { #expect(!report.violations.isEmpty && !report.description.isEmpty) }
        }
        let caught = verdicts[.violation, default: 0]
        #expect(caught * 10 >= Int(Self.seedCount) * 7, "caught \(caught) of \(Self.seedCount): \(verdicts)")
        #expect(verdicts[.inconclusive, default: 0] == 0, "\(verdicts)")
    }

    /// A few hundred operations, sometimes over a thousand.
    static func operationCount(_ seed: UInt64) -> Int { seed % 10 == 0 ? 1_200 : 100 + Int(seed % 7) * 60 }
}

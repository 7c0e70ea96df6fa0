import PadlockTypes
import Testing

@testable import ConfigFuzzing
@testable import PadlockConfig

@Suite struct FuzzTests {
    @Test func twentyThousandRandomAndMutatedDocumentsAreReadOrRefusedWithATypedError() {
        let iterations = 20_000
        let report = ConfigFuzzer.run(seed: 2026, iterations: iterations)
        #expect(report.failureCount == 0, "\(report.failures.joined(separator: "\n----\n"))")
        #expect(report.inputCount == iterations)
        // The run must get past the parser often, and into the schema's checks, or it tests too little.
        #expect(report.tomlAcceptedCount > iterations / 4, "\(report)")
        #expect(report.settingsAcceptedCount > iterations / 10, "\(report)")
        #expect(report.validConfirmedCount > iterations / 5, "\(report)")
        let expected: Set = [
            "toml syntax", "toml unsupported", "toml duplicate", "settings unknownField", "settings missingField",
            "settings wrongType", "settings invalidValue",
        ]
        #expect(expected.subtracting(report.errorCounts.keys).isEmpty, "\(report.errorCounts)")
    }

    @Test func theSameSeedReplaysTheSameRun() {
        let first = ConfigFuzzer.run(seed: 11, iterations: 1_000)
        let second = ConfigFuzzer.run(seed: 11, iterations: 1_000)
        #expect(first.tomlAcceptedCount == second.tomlAcceptedCount)
        #expect(first.settingsAcceptedCount == second.settingsAcceptedCount)
        #expect(first.errorCounts == second.errorCounts)
    }

    @Test func theChecksCatchAMisreadOrRefusedValidDocument() {
        var report = ConfigFuzzReport()
        ConfigFuzzer.check("a = 1", expecting: .table(table(["a": .integer(2)])), report: &report)
        #expect(report.failureCount == 1)
        ConfigFuzzer.check("a = 1.5", expecting: .table(table(["a": .integer(2)])), report: &report)
        #expect(report.failureCount == 2)
        ConfigFuzzer.check("cluster-id = 1", expecting: .unknown, report: &report)
        #expect(report.failureCount == 2, "a refusal of an unknown document is no failure")
        #expect(report.errorCounts["toml unsupported"] == 1 && report.errorCounts["settings missingField"] == 1)
    }

    @Test func theMutatorChangesItsInput() {
        var random = SplitMix64(seed: 3)
        let original = validDocument
        let changed = (0..<200).filter { _ in ConfigMutator.mutate(original, using: &random) != original }
        #expect(changed.count > 180)
    }

    @Test func generatedSettingsAreWrittenInManySpellings() {
        var random = SplitMix64(seed: 4)
        let settings = ConfigSamples.settings(using: &random)
        let spellings = Set((0..<50).map { _ in SettingsWriter.document(settings, style: .varied, random: &random) })
        #expect(spellings.count > 40)
    }
}

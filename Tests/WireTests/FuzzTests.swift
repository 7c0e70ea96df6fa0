import PadlockTypes
import Testing

@testable import Wire
@testable import WireFuzzing

@Suite struct FuzzTests {
    @Test func fiftyThousandFuzzedInputsDecodeOrFailCleanlyAndRoundTrip() {
        let iterations = isLongRun ? 1_000_000 : 50_000
        let report = WireFuzzer.run(seed: 2026, iterations: iterations)
        #expect(report.failureCount == 0, "\(report.failures)")
        #expect(report.inputCount == iterations)
        // The run must reach past the decoders' first checks, not just bounce off the kind byte.
        #expect(report.decodedCount > iterations / 10)
        #expect(report.framePayloadCount > iterations)
        #expect(report.oversizedFrameCount > 0)
        // Every way a decoder can refuse input must have happened, or the fuzzing is too shallow to trust.
        let expected: Set = [
            "truncated", "overlongVarint", "varintOverflow", "lengthTooLarge", "invalidBool", "invalidUTF8",
            "unknownTag", "trailingBytes", "invalidKey", "wrongMagic", "versionMismatch", "unexpectedKind",
            "frameTooLarge", "invalidTraceContext",
        ]
        #expect(expected.subtracting(report.errorCounts.keys).isEmpty, "\(report.errorCounts)")
    }

    @Test func theSameSeedReplaysTheSameRun() {
        let first = WireFuzzer.run(seed: 11, iterations: 2_000)
        let second = WireFuzzer.run(seed: 11, iterations: 2_000)
        #expect(first.decodedCount == second.decodedCount)
        #expect(first.framePayloadCount == second.framePayloadCount)
        #expect(first.oversizedFrameCount == second.oversizedFrameCount)
    }

    @Test func theRoundTripCheckCatchesADecoderThatLosesBytes() {
        var report = WireFuzzReport()
        let accepted = WireFuzzer.roundTrips("lossy", [1, 2, 3], &report) { bytes throws(WireError) in
            Array(bytes.dropLast())
        }
        #expect(accepted)
        #expect(report.failureCount == 1)
    }

    @Test func theMutatorChangesItsInput() {
        var random = SplitMix64(seed: 3)
        let original = WireSamples.message(using: &random).encoded()
        let changed = (0..<100).filter { _ in
            WireMutator.mutate(original, donor: [9, 9], using: &random) != original
        }
        #expect(changed.count > 90)
    }
}

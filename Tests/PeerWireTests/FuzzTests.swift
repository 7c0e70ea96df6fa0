import PadlockTypes
import Testing
import Wire

@testable import PeerWire
@testable import PeerWireFuzzing
@testable import WireFuzzing

@Suite struct FuzzTests {
    @Test func thirtyThousandFuzzedPayloadsDecodeOrFailCleanlyAndRoundTrip() {
        let iterations = isLongRun ? 1_000_000 : 30_000
        let report = PeerWireFuzzer.run(seed: 2026, iterations: iterations)
        #expect(report.failureCount == 0, "\(report.failures)")
        #expect(report.inputCount == iterations)
        // The run must reach past the decoders' first checks, not just bounce off the kind byte.
        #expect(report.decodedCount > iterations / 10)
        #expect(report.transferCount > iterations / 5)
        #expect(report.assembledCount > iterations / 10)
        #expect(report.refusedChunkCount > iterations / 20)
        // Every way a decoder or the assembler can refuse input must have happened, or the fuzzing is too
        // shallow to trust.
        let expected = Set([
            "truncated", "overlongVarint", "varintOverflow", "invalidBool", "unknownTag", "trailingBytes",
            "invalidValue", "handshake", "unknownPayloadKind", "clientMessage", "snapshotInBatch", "chunkOverrun",
            "emptyChunk", "chunkOutOfOrder", "chunkInconsistent", "unknownTransfer",
        ]).union(PeerWireLimit.allCases.map { "limitExceeded.\($0.rawValue)" })
        #expect(expected.subtracting(report.errorCounts.keys).isEmpty, "\(report.errorCounts)")
    }

    @Test func theSameSeedReplaysTheSameRun() {
        let first = PeerWireFuzzer.run(seed: 11, iterations: 2_000)
        let second = PeerWireFuzzer.run(seed: 11, iterations: 2_000)
        #expect(first.decodedCount == second.decodedCount)
        #expect(first.assembledCount == second.assembledCount)
        #expect(first.errorCounts == second.errorCounts)
    }

    @Test func theAcceptanceCheckCatchesAPayloadThatDecodesAsAnother() {
        var random = SplitMix64(seed: 8)
        let payload = PeerPayload.messages(PeerSamples.batch(using: &random))
        let other = PeerPayload.messages([message(.timeoutNow)])
        var report = PeerFuzzReport()
        PeerWireFuzzer.checkAccepted(payload, encoding: other.encoded(), report: &report)
        #expect(report.failureCount == 1)
        PeerWireFuzzer.checkAccepted(payload, encoding: [16, 0], report: &report)
        #expect(report.failureCount == 2)
    }
}

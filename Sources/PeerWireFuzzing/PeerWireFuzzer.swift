import PadlockTypes
import PeerWire
import Raft
import Wire
import WireFuzzing

/// What the peer-wire fuzzer counts besides inputs and failures.
package struct PeerFuzzCounts: DecoderFuzzCounts {
    /// Inputs that at least one decoder accepted.
    package var decodedCount = 0
    /// Snapshot transfers fed, chunk by chunk, to an assembler.
    package var transferCount = 0
    /// Snapshot messages the assemblers gave back.
    package var assembledCount = 0
    /// Chunks an assembler refused.
    package var refusedChunkCount = 0

    /// All counts zero.
    package init() {}

    package var description: String {
        "\(decodedCount) decoded, \(transferCount) snapshot transfers, \(assembledCount) assembled, "
            + "\(refusedChunkCount) chunks refused"
    }
}

/// What one peer fuzz run saw. Besides the shared failures, an assembler that gave back the wrong message or
/// none when it should have is a broken property.
package typealias PeerFuzzReport = FuzzReport<PeerFuzzCounts>

/// A seeded random-input driver for every decoder in PeerWire and for ``SnapshotAssembler``, with the loop of
/// `WireFuzzing`'s `DecoderFuzzer`.
///
/// Each iteration builds a random valid payload, then feeds the decoders either that encoding, random bytes, or
/// the encoding damaged by `WireMutator` (bit flips, bumped lengths and counts, truncation, insertion,
/// deletion, overlong varints, splices). Every input goes through the decoder twice, with the default limits
/// and with ``tightLimits``. One iteration in four also cuts a random snapshot into chunks and feeds them to an
/// assembler, cleanly or damaged (see ``checkAssembly(using:report:)``). A crash ends the process, so a
/// finished run had none; the report counts broken properties.
package enum PeerWireFuzzer: DecoderFuzzer {
    /// Small bounds that the samples sometimes pass, so that every limit is seen broken.
    package static let tightLimits = PeerWireLimits(
        messageCountPerBatchMax: 6, entryCountPerAppendMax: 6, entryDataByteCountMax: 48, chunkDataByteCountMax: 200,
        memberCountMax: 6, framePayloadByteCountMax: 1 << 16)

    package static func sample(using random: inout SplitMix64) -> PeerPayload {
        PeerSamples.payload(using: &random)
    }

    package static func encode(_ payload: PeerPayload) -> [UInt8] { payload.encoded() }

    package static func decode(_ bytes: [UInt8]) throws -> PeerPayload { try PeerWire.decode(bytes) }

    package static func checkMore(
        input: [UInt8], valid: [UInt8], using random: inout SplitMix64, report: inout PeerFuzzReport
    ) {
        if random.chance(25) { checkAssembly(using: &random, report: &report) }
    }

    /// Random bytes, usually behind a kind byte so the body decoders see them too.
    package static func randomBytes(using random: inout SplitMix64) -> [UInt8] {
        var bytes = random.bytes(count: random.below(64))
        if random.chance(75) {
            let kinds = PeerPayloadKind.allCases.map(\.rawValue) + MessageKind.allCases.map(\.rawValue)
            bytes.insert(random.pick(kinds), at: 0)
        }
        return bytes
    }

    /// Feeds `input` to the decoder with the default and the tight limits; returns whether either accepted it.
    /// Accepted inputs must re-encode to exactly the same bytes.
    package static func decodeEverywhere(_ input: [UInt8], report: inout PeerFuzzReport) -> Bool {
        var accepted = false
        for limits in [PeerWireLimits.default, tightLimits] {
            do {
                let decoded = try PeerWire.decode(input, limits: limits)
                accepted = true
                let reencoded = decoded.encoded()
                if reencoded != input { report.recordFailure("\(decoded) re-encoded \(input) as \(reencoded)") }
            } catch {
                report.countError(error.caseName, describing: error, sample: input.count)
            }
        }
        return accepted
    }
}

extension PeerWireError {
    /// The error's case name (the primitive case for `malformed`, the bound for `limitExceeded`), for the
    /// fuzz report's tally.
    var caseName: String {
        switch self {
        case .malformed(let error): error.caseName
        case .handshake: "handshake"
        case .unknownPayloadKind: "unknownPayloadKind"
        case .clientMessage: "clientMessage"
        case .limitExceeded(let limit, _, _): "limitExceeded.\(limit.rawValue)"
        case .snapshotInBatch: "snapshotInBatch"
        case .chunkOverrun: "chunkOverrun"
        case .emptyChunk: "emptyChunk"
        case .chunkOutOfOrder: "chunkOutOfOrder"
        case .chunkInconsistent: "chunkInconsistent"
        case .unknownTransfer: "unknownTransfer"
        }
    }
}

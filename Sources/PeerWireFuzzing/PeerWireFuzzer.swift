import PeerWire
import Raft
import Wire
import WireFuzzing

/// What one peer fuzz run saw.
package struct PeerFuzzReport: Sendable, CustomStringConvertible {
    /// Inputs fed to the payload decoders.
    package var inputCount = 0
    /// Inputs that at least one decoder accepted.
    package var decodedCount = 0
    /// Snapshot transfers fed, chunk by chunk, to an assembler.
    package var transferCount = 0
    /// Snapshot messages the assemblers gave back.
    package var assembledCount = 0
    /// Chunks an assembler refused.
    package var refusedChunkCount = 0
    /// Broken properties: a decoded payload that re-encodes differently, a valid encoding refused, an
    /// assembler that gave back the wrong message or none when it should have. Any one is a bug.
    package var failureCount = 0
    /// The first few failures, described with the input that caused them.
    package var failures: [String] = []
    /// How often each kind of error was raised, by case name: shows how deep into the decoders inputs got.
    package var errorCounts: [String: Int] = [:]

    /// An empty report.
    package init() {}

    mutating func recordFailure(_ description: @autoclosure () -> String) {
        failureCount += 1
        if failures.count < 10 { failures.append(description()) }
    }

    mutating func count(_ error: PeerWireError) {
        errorCounts[error.caseName, default: 0] += 1
    }

    /// The summary line the fuzz driver prints.
    package var description: String {
        "\(inputCount) inputs, 0 crashes, \(decodedCount) decoded, \(transferCount) snapshot transfers, "
            + "\(assembledCount) assembled, \(refusedChunkCount) chunks refused, \(failureCount) failures"
    }
}

/// A seeded random-input driver for every decoder in PeerWire and for ``SnapshotAssembler``, built like
/// `Wire`'s `WireFuzzer`.
///
/// Each iteration builds a random valid payload, then feeds the decoders either that encoding, random bytes, or
/// the encoding damaged by `WireMutator` (bit flips, bumped lengths and counts, truncation, insertion,
/// deletion, overlong varints, splices). Every input goes through the decoder twice, with the default limits
/// and with ``tightLimits``. One iteration in four also cuts a random snapshot into chunks and feeds them to an
/// assembler, cleanly or damaged (see ``checkAssembly(using:report:)``). A crash ends the process, so a
/// finished run had none; the report counts broken properties.
package enum PeerWireFuzzer {
    /// Small bounds that the samples sometimes pass, so that every limit is seen broken.
    package static let tightLimits = PeerWireLimits(
        messageCountPerBatchMax: 6, entryCountPerAppendMax: 6, entryDataByteCountMax: 48, chunkDataByteCountMax: 200,
        memberCountMax: 6, framePayloadByteCountMax: 1 << 16)

    /// Runs `iterations` inputs from `seed`; the same seed always gives the same inputs.
    package static func run(seed: UInt64, iterations: Int) -> PeerFuzzReport {
        var random = WireRandom(seed: seed)
        var report = PeerFuzzReport()
        var donor = PeerSamples.payload(using: &random).encoded()
        for _ in 0..<iterations {
            let payload = PeerSamples.payload(using: &random)
            let valid = payload.encoded()
            let input: [UInt8]
            switch random.below(10) {
            case 0, 1:
                input = randomBytes(using: &random)
            case 2:
                input = valid
                checkAccepted(payload, encoding: valid, report: &report)
            default:
                input = WireMutator.mutate(valid, donor: donor, using: &random)
            }
            report.inputCount += 1
            if decodeEverywhere(input, report: &report) { report.decodedCount += 1 }
            if random.chance(25) { checkAssembly(using: &random, report: &report) }
            donor = valid
        }
        return report
    }

    /// Random bytes, usually behind a kind byte so the body decoders see them too.
    static func randomBytes(using random: inout WireRandom) -> [UInt8] {
        var bytes = random.bytes(count: random.below(64))
        if random.chance(75) {
            let kinds = PeerPayloadKind.allCases.map(\.rawValue) + MessageKind.allCases.map(\.rawValue)
            bytes.insert(random.pick(kinds), at: 0)
        }
        return bytes
    }

    /// A fresh valid encoding must decode to the payload it came from.
    static func checkAccepted(_ payload: PeerPayload, encoding: [UInt8], report: inout PeerFuzzReport) {
        do {
            let decoded = try PeerWire.decode(encoding)
            if decoded != payload { report.recordFailure("\(payload) decoded as \(decoded) from \(encoding)") }
        } catch {
            report.recordFailure("valid payload refused (\(error)): \(payload) as \(encoding)")
        }
    }

    /// Feeds `input` to the decoder with the default and the tight limits; returns whether either accepted it.
    /// Accepted inputs must re-encode to exactly the same bytes.
    static func decodeEverywhere(_ input: [UInt8], report: inout PeerFuzzReport) -> Bool {
        var accepted = false
        for limits in [PeerWireLimits.default, tightLimits] {
            do {
                let decoded = try PeerWire.decode(input, limits: limits)
                accepted = true
                let reencoded = decoded.encoded()
                if reencoded != input { report.recordFailure("\(decoded) re-encoded \(input) as \(reencoded)") }
            } catch {
                // Describing the error is part of the contract too: logs print it for every closed connection.
                if input.count % 8 == 0 { _ = error.description }
                report.count(error)
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
        case .malformed(let error):
            switch error {
            case .truncated: "truncated"
            case .overlongVarint: "overlongVarint"
            case .varintOverflow: "varintOverflow"
            case .lengthTooLarge: "lengthTooLarge"
            case .invalidBool: "invalidBool"
            case .invalidUTF8: "invalidUTF8"
            case .unknownTag: "unknownTag"
            case .trailingBytes: "trailingBytes"
            case .invalidValue: "invalidValue"
            }
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

import PadlockTypes
import Wire
/// What one fuzz run saw.
package struct FuzzReport: Sendable, CustomStringConvertible {
    /// Inputs fed to the message decoders (the frame layer sees each again inside a stream).
    package var inputCount = 0
    /// Inputs that at least one decoder accepted.
    package var decodedCount = 0
    /// Payloads the frame splitter cut out of the generated streams.
    package var framePayloadCount = 0
    /// Frame streams whose length prefix the splitter refused as too large.
    package var oversizedFrameCount = 0
    /// Broken properties: a decoded message that re-encodes differently, a valid encoding refused, a stream
    /// split wrongly. Any one is a bug.
    package var failureCount = 0
    /// The first few failures, described with the bytes that caused them.
    package var failures: [String] = []
    /// How often each kind of error was raised, by case name: shows how deep into the decoders inputs got.
    package var errorCounts: [String: Int] = [:]

    /// An empty report.
    package init() {}

    mutating func recordFailure(_ description: @autoclosure () -> String) {
        failureCount += 1
        if failures.count < 10 { failures.append(description()) }
    }

    /// The summary line the fuzz driver prints.
    package var description: String {
        "\(inputCount) inputs, 0 crashes, \(decodedCount) decoded, \(framePayloadCount) frame payloads, "
            + "\(oversizedFrameCount) oversized frames, \(failureCount) round-trip failures"
    }
}

/// A seeded random-input driver for every decoder in Wire: the frame splitter, the handshake, the handshake
/// answer, the client request and the client response.
///
/// Each iteration builds a random valid message, then feeds the decoders either that encoding, random bytes, or
/// the encoding damaged by ``WireMutator``. A crash ends the process, so a finished run had none; the report
/// counts broken properties: every accepted input must re-encode to exactly the same bytes, every valid
/// encoding must be accepted as the message it came from, and a clean stream must split into its payloads.
package enum WireFuzzer {
    /// Runs `iterations` inputs from `seed`; the same seed always gives the same inputs.
    package static func run(seed: UInt64, iterations: Int) -> FuzzReport {
        var random = WireRandom(seed: seed)
        var report = FuzzReport()
        var donor = WireSamples.message(using: &random).encoded()
        for _ in 0..<iterations {
            let message = WireSamples.message(using: &random)
            let valid = message.encoded()
            let input: [UInt8]
            switch random.below(10) {
            case 0, 1:
                input = randomBytes(using: &random)
            case 2:
                input = valid
                checkAccepted(message, encoding: valid, report: &report)
            default:
                input = WireMutator.mutate(valid, donor: donor, using: &random)
            }
            report.inputCount += 1
            if decodeEverywhere(input, report: &report) { report.decodedCount += 1 }
            checkFrames([input, valid], using: &random, report: &report)
            donor = valid
        }
        return report
    }

    /// Random bytes, half the time behind a valid kind byte so the body decoders see them too.
    static func randomBytes(using random: inout WireRandom) -> [UInt8] {
        var bytes = random.bytes(count: random.below(64))
        if random.chance(50) {
            bytes.insert(random.pick(MessageKind.allCases).rawValue, at: 0)
        }
        return bytes
    }

    /// A fresh valid encoding must decode to the message it came from.
    static func checkAccepted(_ message: WireMessage, encoding: [UInt8], report: inout FuzzReport) {
        do {
            let decoded = try WireMessage(decoding: encoding)
            if decoded != message { report.recordFailure("\(message) decoded as \(decoded) from \(encoding)") }
        } catch {
            report.recordFailure("valid \(message.kind) refused (\(error)): \(encoding)")
        }
    }

    /// Feeds `input` to every decoder; returns whether any accepted it. Accepted inputs must round-trip.
    static func decodeEverywhere(_ input: [UInt8], report: inout FuzzReport) -> Bool {
        // Every decoder sees every input: each must refuse cleanly what is not its kind, too.
        let accepted = [
            roundTrips("any message", input, &report) { bytes throws(WireError) in
                try WireMessage(decoding: bytes).encoded()
            },
            roundTrips("handshake", input, &report) { bytes throws(WireError) in
                try Handshake(decoding: bytes).encoded()
            },
            roundTrips("handshake answer", input, &report) { bytes throws(WireError) in
                try HandshakeAnswer(decoding: bytes).encoded()
            },
            roundTrips("client request", input, &report) { bytes throws(WireError) in
                try ClientRequest(decoding: bytes).encoded()
            },
            roundTrips("client response", input, &report) { bytes throws(WireError) in
                try ClientResponse(decoding: bytes).encoded()
            },
        ]
        return accepted.contains(true)
    }

    static func roundTrips(
        _ decoder: String, _ input: [UInt8], _ report: inout FuzzReport,
        _ decodeAndEncode: ([UInt8]) throws(WireError) -> [UInt8]
    ) -> Bool {
        let reencoded: [UInt8]
        do {
            reencoded = try decodeAndEncode(input)
        } catch {
            // Describing the error is part of the contract too: logs print it for every closed connection.
            if input.count % 8 == 0 { _ = error.description }
            report.errorCounts[error.caseName, default: 0] += 1
            return false
        }
        if reencoded != input { report.recordFailure("\(decoder) re-encoded \(input) as \(reencoded)") }
        return true
    }
}

extension WireError {
    /// The error's case name (the primitive case for `malformed`), for the fuzz report's tally.
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
        case .invalidKey: "invalidKey"
        case .wrongMagic: "wrongMagic"
        case .versionMismatch: "versionMismatch"
        case .unexpectedKind: "unexpectedKind"
        case .frameTooLarge: "frameTooLarge"
        case .invalidTraceContext: "invalidTraceContext"
        }
    }
}

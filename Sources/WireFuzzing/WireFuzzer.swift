import PadlockTypes
import Wire

/// What the Wire fuzzer counts besides inputs and failures.
package struct WireFuzzCounts: DecoderFuzzCounts {
    /// Inputs that at least one decoder accepted.
    package var decodedCount = 0
    /// Payloads the frame splitter cut out of the generated streams.
    package var framePayloadCount = 0
    /// Frame streams whose length prefix the splitter refused as too large.
    package var oversizedFrameCount = 0

    /// All counts zero.
    package init() {}

    package var description: String {
        "\(decodedCount) decoded, \(framePayloadCount) frame payloads, \(oversizedFrameCount) oversized frames"
    }
}

/// What one Wire fuzz run saw.
package typealias WireFuzzReport = FuzzReport<WireFuzzCounts>

/// A seeded random-input driver for every decoder in Wire: the frame splitter, the handshake, the handshake
/// answer, the client request and the client response (the loop is ``DecoderFuzzer``'s).
///
/// Every input also travels inside a frame stream, beside the iteration's valid encoding, which a clean stream
/// must split back into (``checkFrames(_:using:report:)``).
package enum WireFuzzer: DecoderFuzzer {
    package static func sample(using random: inout SplitMix64) -> WireMessage { WireSamples.message(using: &random) }

    package static func encode(_ message: WireMessage) -> [UInt8] { message.encoded() }

    package static func decode(_ bytes: [UInt8]) throws -> WireMessage { try WireMessage(decoding: bytes) }

    package static func checkMore(
        input: [UInt8], valid: [UInt8], using random: inout SplitMix64, report: inout WireFuzzReport
    ) {
        checkFrames([input, valid], using: &random, report: &report)
    }

    /// Random bytes, half the time behind a valid kind byte so the body decoders see them too.
    package static func randomBytes(using random: inout SplitMix64) -> [UInt8] {
        var bytes = random.bytes(count: random.below(64))
        if random.chance(50) {
            bytes.insert(random.pick(MessageKind.allCases).rawValue, at: 0)
        }
        return bytes
    }

    /// Feeds `input` to every decoder; returns whether any accepted it. Accepted inputs must round-trip.
    package static func decodeEverywhere(_ input: [UInt8], report: inout WireFuzzReport) -> Bool {
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
        // What a server reads from and writes to an older client must be canonical in that version's layouts.
        for version in [ProtocolVersion.oldestSupported, .events] {
            _ = roundTrips("client request \(version)", input, &report) { bytes throws(WireError) in
                try ClientRequest(decoding: bytes, version: version).encoded()
            }
            _ = roundTrips("client response \(version)", input, &report) { bytes throws(WireError) in
                try ClientResponse(decoding: bytes, version: version).encoded(for: version)
            }
        }
        _ = roundTrips("client event v2", input, &report) { bytes throws(WireError) in
            try ClientEvent(decoding: bytes, version: .events).encoded(for: .events)
        }
        return accepted.contains(true)
    }

    static func roundTrips(
        _ decoder: String, _ input: [UInt8], _ report: inout WireFuzzReport,
        _ decodeAndEncode: ([UInt8]) throws(WireError) -> [UInt8]
    ) -> Bool {
        let reencoded: [UInt8]
        do {
            reencoded = try decodeAndEncode(input)
        } catch {
            report.countError(error.caseName, describing: error, sample: input.count)
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
        case .malformed(let error): error.caseName
        case .invalidKey: "invalidKey"
        case .wrongMagic: "wrongMagic"
        case .versionMismatch: "versionMismatch"
        case .unexpectedKind: "unexpectedKind"
        case .frameTooLarge: "frameTooLarge"
        case .invalidTraceContext: "invalidTraceContext"
        }
    }
}

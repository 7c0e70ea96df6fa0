import PadlockTypes

/// The counts of a fuzzer that feeds bytes to decoders: at least the inputs some decoder accepted.
package protocol DecoderFuzzCounts: FuzzCounts {
    /// Inputs that at least one decoder accepted.
    var decodedCount: Int { get set }
}

/// A family of decoders that ``run(seed:iterations:)`` drives with seeded random inputs: the client protocol
/// (`WireFuzzer`) and the peer payloads (`PeerWireFuzzer`).
///
/// Each iteration builds a random valid sample, then feeds the decoders either its encoding, random bytes, or
/// the encoding damaged by ``WireMutator``; then the family's own checks run
/// (``checkMore(input:valid:using:report:)``). A crash ends the process, so a finished run had none; the report
/// counts broken properties: every accepted input must re-encode to exactly the same bytes and every valid
/// encoding must decode to the sample it came from.
package protocol DecoderFuzzer {
    /// A valid value of the family, such as a message.
    associatedtype Sample: Equatable
    /// What the family counts besides inputs and failures.
    associatedtype Counts: DecoderFuzzCounts

    /// A random valid sample.
    static func sample(using random: inout SplitMix64) -> Sample
    /// The sample's encoding.
    static func encode(_ sample: Sample) -> [UInt8]
    /// The sample that `bytes` encode, with the decoder's default limits.
    static func decode(_ bytes: [UInt8]) throws -> Sample
    /// Random bytes, often behind a valid kind byte so the body decoders see them too.
    static func randomBytes(using random: inout SplitMix64) -> [UInt8]
    /// Feeds `input` to every decoder of the family; returns whether any accepted it.
    static func decodeEverywhere(_ input: [UInt8], report: inout FuzzReport<Counts>) -> Bool
    /// The family's own checks after each input: `valid` is the iteration's valid encoding.
    static func checkMore(
        input: [UInt8], valid: [UInt8], using random: inout SplitMix64, report: inout FuzzReport<Counts>)
}

extension DecoderFuzzer {
    /// Runs `iterations` inputs from `seed`; the same seed always gives the same inputs.
    package static func run(seed: UInt64, iterations: Int) -> FuzzReport<Counts> {
        var random = SplitMix64(seed: seed)
        var report = FuzzReport<Counts>()
        var donor = encode(sample(using: &random))
        for _ in 0..<iterations {
            let sample = sample(using: &random)
            let valid = encode(sample)
            let input: [UInt8]
            switch random.below(10) {
            case 0, 1:
                input = randomBytes(using: &random)
            case 2:
                input = valid
                checkAccepted(sample, encoding: valid, report: &report)
            default:
                input = WireMutator.mutate(valid, donor: donor, using: &random)
            }
            report.inputCount += 1
            if decodeEverywhere(input, report: &report) { report.decodedCount += 1 }
            checkMore(input: input, valid: valid, using: &random, report: &report)
            donor = valid
        }
        return report
    }

    /// A fresh valid encoding must decode to the sample it came from.
    package static func checkAccepted(_ sample: Sample, encoding: [UInt8], report: inout FuzzReport<Counts>) {
        do {
            let decoded = try decode(encoding)
            if decoded != sample { report.recordFailure("\(sample) decoded as \(decoded) from \(encoding)") }
        } catch {
            report.recordFailure("valid \(sample) refused (\(error)): \(encoding)")
        }
    }
}

extension DecodeError {
    /// The primitive error's case name, for the fuzz reports' tallies.
    package var caseName: String {
        switch self {
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
    }
}

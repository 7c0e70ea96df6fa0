import PadlockTypes
import Wire

/// The fuzzers' draws over the package's seeded `SplitMix64`: the same seed gives the same numbers on every platform and toolchain,
/// so a failing fuzz or property run replays from its seed.
package struct WireRandom: Sendable {
    private var generator: SplitMix64

    /// Starts the sequence for `seed`.
    package init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    /// The next 64 random bits.
    package mutating func next() -> UInt64 { generator.next() }

    /// A number in `0..<bound`; `bound` must be positive.
    package mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "WireRandom.below needs a positive bound, got \(bound)")
        return Int(next() % UInt64(bound))
    }

    /// A number in `range`.
    package mutating func within(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// True with probability `percent` / 100.
    package mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    /// Picks one element of a non-empty array.
    package mutating func pick<Element>(_ elements: [Element]) -> Element { elements[below(elements.count)] }

    /// A 64-bit number biased towards the values encoders get wrong: zero, varint boundaries, the maximum.
    package mutating func interestingUInt64() -> UInt64 {
        switch below(8) {
        case 0: pick([0, 1, 127, 128, 16_383, 16_384, UInt64(UInt32.max), .max, .max - 1])
        case 1, 2: next()
        case 3: next() >> (next() % 64)
        default: UInt64(below(100_000))
        }
    }

    /// Random bytes, `count` of them.
    package mutating func bytes(count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
}

/// A small, seeded pseudo-random generator (SplitMix64).
///
/// The core's only source of randomness is this value: given the same seed and the same inputs, a node
/// makes the same choices, which is what lets tests and the simulator replay a run exactly.
package struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's whole state; copy it to fork a generator.
    package var state: UInt64

    /// Starts a generator from `seed`.
    package init(seed: UInt64) { state = seed }

    /// Returns the next 64 pseudo-random bits.
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// Returns a value in `0..<bound`; the modulo bias is negligible for the small bounds used here.
    package mutating func next(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "SplitMix64.next(below: 0) has no answer")
        return next() % bound
    }
}

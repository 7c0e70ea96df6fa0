/// The package's one seeded pseudo-random generator (SplitMix64).
///
/// Given the same seed it gives the same numbers on every platform and toolchain, so anything driven by it
/// replays from its seed: Raft's election timeouts, the simulator's schedule, the fuzzers, the chaos harness
/// and the randomized tests. Every other generator in the package wraps this one; none repeats its constants.
package struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The increment of every step: 2^64 divided by the golden ratio, odd. Also a good multiplier for spreading
    /// a small seed over all 64 bits.
    package static let goldenGamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// The generator's whole state; copy the generator to fork it.
    package var state: UInt64

    /// Starts a generator from `seed`.
    package init(seed: UInt64) { state = seed }

    /// Returns the next 64 pseudo-random bits.
    package mutating func next() -> UInt64 {
        state &+= Self.goldenGamma
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

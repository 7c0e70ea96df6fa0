import PadlockTypes

/// The package's seeded generator (SplitMix64) under the name Storage's fault injection and tests use: the
/// same seed always gives the same sequence.
package typealias SeededGenerator = SplitMix64

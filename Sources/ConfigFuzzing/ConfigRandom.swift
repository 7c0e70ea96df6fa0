import PadlockConfig
import PadlockTypes

/// The config fuzzer's draws over the package's seeded `SplitMix64`: the same seed always gives the same inputs.
package struct ConfigRandom: Sendable {
    private var generator: SplitMix64

    /// Starts the sequence for `seed`.
    package init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    /// The next 64 random bits.
    package mutating func next() -> UInt64 { generator.next() }

    /// A number in `0..<bound`; a bound below 1 gives 0.
    package mutating func below(_ bound: Int) -> Int {
        bound < 1 ? 0 : Int(next() % UInt64(bound))
    }

    /// A number in `range`.
    package mutating func within(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// True with probability `percent` / 100.
    package mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    /// One element of `elements`, which must not be empty.
    package mutating func pick<Element>(_ elements: [Element]) -> Element {
        precondition(!elements.isEmpty, "ConfigRandom.pick needs at least one element")
        return elements[below(elements.count)]
    }

    /// Lends the underlying generator to code outside this module that draws from it directly.
    package mutating func withGenerator<Result>(_ body: (inout SplitMix64) -> Result) -> Result {
        body(&generator)
    }
}

extension SettingsWriter {
    /// The whole document for `settings`, its varied choices drawn from the fuzzer's generator.
    package static func document(_ settings: PadlockdSettings, style: Style, random: inout ConfigRandom) -> String {
        random.withGenerator { document(settings, style: style, random: &$0) }
    }
}

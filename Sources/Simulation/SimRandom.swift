import PadlockTypes

/// The simulator's only source of randomness: a seeded `SplitMix64` stream with the draws a simulation needs.
///
/// Every choice in a run comes from generators forked off one seed, so a seed fully determines the run.
struct SimRandom: RandomNumberGenerator {
    private var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { generator.next() }

    /// A new generator whose stream is independent of this one's (for one component of the run).
    mutating func fork() -> SimRandom { SimRandom(seed: next()) }

    /// A value in `0..<bound` (the modulo bias is negligible at the bounds used here).
    mutating func below(_ bound: UInt64) -> UInt64 {
        precondition(bound > 0, "SimRandom.below(0)")
        return next() % bound
    }

    /// A value in `range`.
    mutating func between(_ range: ClosedRange<UInt64>) -> UInt64 {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool {
        guard p > 0 else { return false }
        return Double(next() >> 11) / Double(1 << 53) < p
    }

    /// A uniform double in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// One element of a non-empty array.
    mutating func pick<T>(_ values: [T]) -> T {
        precondition(!values.isEmpty, "SimRandom.pick from an empty array")
        return values[Int(below(UInt64(values.count)))]
    }

    /// An exponentially distributed duration with the given mean, capped at ten means.
    mutating func exponential(mean: Double) -> UInt64 {
        let u = max(unit(), 1e-12)
        return UInt64(min(-mean * log(u), mean * 10))
    }
}

/// Natural logarithm without Foundation (the simulator imports only the package's own modules).
private func log(_ x: Double) -> Double {
    // ln(x) = 2 · atanh((x − 1) / (x + 1)), after scaling x into [0.5, 1) by powers of two.
    var value = x
    var exponent = 0.0
    while value >= 1 { value /= 2; exponent += 1 }
    while value < 0.5 { value *= 2; exponent -= 1 }
    let y = (value - 1) / (value + 1)
    let y2 = y * y
    var term = y
    var sum = 0.0
    var n = 1.0
    for _ in 0..<40 {
        sum += term / n
        term *= y2
        n += 2
    }
    return 2 * sum + exponent * 0.693_147_180_559_945_3
}

/// FNV-1a, 64 bits: a deterministic hash for traces and state comparisons (Swift's `Hasher` is seeded per
/// process, so it cannot be used for anything a run reports).
struct TraceHash {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func addByte(_ byte: UInt8) {
        value ^= UInt64(byte)
        value = value &* 0x0000_0100_0000_01B3
    }

    mutating func add(_ number: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { addByte(UInt8(truncatingIfNeeded: number >> UInt64(shift))) }
    }

    mutating func add(bytes: [UInt8]) {
        for byte in bytes { addByte(byte) }
    }

    static func of(_ bytes: [UInt8]) -> UInt64 {
        var hash = TraceHash()
        hash.add(bytes: bytes)
        return hash.value
    }
}

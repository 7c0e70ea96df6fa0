import PadlockTypes

extension SplitMix64 {
    /// A 64-bit number biased towards the values encoders get wrong: zero, varint boundaries, the maximum.
    package mutating func interestingUInt64() -> UInt64 {
        switch below(8) {
        case 0: pick([0, 1, 127, 128, 16_383, 16_384, UInt64(UInt32.max), .max, .max - 1])
        case 1, 2: next()
        case 3: next() >> (next() % 64)
        default: UInt64(below(100_000))
        }
    }
}

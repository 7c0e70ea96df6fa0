import PadlockTypes
import Wire

/// Damages valid encodings the way a broken or hostile peer would, for the fuzz driver.
package enum WireMutator {
    /// `bytes` after one to four random mutations; `donor` supplies bytes for splices.
    package static func mutate(_ bytes: [UInt8], donor: [UInt8], using random: inout SplitMix64) -> [UInt8] {
        var result = bytes
        for _ in 0..<random.within(1...4) { mutateOnce(&result, donor: donor, using: &random) }
        return result
    }

    private static func mutateOnce(_ bytes: inout [UInt8], donor: [UInt8], using random: inout SplitMix64) {
        let position = bytes.isEmpty ? 0 : random.below(bytes.count)
        switch random.below(9) {
        case 0 where !bytes.isEmpty:
            bytes[position] ^= 1 << UInt8(random.below(8))
        case 1 where !bytes.isEmpty:
            // A bumped length or count: lengths and counts are mostly one-byte varints.
            let delta = UInt8(random.within(1...3))
            bytes[position] = random.chance(50) ? bytes[position] &+ delta : bytes[position] &- delta
        case 2 where !bytes.isEmpty:
            bytes[position] = random.pick([0x00, 0x01, 0x7F, 0x80, 0xFF, 0xC0, 0xED])
        case 3:
            bytes.removeLast(bytes.isEmpty ? 0 : random.below(bytes.count) + 1)
        case 4:
            bytes.insert(contentsOf: random.bytes(count: random.within(1...8)), at: position)
        case 5 where !bytes.isEmpty:
            let end = min(bytes.count, position + random.within(1...8))
            bytes.removeSubrange(position..<end)
        case 6 where !bytes.isEmpty:
            // An overlong or overflowing varint in place of whatever was there.
            let overlong: [UInt8] = [0x80, 0x00]
            let overflowing: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
            bytes.insert(contentsOf: random.chance(50) ? overlong : overflowing, at: position)
        case 7 where !donor.isEmpty:
            let start = random.below(donor.count)
            bytes.replaceSubrange(position..<bytes.count, with: donor[start...])
        default:
            let end = min(bytes.count, position + random.within(1...16))
            bytes.insert(contentsOf: bytes[position..<end], at: end)
        }
    }
}

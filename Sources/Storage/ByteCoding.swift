/// Little-endian integer encoding into and out of byte arrays: the only byte order used on disk.
extension Array where Element == UInt8 {
    mutating func appendLittleEndian(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func appendLittleEndian(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func storeLittleEndian(_ value: UInt32, at offset: Int) {
        for byte in 0..<4 { self[offset + byte] = UInt8(truncatingIfNeeded: value >> UInt32(byte * 8)) }
    }

    /// Pads with zeros to the next multiple of `alignment`.
    mutating func padToAlignment(_ alignment: Int) {
        while count % alignment != 0 { append(0) }
    }

    /// The 64-bit little-endian value at `offset`; the caller has checked the bounds.
    func loadUInt64(at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for byte in 0..<8 { value |= UInt64(self[offset + byte]) << UInt64(byte * 8) }
        return value
    }

    /// The 32-bit little-endian value at `offset`; the caller has checked the bounds.
    func loadUInt32(at offset: Int) -> UInt32 {
        var value: UInt32 = 0
        for byte in 0..<4 { value |= UInt32(self[offset + byte]) << UInt32(byte * 8) }
        return value
    }

    /// Whether every byte in `range` is zero.
    func isZero(_ range: Range<Int>) -> Bool {
        withUnsafeBufferPointer { buffer in
            for index in range where buffer[index] != 0 { return false }
            return true
        }
    }
}

/// Rounds `value` up to a multiple of `alignment`.
package func roundUp(_ value: Int, to alignment: Int) -> Int {
    (value + alignment - 1) / alignment * alignment
}

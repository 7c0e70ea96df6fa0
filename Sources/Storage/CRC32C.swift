/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), computed eight bytes at a time with eight tables.
///
/// `CRC32C.checksum("123456789".utf8)` is 0xE3069283, the standard check value.
package enum CRC32C {
    /// The reflected Castagnoli polynomial.
    static let polynomial: UInt32 = 0x82F6_3B78

    /// `tables[k][b]` is the CRC of byte `b` followed by `k` zero bytes, for slicing by eight.
    static let tables: [[UInt32]] = {
        var tables = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1 }
            tables[0][byte] = crc
        }
        for byte in 0..<256 {
            for k in 1..<8 {
                let previous = tables[k - 1][byte]
                tables[k][byte] = (previous >> 8) ^ tables[0][Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    /// The CRC-32C of `bytes`, continuing from `previous` (the checksum of whatever came before; 0 to start).
    ///
    /// Chaining works because `checksum(b, continuing: checksum(a)) == checksum(a + b)`.
    package static func checksum<Bytes: Collection>(_ bytes: Bytes, continuing previous: UInt32 = 0) -> UInt32
    where Bytes.Element == UInt8 {
        if let result = bytes.withContiguousStorageIfAvailable({ update(previous, $0) }) { return result }
        return Array(bytes).withUnsafeBufferPointer { update(previous, $0) }
    }

    /// The CRC-32C of `count` bytes at `start` in `buffer`, continuing from `previous`.
    static func checksum(
        _ buffer: [UInt8], from start: Int, count: Int, continuing previous: UInt32 = 0
    )
        -> UInt32
    {
        precondition(
            start >= 0 && count >= 0 && start + count <= buffer.count, "range \(start)+\(count) out of \(buffer.count)")
        return buffer.withUnsafeBufferPointer {
            update(previous, UnsafeBufferPointer(rebasing: $0[start..<(start + count)]))
        }
    }

    private static func update(_ previous: UInt32, _ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var crc = ~previous
        var position = 0
        let count = bytes.count
        tables.withUnsafeBufferPointer { t in
            let t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3], t4 = t[4], t5 = t[5], t6 = t[6], t7 = t[7]
            while count - position >= 8 {
                let low =
                    crc
                    ^ (UInt32(bytes[position]) | UInt32(bytes[position + 1]) << 8
                        | UInt32(bytes[position + 2]) << 16 | UInt32(bytes[position + 3]) << 24)
                crc =
                    t7[Int(low & 0xFF)] ^ t6[Int((low >> 8) & 0xFF)] ^ t5[Int((low >> 16) & 0xFF)]
                    ^ t4[Int(low >> 24)] ^ t3[Int(bytes[position + 4])] ^ t2[Int(bytes[position + 5])]
                    ^ t1[Int(bytes[position + 6])] ^ t0[Int(bytes[position + 7])]
                position += 8
            }
            while position < count {
                crc = (crc >> 8) ^ t0[Int((crc ^ UInt32(bytes[position])) & 0xFF)]
                position += 1
            }
        }
        return ~crc
    }
}

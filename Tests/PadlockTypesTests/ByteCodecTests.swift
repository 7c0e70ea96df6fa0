import PadlockTypes
import Testing

@Suite struct ByteCodecTests {
    @Test func primitivesRoundTrip() throws {
        var writer = ByteWriter()
        writer.writeUInt8(7)
        writer.writeUInt16(0xBEEF)
        writer.writeUInt32(0xDEAD_BEEF)
        writer.writeUInt64(.max)
        writer.writeVarint(0)
        writer.writeVarint(300)
        writer.writeVarint(.max)
        writer.writeBool(true)
        writer.writeString("Alice é")
        writer.writeOptional(nil as UInt64?) { $0.writeVarint($1) }
        writer.writeArray([1, 2, 3] as [UInt64]) { $0.writeVarint($1) }
        var reader = ByteReader(writer.bytes)
        #expect(try reader.readUInt8() == 7)
        #expect(try reader.readUInt16() == 0xBEEF)
        #expect(try reader.readUInt32() == 0xDEAD_BEEF)
        #expect(try reader.readUInt64() == .max)
        #expect(try reader.readVarint() == 0)
        #expect(try reader.readVarint() == 300)
        #expect(try reader.readVarint() == .max)
        #expect(try reader.readBool())
        #expect(try reader.readString(maxByteCount: 64) == "Alice é")
        #expect(try reader.readOptional { r throws(DecodeError) in try r.readVarint() } == nil)
        #expect(try reader.readArray(maxCount: 8) { r throws(DecodeError) in try r.readVarint() } == [1, 2, 3])
        try reader.expectEnd()
    }

    @Test func fixedWidthIntegersAreBigEndian() {
        var writer = ByteWriter()
        writer.writeUInt32(0x0102_0304)
        #expect(writer.bytes == [1, 2, 3, 4])
    }

    @Test func everyTruncationOfAValidEncodingFailsCleanly() {
        var writer = ByteWriter()
        writer.writeVarint(123_456_789)
        writer.writeString("acme/contacts/42")
        writer.writeUInt64(99)
        let full = writer.bytes
        for length in 0..<full.count {
            var reader = ByteReader(Array(full.prefix(length)))
            #expect(throws: DecodeError.self) {
                _ = try reader.readVarint()
                _ = try reader.readString(maxByteCount: 64)
                _ = try reader.readUInt64()
            }
        }
    }

    @Test func overlongAndOverflowingVarintsAreRefused() {
        var overlong = ByteReader([0x80, 0x00])
        #expect(throws: DecodeError.overlongVarint(offset: 0)) { try overlong.readVarint() }
        var overflow = ByteReader([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02])
        #expect(throws: DecodeError.varintOverflow(offset: 0)) { try overflow.readVarint() }
        var endless = ByteReader(Array(repeating: 0xff, count: 20))
        #expect(throws: DecodeError.varintOverflow(offset: 0)) { try endless.readVarint() }
    }

    @Test func aForgedHugeLengthIsRefusedBeforeAllocating() {
        var writer = ByteWriter()
        writer.writeVarint(1 << 40)
        var bytes = ByteReader(writer.bytes)
        #expect(throws: DecodeError.lengthTooLarge(offset: 0, length: 1 << 40, maximum: 1024)) {
            try bytes.readBytes(maxCount: 1024)
        }
        var array = ByteReader(writer.bytes)
        #expect(throws: DecodeError.self) {
            try array.readArray(maxCount: .max / 2) { r throws(DecodeError) in try r.readUInt8() }
        }
    }

    @Test func invalidUTF8BooleansAndTrailingBytesAreRefused() {
        var utf8 = ByteReader([2, 0xC3, 0x28])
        #expect(throws: DecodeError.invalidUTF8(offset: 1)) { try utf8.readString(maxByteCount: 8) }
        var bool = ByteReader([2])
        #expect(throws: DecodeError.invalidBool(offset: 0, value: 2)) { try bool.readBool() }
        var trailing = ByteReader([1, 9])
        #expect(throws: Never.self) { _ = try trailing.readBool() }
        #expect(throws: DecodeError.trailingBytes(offset: 1, count: 1)) { try trailing.expectEnd() }
    }

    @Test func unknownEnumTagsNameTheType() {
        var reader = ByteReader([9])
        #expect(throws: DecodeError.unknownTag(offset: 0, type: "LockMode", tag: 9)) {
            try reader.readEnum(LockMode.self)
        }
    }
}

@Suite struct ByteCodecLimitTests {
    @Test func aCountTimesElementSizeThatOverflowsIsRefusedNotTrapped() {
        var writer = ByteWriter()
        writer.writeVarint(UInt64(Int.max / 2))
        var reader = ByteReader(writer.bytes)
        #expect(throws: DecodeError.self) {
            try reader.readArray(maxCount: .max, minimumElementSize: 16) { r throws(DecodeError) in try r.readUInt8() }
        }
    }
}

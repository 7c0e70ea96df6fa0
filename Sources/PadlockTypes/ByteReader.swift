/// Reads primitive values written by ``ByteWriter``, checking every bound.
///
/// Every read either returns a value or throws a ``DecodeError`` that says what was wrong and at which byte
/// offset; no input, however malformed, makes a read trap or allocate more than the input's own size.
package struct ByteReader: Sendable {
    private let bytes: [UInt8]
    /// Offset of the next byte to read.
    package private(set) var offset: Int

    /// Creates a reader positioned at the first of `bytes`.
    package init(_ bytes: [UInt8]) {
        self.bytes = bytes
        offset = 0
    }

    /// Number of bytes not yet read.
    package var remainingCount: Int { bytes.count - offset }

    /// Reads one byte.
    package mutating func readUInt8() throws(DecodeError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Reads a big-endian 16-bit integer.
    package mutating func readUInt16() throws(DecodeError) -> UInt16 { try readBigEndian() }
    /// Reads a big-endian 32-bit integer.
    package mutating func readUInt32() throws(DecodeError) -> UInt32 { try readBigEndian() }
    /// Reads a big-endian 64-bit integer.
    package mutating func readUInt64() throws(DecodeError) -> UInt64 { try readBigEndian() }

    /// Reads an unsigned LEB128 integer, refusing encodings longer than needed or beyond 64 bits.
    package mutating func readVarint() throws(DecodeError) -> UInt64 {
        let start = offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readUInt8()
            let payload = UInt64(byte & 0x7f)
            if shift == 63 && payload > 1 { throw .varintOverflow(offset: start) }
            value |= payload << shift
            if byte & 0x80 == 0 {
                // A final zero byte after the first adds nothing: a shorter encoding of the same value exists.
                if byte == 0 && shift > 0 { throw .overlongVarint(offset: start) }
                return value
            }
            shift += 7
            if shift > 63 { throw .varintOverflow(offset: start) }
        }
    }

    /// Reads a varint that must fit in `max`, for lengths and counts.
    package mutating func readLength(max: Int) throws(DecodeError) -> Int {
        let start = offset
        let length = try readVarint()
        guard length <= UInt64(max) else {
            throw .lengthTooLarge(offset: start, length: length, maximum: UInt64(max))
        }
        return Int(length)
    }

    /// Reads a boolean, which must be the byte 0 or 1.
    package mutating func readBool() throws(DecodeError) -> Bool {
        let start = offset
        switch try readUInt8() {
        case 0: return false
        case 1: return true
        case let other: throw .invalidBool(offset: start, value: other)
        }
    }

    /// Reads a length-prefixed byte string of at most `maxCount` bytes.
    package mutating func readBytes(maxCount: Int) throws(DecodeError) -> [UInt8] {
        let count = try readLength(max: maxCount)
        return try readRaw(count: count)
    }

    /// Reads a length-prefixed UTF-8 string of at most `maxByteCount` bytes; invalid UTF-8 is an error.
    package mutating func readString(maxByteCount: Int) throws(DecodeError) -> String {
        let count = try readLength(max: maxByteCount)
        let start = offset
        let raw = try readRaw(count: count)
        guard let string = String(validating: raw, as: UTF8.self) else { throw .invalidUTF8(offset: start) }
        return string
    }

    /// Reads exactly `count` bytes with no length prefix.
    package mutating func readRaw(count: Int) throws(DecodeError) -> [UInt8] {
        try need(count)
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Reads a presence flag, then the value when present.
    package mutating func readOptional<Value>(
        _ read: (inout ByteReader) throws(DecodeError) -> Value
    ) throws(DecodeError) -> Value? {
        guard try readBool() else { return nil }
        return try read(&self)
    }

    /// Reads a varint element count of at most `maxCount`, then each element.
    ///
    /// The count is also checked against the bytes left (each element takes at least `minimumElementSize`
    /// bytes), so a forged count cannot make the reader reserve memory the input could never fill.
    package mutating func readArray<Element>(
        maxCount: Int, minimumElementSize: Int = 1,
        _ read: (inout ByteReader) throws(DecodeError) -> Element
    ) throws(DecodeError) -> [Element] {
        let start = offset
        let count = try readLength(max: maxCount)
        let (needed, overflow) = count.multipliedReportingOverflow(by: max(minimumElementSize, 1))
        guard !overflow, needed <= remainingCount else {
            throw .truncated(offset: start, needed: overflow ? .max : needed, available: remainingCount)
        }
        var values: [Element] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try read(&self)) }
        return values
    }

    /// Reads a one-byte tag and maps it through `init(rawValue:)`, naming `type` when the tag is unknown.
    package mutating func readEnum<Value: RawRepresentable>(
        _ type: Value.Type
    ) throws(DecodeError) -> Value where Value.RawValue == UInt8 {
        let start = offset
        let raw = try readUInt8()
        guard let value = Value(rawValue: raw) else {
            throw .unknownTag(offset: start, type: String(describing: type), tag: raw)
        }
        return value
    }

    /// Fails unless every byte has been read.
    package func expectEnd() throws(DecodeError) {
        guard remainingCount == 0 else { throw .trailingBytes(offset: offset, count: remainingCount) }
    }

    private func need(_ count: Int) throws(DecodeError) {
        guard count >= 0, count <= remainingCount else {
            throw .truncated(offset: offset, needed: count, available: remainingCount)
        }
    }

    private mutating func readBigEndian<Value: FixedWidthInteger>() throws(DecodeError) -> Value {
        let size = MemoryLayout<Value>.size
        try need(size)
        var value: Value = 0
        for index in offset..<offset + size { value = value << 8 | Value(bytes[index]) }
        offset += size
        return value
    }

    /// Runs `body` over `bytes`, requires that it reads every byte, and gives back what it read. `body` may
    /// throw `Failure` (passed on) or ``DecodeError`` (passed on as `malformed(error)`); anything else it
    /// throws is a programmer error.
    package static func decodingAll<Value, Failure: Error>(
        _ bytes: [UInt8], malformed: (DecodeError) -> Failure, _ body: (inout ByteReader) throws -> Value
    ) throws(Failure) -> Value {
        var reader = ByteReader(bytes)
        do {
            let value = try body(&reader)
            try reader.expectEnd()
            return value
        } catch let error as Failure {
            throw error
        } catch let error as DecodeError {
            throw malformed(error)
        } catch {
            preconditionFailure("a decoder threw \(error), which is neither a \(Failure.self) nor a DecodeError")
        }
    }
}

/// Why a byte sequence could not be decoded, and where.
package enum DecodeError: Error, Hashable, Sendable, CustomStringConvertible {
    case truncated(offset: Int, needed: Int, available: Int)
    case overlongVarint(offset: Int)
    case varintOverflow(offset: Int)
    case lengthTooLarge(offset: Int, length: UInt64, maximum: UInt64)
    case invalidBool(offset: Int, value: UInt8)
    case invalidUTF8(offset: Int)
    case unknownTag(offset: Int, type: String, tag: UInt8)
    case trailingBytes(offset: Int, count: Int)
    /// A value that decoded but breaks a rule of its type, such as a malformed key.
    case invalidValue(offset: Int, reason: String)

    package var description: String {
        switch self {
        case let .truncated(offset, needed, available):
            "truncated at byte \(offset): needed \(needed) bytes, \(available) left"
        case let .overlongVarint(offset): "overlong varint at byte \(offset)"
        case let .varintOverflow(offset): "varint at byte \(offset) does not fit in 64 bits"
        case let .lengthTooLarge(offset, length, maximum):
            "length \(length) at byte \(offset) exceeds the maximum of \(maximum)"
        case let .invalidBool(offset, value): "byte \(offset) is \(value), not a boolean (0 or 1)"
        case let .invalidUTF8(offset): "string at byte \(offset) is not valid UTF-8"
        case let .unknownTag(offset, type, tag): "unknown \(type) tag \(tag) at byte \(offset)"
        case let .trailingBytes(offset, count): "\(count) unexpected bytes after the message at byte \(offset)"
        case let .invalidValue(offset, reason): "invalid value at byte \(offset): \(reason)"
        }
    }
}

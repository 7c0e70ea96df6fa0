/// Appends primitive values to a byte buffer in Padlock's one binary encoding.
///
/// Fixed-width integers are big-endian; variable-length integers are unsigned LEB128; byte strings and
/// UTF-8 strings carry a varint length prefix. ``ByteReader`` reads exactly what this writes.
package struct ByteWriter: Sendable {
    /// The bytes written so far.
    package private(set) var bytes: [UInt8]

    /// Creates an empty writer, reserving room for `capacity` bytes.
    package init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Number of bytes written so far.
    package var count: Int { bytes.count }

    /// The bytes of a payload that starts with `tag`'s byte and goes on with what `body` writes.
    package static func tagged<Tag: RawRepresentable>(
        _ tag: Tag, capacity: Int = 64, _ body: (inout ByteWriter) -> Void
    ) -> [UInt8] where Tag.RawValue == UInt8 {
        var writer = ByteWriter(capacity: capacity)
        writer.writeUInt8(tag.rawValue)
        body(&writer)
        return writer.bytes
    }

    /// Writes one byte.
    package mutating func writeUInt8(_ value: UInt8) {
        bytes.append(value)
    }

    /// Writes a big-endian 16-bit integer.
    package mutating func writeUInt16(_ value: UInt16) {
        writeBigEndian(value)
    }

    /// Writes a big-endian 32-bit integer.
    package mutating func writeUInt32(_ value: UInt32) {
        writeBigEndian(value)
    }

    /// Writes a big-endian 64-bit integer.
    package mutating func writeUInt64(_ value: UInt64) {
        writeBigEndian(value)
    }

    /// Writes `value` as unsigned LEB128: seven bits per byte, low bits first, high bit set on all but the last.
    package mutating func writeVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// Writes a boolean as the byte 0 or 1.
    package mutating func writeBool(_ value: Bool) {
        bytes.append(value ? 1 : 0)
    }

    /// Writes a varint length followed by the bytes.
    package mutating func writeBytes(_ value: some Collection<UInt8>) {
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// Writes a varint byte length followed by the string's UTF-8 bytes.
    package mutating func writeString(_ value: String) {
        writeBytes(value.utf8)
    }

    /// Writes bytes as they are, with no length prefix.
    package mutating func writeRaw(_ value: some Sequence<UInt8>) {
        bytes.append(contentsOf: value)
    }

    /// Writes a presence flag, then the value when present.
    package mutating func writeOptional<Value>(_ value: Value?, _ write: (inout ByteWriter, Value) -> Void) {
        guard let value else { return writeBool(false) }
        writeBool(true)
        write(&self, value)
    }

    /// Writes a varint element count, then each element.
    package mutating func writeArray<Element>(_ values: [Element], _ write: (inout ByteWriter, Element) -> Void) {
        writeVarint(UInt64(values.count))
        for value in values { write(&self, value) }
    }

    private mutating func writeBigEndian<Value: FixedWidthInteger>(_ value: Value) {
        var big = value.bigEndian
        withUnsafeBytes(of: &big) { bytes.append(contentsOf: $0) }
    }
}

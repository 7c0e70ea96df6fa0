// The one encoding of holds and hold placements, shared by the lock table's log entries, snapshots and
// answers and the wire's requests and responses (their layouts are in docs/wire.md and docs/locktable.md).

extension ByteWriter {
    /// Writes a list of short strings (roles, fields): a varint count, then each string.
    package mutating func writeStrings(_ strings: [String]) {
        writeArray(strings) { writer, string in writer.writeString(string) }
    }

    /// Writes every field of a hold: key, rule, reason, source, placed-by, since, fence, restriction, exempt
    /// roles, editable fields.
    package mutating func writeHold(_ hold: Hold) {
        writeString(hold.key.string)
        writeString(hold.rule)
        writeString(hold.reason)
        writeUInt8(hold.source.rawValue)
        writeString(hold.placedBy)
        writeVarint(hold.since.rawValue)
        writeVarint(hold.fence.rawValue)
        writeUInt8(hold.restricts.rawValue)
        writeStrings(hold.exemptRoles)
        writeStrings(hold.editableFields)
    }
}

extension ByteReader {
    /// Reads at most `maxCount` strings of at most ``HoldLimits/nameByteCountMax`` bytes each.
    package mutating func readStrings(maxCount: Int = HoldLimits.editableFieldsMax) throws(DecodeError) -> [String] {
        try readArray(maxCount: maxCount) { reader throws(DecodeError) in
            try reader.readString(maxByteCount: HoldLimits.nameByteCountMax)
        }
    }

    /// Reads a key and validates it.
    package mutating func readValidKey() throws(DecodeError) -> LockKey {
        let start = offset
        let string = try readString(maxByteCount: LockKey.maximumByteCount)
        do {
            return try LockKey(string)
        } catch {
            throw .invalidValue(offset: start, reason: error.description)
        }
    }

    /// Reads a hold in the layout ``ByteWriter/writeHold(_:)`` writes.
    package mutating func readHold() throws(DecodeError) -> Hold {
        Hold(
            key: try readValidKey(), rule: try readString(maxByteCount: HoldLimits.ruleByteCountMax),
            reason: try readString(maxByteCount: InputLimits.reasonByteCountMax), source: try readEnum(HoldSource.self),
            placedBy: try readString(maxByteCount: InputLimits.ownerByteCountMax), since: try readTimestamp(),
            fence: FenceToken(try readVarint()), restricts: try readEnum(HoldRestriction.self),
            exemptRoles: try readStrings(), editableFields: try readStrings())
    }
}

extension HoldPlacement {
    /// Appends the placement: key, rule, reason, source, restriction, exempt roles, editable fields, whether
    /// it ends holders. Strings are written as given; decoding bounds them loosely and every layer validates
    /// them with ``problem``.
    package func encode(into writer: inout ByteWriter) {
        writer.writeString(key.string)
        writer.writeString(rule)
        writer.writeString(reason)
        writer.writeUInt8(source.rawValue)
        writer.writeUInt8(restricts.rawValue)
        writer.writeStrings(exemptRoles)
        writer.writeStrings(editableFields)
        writer.writeUInt8(endsHolders ? 1 : 0)
    }

    /// Reads a placement written by ``encode(into:)``. Strings may exceed the limits by a margin (up to 64 KiB
    /// for rule and reason, 64 names per list) so that an entry with a long string still decodes and is
    /// answered with a typed refusal.
    package static func decode(from reader: inout ByteReader) throws(DecodeError) -> HoldPlacement {
        let key = try reader.readValidKey()
        let rule = try reader.readString(maxByteCount: 65_536)
        let reason = try reader.readString(maxByteCount: 65_536)
        let source = try reader.readEnum(HoldSource.self)
        let restricts = try reader.readEnum(HoldRestriction.self)
        let exempt = try reader.readLooseStrings()
        let editable = try reader.readLooseStrings()
        let ends = try reader.readUInt8()
        guard ends <= 1 else { throw .invalidValue(offset: reader.offset - 1, reason: "ends-holders flag \(ends)") }
        return HoldPlacement(
            key: key, rule: rule, reason: reason, source: source, restricts: restricts, exemptRoles: exempt,
            editableFields: editable, endsHolders: ends == 1)
    }
}

extension ByteReader {
    /// Reads a list of names loosely bounded (at most 256 names of at most 4 KiB), for values validated later.
    package mutating func readLooseStrings() throws(DecodeError) -> [String] {
        try readArray(maxCount: 256) { reader throws(DecodeError) in try reader.readString(maxByteCount: 4_096) }
    }
}

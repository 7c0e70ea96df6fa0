// The one encoding of a holder, shared by the lock table's snapshots and answers and the wire's responses.

extension ByteWriter {
    /// Writes every field of a holder: session, owner, mode, fence, since, note.
    package mutating func writeHolder(_ holder: Holder) {
        writeVarint(holder.session.rawValue)
        writeString(holder.owner)
        writeUInt8(holder.mode.rawValue)
        writeVarint(holder.fence.rawValue)
        writeVarint(holder.since.rawValue)
        writeString(holder.note)
    }
}

extension ByteReader {
    /// Reads a timestamp written as a varint of milliseconds since the epoch.
    package mutating func readTimestamp() throws(DecodeError) -> Timestamp {
        Timestamp(rawValue: try readVarint())
    }

    /// Reads a holder in the layout ``ByteWriter/writeHolder(_:)`` writes, bounding owner and note by
    /// ``InputLimits``.
    package mutating func readHolder() throws(DecodeError) -> Holder {
        Holder(
            session: SessionID(try readVarint()), owner: try readString(maxByteCount: InputLimits.ownerByteCountMax),
            mode: try readEnum(LockMode.self), fence: FenceToken(try readVarint()), since: try readTimestamp(),
            note: try readString(maxByteCount: InputLimits.noteByteCountMax))
    }
}

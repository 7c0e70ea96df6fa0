import PadlockTypes

// Compositions of the primitive codec shared by every message: keys, bounded text, holders and lists whose
// elements may raise domain errors. `ByteReader.readArray` and `readOptional` take closures that throw only
// `DecodeError`, so elements that validate keys use `readElements` and `readPresent` below instead.

extension ByteReader {
    /// Reads a string and validates it as a key, naming the ``PadlockTypes/KeyError`` when it is not one.
    mutating func readKey() throws -> LockKey {
        let start = offset
        let string = try readString(maxByteCount: LockKey.maximumByteCount)
        do {
            return try LockKey(string)
        } catch {
            throw WireError.invalidKey(offset: start, error)
        }
    }

    /// Reads a presence flag, then the value when present; `read` may throw any error.
    mutating func readPresent<Value>(_ read: (inout ByteReader) throws -> Value) throws -> Value? {
        guard try readBool() else { return nil }
        return try read(&self)
    }

    /// Reads a count of at most `maxCount`, checked against the bytes left, then each element.
    mutating func readElements<Element>(
        maxCount: Int, minimumElementSize: Int, _ read: (inout ByteReader) throws -> Element
    ) throws -> [Element] {
        precondition(maxCount >= 0 && maxCount <= 1 << 20 && minimumElementSize >= 1 && minimumElementSize <= 1 << 20)
        let start = offset
        let count = try readLength(max: maxCount)
        // A forged count must not make the reader reserve memory the input could never fill.
        guard count * minimumElementSize <= remainingCount else {
            throw DecodeError.truncated(offset: start, needed: count * minimumElementSize, available: remainingCount)
        }
        var elements: [Element] = []
        elements.reserveCapacity(count)
        for _ in 0..<count { elements.append(try read(&self)) }
        return elements
    }

    /// Reads a varint as a session id.
    mutating func readSessionID() throws -> SessionID { SessionID(try readVarint()) }

    /// Reads a varint as a fence.
    mutating func readFence() throws -> FenceToken { FenceToken(try readVarint()) }

    /// Reads a request id: the session, then the sequence, both varints.
    mutating func readRequestID() throws -> RequestID {
        RequestID(session: try readSessionID(), sequence: try readVarint())
    }
}

extension ByteWriter {
    /// Writes a key as its string.
    mutating func writeKey(_ key: LockKey) { writeString(key.string) }

    /// Writes a request id: the session, then the sequence, both varints.
    mutating func writeRequestID(_ id: RequestID) {
        writeVarint(id.session.rawValue)
        writeVarint(id.sequence)
    }

    /// Writes a count, then each element. A count over the bound the reader enforces is a programmer error:
    /// the sender must page its answer instead of sending bytes every receiver refuses.
    mutating func writeElements<Element>(
        _ elements: [Element], maxCount: Int, _ write: (inout ByteWriter, Element) -> Void
    ) {
        precondition(elements.count <= maxCount, "\(elements.count) elements, but readers accept at most \(maxCount)")
        writeArray(elements, write)
    }
}

/// The smallest encoding of a holder: six one-byte fields (empty strings, zero numbers).
let holderByteCountMin = 6

import PadlockTypes
import Raft

/// The primitive reader with every failure typed as ``PeerWireError`` and every count checked against both
/// its ``PeerWireLimits`` bound and the bytes left, before anything is allocated.
struct PeerReader {
    private var reader: ByteReader
    /// The bounds this decoding enforces.
    let limits: PeerWireLimits

    init(_ bytes: [UInt8], limits: PeerWireLimits) {
        reader = ByteReader(bytes)
        self.limits = limits
    }

    /// Offset of the next byte to read.
    var offset: Int { reader.offset }

    mutating func byte() throws(PeerWireError) -> UInt8 {
        do { return try reader.readUInt8() } catch { throw .malformed(error) }
    }

    mutating func varint() throws(PeerWireError) -> UInt64 {
        do { return try reader.readVarint() } catch { throw .malformed(error) }
    }

    mutating func bool() throws(PeerWireError) -> Bool {
        do { return try reader.readBool() } catch { throw .malformed(error) }
    }

    mutating func nodeID() throws(PeerWireError) -> NodeID { NodeID(try varint()) }
    mutating func term() throws(PeerWireError) -> Term { Term(try varint()) }
    mutating func logIndex() throws(PeerWireError) -> LogIndex { LogIndex(try varint()) }

    /// Reads a count of at most `maximum`, refusing one that `minimumElementByteCount`-byte elements could not
    /// fill from the bytes left: a forged count must not make the decoder reserve memory.
    mutating func count(
        of limit: PeerWireLimit, maximum: Int, minimumElementByteCount: Int
    ) throws(PeerWireError) -> Int {
        let start = offset
        let count = try varint()
        guard count <= UInt64(maximum) else { throw .limitExceeded(limit, count: count, maximum: maximum) }
        // Both factors are at most UInt32.max (limits and element sizes are small), so the product fits.
        let needed = Int(count) * minimumElementByteCount
        guard needed <= reader.remainingCount else {
            throw .malformed(.truncated(offset: start, needed: needed, available: reader.remainingCount))
        }
        return Int(count)
    }

    /// Reads a length of at most `maximum`, then that many bytes.
    mutating func bytes(of limit: PeerWireLimit, maximum: Int) throws(PeerWireError) -> [UInt8] {
        let length = try varint()
        guard length <= UInt64(maximum) else { throw .limitExceeded(limit, count: length, maximum: maximum) }
        do { return try reader.readRaw(count: Int(length)) } catch { throw .malformed(error) }
    }

    /// Reads exactly `count` bytes, with no length prefix (fixed-size fields).
    mutating func raw(count: Int) throws(PeerWireError) -> [UInt8] {
        do { return try reader.readRaw(count: count) } catch { throw .malformed(error) }
    }

    /// Reads a one-byte tag of `Value`, naming `typeName` when it is unknown.
    mutating func tag<Value: RawRepresentable>(
        _ type: Value.Type, named typeName: String
    ) throws(PeerWireError) -> Value where Value.RawValue == UInt8 {
        let start = offset
        let raw = try byte()
        guard let value = Value(rawValue: raw) else {
            throw .malformed(.unknownTag(offset: start, type: typeName, tag: raw))
        }
        return value
    }

    /// Fails unless every byte has been read.
    func expectEnd() throws(PeerWireError) {
        do { try reader.expectEnd() } catch { throw .malformed(error) }
    }

    /// The error for a value that decoded but breaks a rule of its type.
    static func invalid(at offset: Int, _ reason: String) -> PeerWireError {
        .malformed(.invalidValue(offset: offset, reason: reason))
    }
}

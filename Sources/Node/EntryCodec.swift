import LockTable
import PadlockTypes
import Raft
import Storage

/// How the node maps Raft's values to the storage layer's and back, and what a command entry carries.
///
/// A stored entry's payload is one byte of Raft's `Entry.Kind`, then the entry's data. A normal entry's data
/// is the leader's stamp (varint milliseconds since the Unix epoch, kept monotonic by the leader) followed by
/// the command's own encoding (`Command.encode()`).
enum EntryCodec {
    static func stored(_ entry: Entry) -> StoredEntry {
        var payload: [UInt8] = []
        payload.reserveCapacity(entry.data.count + 1)
        payload.append(entry.kind.rawValue)
        payload.append(contentsOf: entry.data)
        return StoredEntry(index: entry.index.rawValue, term: entry.term.rawValue, payload: payload)
    }

    /// The Raft entry a stored one holds; a payload that is empty or names no known kind is corruption.
    static func entry(_ stored: StoredEntry) throws(NodeFailure) -> Entry {
        guard let first = stored.payload.first, let kind = Entry.Kind(rawValue: first) else {
            throw .corruptState("stored entry \(stored.index) has no valid entry kind")
        }
        return Entry(
            term: Term(stored.term), index: LogIndex(stored.index), kind: kind, data: Array(stored.payload.dropFirst()))
    }

    static func stored(_ hardState: HardState) -> StoredHardState {
        StoredHardState(term: hardState.term.rawValue, vote: hardState.vote?.rawValue ?? 0, commit: hardState.commit.rawValue)
    }

    static func hardState(_ stored: StoredHardState) -> HardState {
        HardState(
            term: Term(stored.term), vote: stored.vote == 0 ? nil : NodeID(stored.vote), commit: LogIndex(stored.commit))
    }

    /// The data of a normal entry carrying `command` stamped `stamp`.
    static func commandData(_ command: Command, stamp: Timestamp) -> [UInt8] {
        var writer = ByteWriter(capacity: 48)
        writer.writeUInt8(PayloadTag.command.rawValue)
        writer.writeVarint(stamp.rawValue)
        command.encode(into: &writer)
        return writer.bytes
    }

    /// The data of a normal entry recording where `node` is reached.
    static func memberData(_ node: NodeID, _ addresses: MemberAddresses) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.writeUInt8(PayloadTag.member.rawValue)
        writer.writeVarint(node.rawValue)
        writer.writeString(addresses.peer)
        writer.writeString(addresses.client)
        return writer.bytes
    }

    /// What a normal entry carries, or nil when its data does not decode (a correct leader never writes such
    /// an entry; the lock table then answers `.invalid(.malformedCommand)`).
    static func payload(in data: [UInt8]) -> EntryPayload? {
        var reader = ByteReader(data)
        do {
            let payload: EntryPayload
            switch try reader.readEnum(PayloadTag.self) {
            case .command:
                let stamp = Timestamp(rawValue: try reader.readVarint())
                // No leader stamps year 146 million; such a stamp is forged or corrupt, and refusing it keeps
                // every sum of a stamp and a duration far from overflowing.
                guard stamp.rawValue < stampLimit else { return nil }
                payload = .command(stamp: stamp, try Command.decode(from: &reader))
            case .member:
                let node = NodeID(try reader.readVarint())
                let peer = try reader.readString(maxByteCount: addressByteCountMax)
                payload = .member(node, MemberAddresses(peer: peer, client: try reader.readString(maxByteCount: addressByteCountMax)))
            }
            try reader.expectEnd()
            return payload
        } catch {
            return nil
        }
    }

    static let addressByteCountMax = 256
    /// Stamps at or above 2^62 ms are refused as malformed.
    static let stampLimit: UInt64 = 1 << 62

    /// The first byte of a normal entry's data.
    enum PayloadTag: UInt8 {
        /// The leader's stamp (varint milliseconds since the Unix epoch), then a lock-table command.
        case command = 1
        /// A member's node id, peer address and client address, for the replicated address book.
        case member = 2
    }

    /// A snapshot's data: `PNSD`, version 1, the address book (count, then node id, peer and client address
    /// each, by node id), then the lock table's own snapshot bytes.
    static func snapshotData(addressBook: [NodeID: MemberAddresses], table: [UInt8]) -> [UInt8] {
        var writer = ByteWriter(capacity: table.count + 64 * addressBook.count + 16)
        writer.writeRaw(snapshotMagic)
        writer.writeUInt8(1)
        writer.writeArray(addressBook.keys.sorted()) { writer, node in
            writer.writeVarint(node.rawValue)
            writer.writeString(addressBook[node]!.peer)
            writer.writeString(addressBook[node]!.client)
        }
        writer.writeRaw(table)
        return writer.bytes
    }

    /// The address book and table bytes of a snapshot's data.
    static func snapshotContents(_ data: [UInt8]) throws(NodeFailure) -> (addressBook: [NodeID: MemberAddresses], table: [UInt8]) {
        var reader = ByteReader(data)
        do {
            guard try reader.readRaw(count: 4) == snapshotMagic, try reader.readUInt8() == 1 else {
                throw NodeFailure.corruptState("the snapshot is not a version 1 node snapshot")
            }
            let members = try reader.readArray(maxCount: 1_024, minimumElementSize: 3) { reader throws(DecodeError) in
                let node = NodeID(try reader.readVarint())
                let peer = try reader.readString(maxByteCount: addressByteCountMax)
                return (node, MemberAddresses(peer: peer, client: try reader.readString(maxByteCount: addressByteCountMax)))
            }
            var book: [NodeID: MemberAddresses] = [:]
            for (node, addresses) in members { book[node] = addresses }
            return (book, Array(data[reader.offset...]))
        } catch let failure as NodeFailure {
            throw failure
        } catch {
            throw .corruptState("the snapshot's address book does not decode: \(error)")
        }
    }

    static let snapshotMagic: [UInt8] = Array("PNSD".utf8)
}

/// What a normal entry carries.
enum EntryPayload {
    case command(stamp: Timestamp, Command)
    case member(NodeID, MemberAddresses)
}

extension Command {
    /// The exactly-once identity a client command carries (for `resolve`, the request it resolves).
    var requestID: RequestID? {
        switch self {
        case .closeSession(let request), .acquire(let request, _, _, _, _), .release(let request, _, _),
            .cancelWait(let request, _), .forceUnlock(let request, _, _, _), .revokeSession(let request, _, _, _),
            .expireWaiter(let request), .resolve(let request):
            request
        case .openSession, .openClientSession, .expireSession, .checkpointLeases, .setQuotas:
            nil
        }
    }
}

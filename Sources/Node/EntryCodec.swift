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
        StoredHardState(
            term: hardState.term.rawValue, vote: hardState.vote?.rawValue ?? 0, commit: hardState.commit.rawValue)
    }

    static func hardState(_ stored: StoredHardState) -> HardState {
        HardState(
            term: Term(stored.term), vote: stored.vote == 0 ? nil : NodeID(stored.vote), commit: LogIndex(stored.commit)
        )
    }

    /// The data of a normal entry carrying `command` stamped `stamp`.
    static func commandData(_ command: Command, stamp: Timestamp) -> [UInt8] {
        ByteWriter.tagged(PayloadTag.command, capacity: 48) { writer in
            writer.writeVarint(stamp.rawValue)
            command.encode(into: &writer)
        }
    }

    /// The data of a normal entry recording where `node` is reached.
    static func memberData(_ node: NodeID, _ addresses: MemberAddresses) -> [UInt8] {
        ByteWriter.tagged(PayloadTag.member) { writer in
            writer.writeVarint(node.rawValue)
            writer.writeString(addresses.peer)
            writer.writeString(addresses.client)
        }
    }

    /// The data of a normal entry recording `node`'s incarnation (and whether it is lost).
    static func incarnationData(_ node: NodeID, _ record: MemberIncarnation) -> [UInt8] {
        ByteWriter.tagged(PayloadTag.incarnation, capacity: 20) { writer in
            writer.writeVarint(node.rawValue)
            writer.writeUInt64(record.value)
            writer.writeBool(record.lost)
        }
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
                payload = .member(
                    node, MemberAddresses(peer: peer, client: try reader.readString(maxByteCount: addressByteCountMax)))
            case .incarnation:
                let node = NodeID(try reader.readVarint())
                payload = .incarnation(
                    node, MemberIncarnation(value: try reader.readUInt64(), lost: try reader.readBool()))
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
        /// A member's node id, its incarnation (`u64`) and whether it lost acknowledged entries (bool).
        case incarnation = 3
    }

    /// A snapshot's data: `PNSD`, version 2, the address book (count, then node id, peer and client address
    /// each, by node id), the incarnations (count, then node id, incarnation `u64` and lost bool each, by node
    /// id), then the lock table's own snapshot bytes. Version 1 had no incarnations; it still decodes.
    static func snapshotData(
        addressBook: [NodeID: MemberAddresses], incarnations: [NodeID: MemberIncarnation], table: [UInt8]
    ) -> [UInt8] {
        var writer = ByteWriter(capacity: table.count + 64 * addressBook.count + 16 * incarnations.count + 16)
        writer.writeRaw(snapshotMagic)
        writer.writeUInt8(snapshotVersion)
        writer.writeArray(addressBook.sorted { $0.key < $1.key }) { writer, member in
            writer.writeVarint(member.key.rawValue)
            writer.writeString(member.value.peer)
            writer.writeString(member.value.client)
        }
        writer.writeArray(incarnations.sorted { $0.key < $1.key }) { writer, member in
            writer.writeVarint(member.key.rawValue)
            writer.writeUInt64(member.value.value)
            writer.writeBool(member.value.lost)
        }
        writer.writeRaw(table)
        return writer.bytes
    }

    static let snapshotVersion: UInt8 = 2

    /// The replicated membership records and table bytes of a snapshot's data (version 1 or 2).
    static func snapshotContents(_ data: [UInt8]) throws(NodeFailure) -> SnapshotContents {
        var reader = ByteReader(data)
        do {
            guard try reader.readRaw(count: 4) == snapshotMagic else {
                throw NodeFailure.corruptState("the snapshot is not a node snapshot (no PNSD magic)")
            }
            let version = try reader.readUInt8()
            guard version == 1 || version == snapshotVersion else {
                throw NodeFailure.corruptState(
                    "the snapshot is a version \(version) node snapshot; this padlockd reads versions 1 and 2")
            }
            let members = try reader.readArray(maxCount: 1_024, minimumElementSize: 3) { reader throws(DecodeError) in
                let node = NodeID(try reader.readVarint())
                let peer = try reader.readString(maxByteCount: addressByteCountMax)
                return (
                    node, MemberAddresses(peer: peer, client: try reader.readString(maxByteCount: addressByteCountMax))
                )
            }
            var contents = SnapshotContents()
            for (node, addresses) in members { contents.addressBook[node] = addresses }
            if version >= 2 {
                let records = try reader.readArray(maxCount: 1_024, minimumElementSize: 10) {
                    reader throws(DecodeError) in
                    let node = NodeID(try reader.readVarint())
                    return (node, MemberIncarnation(value: try reader.readUInt64(), lost: try reader.readBool()))
                }
                for (node, record) in records { contents.incarnations[node] = record }
            }
            contents.table = Array(data[reader.offset...])
            return contents
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
    case incarnation(NodeID, MemberIncarnation)
}

/// What a node snapshot holds besides Raft's metadata.
struct SnapshotContents {
    var addressBook: [NodeID: MemberAddresses] = [:]
    var incarnations: [NodeID: MemberIncarnation] = [:]
    var table: [UInt8] = []
}

extension Command {
    /// The exactly-once identity a client command carries (for `resolve`, the request it resolves).
    var requestID: RequestID? {
        switch self {
        case .closeSession(let request), .acquire(let request, _, _, _, _), .release(let request, _, _),
            .cancelWait(let request, _), .forceUnlock(let request, _, _, _), .revokeSession(let request, _, _, _),
            .expireWaiter(let request), .resolve(let request), .takeover(let request, _, _, _, _, _),
            .acquireKeys(let request, _, _, _, _, _), .changeMode(let request, _, _, _, _, _),
            .placeHold(let request, _, _), .liftHold(let request, _, _, _, _):
            request
        case .openSession, .openClientSession, .expireSession, .checkpointLeases, .setQuotas:
            nil
        }
    }
}

extension Entry {
    /// The lock-table command a normal entry carries, nil for any other entry (for observers: the simulator).
    package var command: Command? {
        guard kind == .normal, case .command(_, let command)? = EntryCodec.payload(in: data) else { return nil }
        return command
    }
}

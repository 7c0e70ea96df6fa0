import LockTable
import PadlockTypes
import PeerWire
import Raft
import Storage
import Wire

// The backup file (docs/storage.md, "Backup file"): a header (magic, format version, index, term, cluster id,
// creation time, the node that made it, the body's length) with its own CRC, the body, and the body's CRC.
// Integers are big-endian, as on the wire. The body is the membership as of the backup's index, then the
// node snapshot data a node's own snapshots hold (the address book, the incarnations and the lock table).

/// The body of a backup, as the leader encodes it.
enum BackupBody {
    /// The membership (`PeerWire`'s configuration encoding, length-prefixed), then the node snapshot data.
    static func encode(
        configuration: Configuration, addressBook: [NodeID: MemberAddresses],
        incarnations: [NodeID: MemberIncarnation], table: LockTable
    ) -> [UInt8] {
        let membership = PeerWire.encode(configuration)
        let data = EntryCodec.snapshotData(
            addressBook: addressBook, incarnations: incarnations, table: table.snapshot())
        var writer = ByteWriter(capacity: membership.count + data.count + 16)
        writer.writeBytes(membership)
        writer.writeRaw(data)
        return writer.bytes
    }
}

/// What a backup file's header says.
package struct BackupHeader: Hashable, Sendable {
    /// The file's format version.
    package var version: UInt32
    /// The log index the backup is consistent at.
    package var index: UInt64
    /// The term of the entry at `index`.
    package var term: UInt64
    /// The cluster it was taken from.
    package var clusterID: UInt64
    /// The node that made it.
    package var node: UInt64
    /// When it was made (milliseconds since the Unix epoch, on that node's clock).
    package var createdMilliseconds: UInt64
    /// The body's length in bytes.
    package var bodyByteCount: UInt64
}

/// Why a file is not a usable backup. Each message says what is wrong and what to do.
package enum BackupFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Shorter than a header and the body's checksum.
    case tooShort(byteCount: Int)
    /// The first 8 bytes are not `PADLKBAK`.
    case notABackup
    /// Written by a newer padlock, in a format version this build does not read.
    case newerVersion(found: UInt32, supported: UInt32)
    /// The header's checksum does not match.
    case headerDamaged
    /// The file's size is not what its header says.
    case wrongSize(expected: UInt64, actual: Int)
    /// The body's checksum does not match.
    case bodyDamaged(expected: UInt32, computed: UInt32)
    /// The checksums match but the body does not decode (a bug in the program that wrote it).
    case unreadable(String)

    /// A sentence for the operator.
    package var description: String {
        switch self {
        case .tooShort(let count):
            "the file holds \(count) bytes, fewer than the \(BackupFile.overheadByteCount) of an empty backup: it "
                + "is not a Padlock backup, or it was cut short; use another copy"
        case .notABackup:
            "the file does not start with PADLKBAK: it is not a Padlock backup (made by `padlock backup`)"
        case .newerVersion(let found, let supported):
            "the backup is in format version \(found), and this padlock reads version \(supported) and older: "
                + "use the padlock release that made it, or a newer one"
        case .headerDamaged:
            "the backup's header fails its checksum: the file is damaged; use another copy"
        case .wrongSize(let expected, let actual):
            "the backup's header announces a \(expected)-byte file, but the file holds \(actual) bytes: it was cut "
                + "short or appended to; use another copy"
        case .bodyDamaged(let expected, let computed):
            "the backup's body fails its checksum (recorded \(BackupFile.hex(expected)), computed "
                + "\(BackupFile.hex(computed))): the file is damaged; use another copy"
        case .unreadable(let detail):
            "the backup's checksums match but its contents do not decode (\(detail)); report it as a bug, with "
                + "the padlock version that made it"
        }
    }
}

/// A backup read back and checked completely.
package struct Backup: Sendable {
    /// The header.
    package var header: BackupHeader
    /// The voters and learners as of the backup's index.
    package var configuration: Configuration
    /// Where each member was reached.
    package var addressBook: [NodeID: MemberAddresses]
    /// The members' incarnations as the old cluster recorded them.
    package var incarnations: [NodeID: MemberIncarnation]
    /// The lock table as of the backup's index.
    package var table: LockTable
}

/// Reads and writes backup files; pure bytes, no I/O.
package enum BackupFile {
    static let magic: [UInt8] = Array("PADLKBAK".utf8)
    /// The format version this build writes and the newest it reads.
    package static let version: UInt32 = 1
    /// The header's size in bytes (the body starts here).
    package static let headerByteCount = 72
    /// Header plus the body's checksum: the size of a backup with an empty body.
    package static let overheadByteCount = headerByteCount + 4

    /// The whole file for a backup the leader described with `info` and whose body is `body`.
    package static func encode(_ info: BackupInfo, body: [UInt8]) -> [UInt8] {
        var writer = ByteWriter(capacity: body.count + overheadByteCount)
        writer.writeRaw(magic)
        writer.writeUInt32(version)
        writer.writeUInt32(0)
        for value in [info.index, info.term, info.clusterID, info.createdMilliseconds, info.node] {
            writer.writeUInt64(value)
        }
        writer.writeUInt64(UInt64(body.count))
        writer.writeUInt32(CRC32C.checksum(writer.bytes))
        writer.writeUInt32(0)
        writer.writeRaw(body)
        writer.writeUInt32(CRC32C.checksum(body))
        return writer.bytes
    }

    /// The header of `bytes`, checked (magic, version, header checksum), without looking at the body.
    package static func header(of bytes: [UInt8]) throws(BackupFileError) -> BackupHeader {
        guard bytes.count >= overheadByteCount else { throw .tooShort(byteCount: bytes.count) }
        guard Array(bytes[0..<8]) == magic else { throw .notABackup }
        var reader = ByteReader(Array(bytes[8..<headerByteCount]))
        do {
            let found = try reader.readUInt32()
            guard found <= version, found >= 1 else {
                throw BackupFileError.newerVersion(found: found, supported: version)
            }
            _ = try reader.readUInt32()
            let index = try reader.readUInt64()
            let term = try reader.readUInt64()
            let cluster = try reader.readUInt64()
            let created = try reader.readUInt64()
            let node = try reader.readUInt64()
            let length = try reader.readUInt64()
            guard try reader.readUInt32() == CRC32C.checksum(bytes[0..<(headerByteCount - 8)]),
                try reader.readUInt32() == 0
            else { throw BackupFileError.headerDamaged }
            return BackupHeader(
                version: found, index: index, term: term, clusterID: cluster, node: node, createdMilliseconds: created,
                bodyByteCount: length)
        } catch let error as BackupFileError {
            throw error
        } catch {
            throw .headerDamaged
        }
    }

    /// Reads `bytes` back completely: the header, both checksums, and the body down to every lock, so that a
    /// file that passes will restore.
    package static func decode(
        _ bytes: [UInt8], lockTable: LockTableConfiguration = LockTableConfiguration()
    ) throws(BackupFileError) -> Backup {
        let header = try header(of: bytes)
        let expected = header.bodyByteCount.addingReportingOverflow(UInt64(overheadByteCount))
        guard !expected.overflow, expected.partialValue == UInt64(bytes.count) else {
            throw .wrongSize(expected: expected.partialValue, actual: bytes.count)
        }
        let body = bytes[headerByteCount..<(bytes.count - 4)]
        var trailer = ByteReader(Array(bytes[(bytes.count - 4)...]))
        let recorded = (try? trailer.readUInt32()) ?? 0
        let computed = CRC32C.checksum(body)
        guard recorded == computed else { throw .bodyDamaged(expected: recorded, computed: computed) }
        return try decodeBody(Array(body), header: header, lockTable: lockTable)
    }

    private static func decodeBody(
        _ body: [UInt8], header: BackupHeader, lockTable: LockTableConfiguration
    ) throws(BackupFileError) -> Backup {
        var reader = ByteReader(body)
        let configuration: Configuration
        do {
            let membership = try reader.readBytes(maxCount: 1 << 20)
            configuration = try PeerWire.decodeConfiguration(membership)
        } catch {
            throw .unreadable("the membership: \(error)")
        }
        let contents: SnapshotContents
        do {
            contents = try EntryCodec.snapshotContents(Array(body[reader.offset...]))
        } catch {
            throw .unreadable("\(error)")
        }
        var table = LockTable(configuration: lockTable)
        do {
            try table.restore(from: contents.table)
        } catch {
            throw .unreadable("\(error)")
        }
        guard table.lastAppliedIndex <= header.index else {
            throw .unreadable(
                "the lock table applied entry \(table.lastAppliedIndex), after the backup's index \(header.index)")
        }
        return Backup(
            header: header, configuration: configuration, addressBook: contents.addressBook,
            incarnations: contents.incarnations, table: table)
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}

extension Backup {
    /// The snapshot that seeds a node of a new cluster from this backup (`padlockd restore`): at the backup's
    /// index and term, so the new log (and every new fence) starts above it; the membership is `members`, all
    /// voters, with their addresses, and no recorded incarnations (the new leader records each member's at
    /// first contact); the table's sessions get their whole TTL from `time` (``LockTable/rebaseLeases(at:)``).
    package func seedSnapshot(members: [NodeID: MemberAddresses], at time: Timestamp) -> StoredSnapshot {
        var seeded = table
        seeded.rebaseLeases(at: time)
        let membership = Configuration(voters: members.keys.sorted(), learners: [])
        let data = EntryCodec.snapshotData(addressBook: members, incarnations: [:], table: seeded.snapshot())
        return StoredSnapshot(
            index: header.index, term: header.term, configuration: PeerWire.encode(membership), data: data)
    }
}

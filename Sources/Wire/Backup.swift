import PadlockTypes

// Online backup on the client wire (protocol v3, docs/wire.md "Backup"): an admin asks the leader for a
// backup (`backup`), the leader encodes its state machine at an applied (so committed) index away from its
// loop thread and answers `backupStarted`; the client then pulls the bytes with `backupChunk` requests, one
// bounded frame at a time, so a large table never needs one giant frame and every other connection is served
// between two chunks.

/// What the leader says about the backup it encoded (`backupStarted`).
package struct BackupInfo: Hashable, Sendable {
    /// The leader's number for this transfer: pass it with every `backupChunk`.
    package var transfer: UInt64
    /// The log index the backup is consistent at (committed and applied on the leader).
    package var index: UInt64
    /// The term of the entry at `index`.
    package var term: UInt64
    /// The cluster the backup was taken from.
    package var clusterID: UInt64
    /// The node that made it.
    package var node: UInt64
    /// When it was made, on that node's wall clock (milliseconds since the Unix epoch).
    package var createdMilliseconds: UInt64
    /// The backup body's length in bytes; chunks cover `0..<byteCount`.
    package var byteCount: UInt64

    /// Creates the description of a backup.
    package init(
        transfer: UInt64, index: UInt64, term: UInt64, clusterID: UInt64, node: UInt64, createdMilliseconds: UInt64,
        byteCount: UInt64
    ) {
        self.transfer = transfer
        self.index = index
        self.term = term
        self.clusterID = clusterID
        self.node = node
        self.createdMilliseconds = createdMilliseconds
        self.byteCount = byteCount
    }
}

/// One piece of a backup's body (`backupChunk`).
package struct BackupChunk: Hashable, Sendable {
    /// The transfer it belongs to.
    package var transfer: UInt64
    /// Where `data` starts in the body.
    package var offset: UInt64
    /// At most ``WireLimits/backupChunkByteCountMax`` bytes; empty only past the end of the body.
    package var data: [UInt8]

    /// Creates a chunk.
    package init(transfer: UInt64, offset: UInt64, data: [UInt8]) {
        self.transfer = transfer
        self.offset = offset
        self.data = data
    }
}

extension WireLimits {
    /// The most body bytes one `backupChunk` answer carries (1 MiB): well inside the frame limit.
    package static let backupChunkByteCountMax = 1 << 20
}

extension BackupInfo {
    func write(to writer: inout ByteWriter) {
        for value in [transfer, index, term, clusterID, node, createdMilliseconds, byteCount] {
            writer.writeVarint(value)
        }
    }

    static func read(from reader: inout ByteReader) throws(DecodeError) -> BackupInfo {
        BackupInfo(
            transfer: try reader.readVarint(), index: try reader.readVarint(), term: try reader.readVarint(),
            clusterID: try reader.readVarint(), node: try reader.readVarint(),
            createdMilliseconds: try reader.readVarint(), byteCount: try reader.readVarint())
    }
}

extension BackupChunk {
    func write(to writer: inout ByteWriter) {
        precondition(
            data.count <= WireLimits.backupChunkByteCountMax,
            "a backup chunk carries at most \(WireLimits.backupChunkByteCountMax) bytes, not \(data.count)")
        writer.writeVarint(transfer)
        writer.writeVarint(offset)
        writer.writeBytes(data)
    }

    static func read(from reader: inout ByteReader) throws(DecodeError) -> BackupChunk {
        BackupChunk(
            transfer: try reader.readVarint(), offset: try reader.readVarint(),
            data: try reader.readBytes(maxCount: WireLimits.backupChunkByteCountMax))
    }
}

extension ClientResult {
    /// Writes `backupStarted` and `backupChunk`.
    func writeBackupResult(to writer: inout ByteWriter) {
        switch self {
        case .backupStarted(let info):
            writer.writeUInt8(ResultTag.backupStarted.rawValue)
            info.write(to: &writer)
        case .backupChunk(let chunk):
            writer.writeUInt8(ResultTag.backupChunk.rawValue)
            chunk.write(to: &writer)
        default:
            preconditionFailure("writeBackupResult does not write \(self)")
        }
    }
}

extension ClientOperation {
    /// Writes `backup` and `backupChunk`.
    func writeBackupOperation(to writer: inout ByteWriter) {
        switch self {
        case .backup:
            writer.writeUInt8(OperationTag.backup.rawValue)
        case .backupChunk(let transfer, let offset):
            writer.writeUInt8(OperationTag.backupChunk.rawValue)
            writer.writeVarint(transfer)
            writer.writeVarint(offset)
        default:
            preconditionFailure("writeBackupOperation does not write \(name)")
        }
    }

    /// Reads the fields of `backup` and `backupChunk` after their tag.
    static func readBackupOperation(_ tag: OperationTag, from reader: inout ByteReader) throws -> ClientOperation {
        guard tag == .backupChunk else { return .backup }
        let transfer = try reader.readVarint()
        return .backupChunk(transfer: transfer, offset: try reader.readVarint())
    }
}

/// The snapshot file layout. `docs/storage.md` describes it byte by byte.
///
/// A 56-byte header (magic, version, index, term, the two lengths, a header checksum), then the
/// configuration followed by its CRC-32C, then the data in chunks of `chunkSize` bytes, each followed by
/// its own CRC-32C, so damage is reported at the offset of the chunk that holds it.
package enum SnapshotFormat {
    static let magic: [UInt8] = Array("PADLKSNP".utf8)
    static let version: UInt32 = 1
    static let headerSize = 56
    static let chunkSize = 64 << 10
    /// The name a snapshot is written under before it is complete.
    static let temporaryName = "snapshot.tmp"

    /// The final file name of a snapshot.
    static func name(index: UInt64, term: UInt64) -> String {
        "snapshot-\(WALFormat.hex(index))-\(WALFormat.hex(term)).snap"
    }

    /// The index named by a snapshot file name, or nil for other files.
    package static func index(ofName name: String) -> UInt64? {
        guard name.hasPrefix("snapshot-"), name.hasSuffix(".snap"), name.count == 47 else { return nil }
        return UInt64(name.dropFirst(9).prefix(16), radix: 16)
    }

    static func encode(_ snapshot: StoredSnapshot) -> [UInt8] {
        var bytes = magic
        bytes.appendLittleEndian(version)
        bytes.appendLittleEndian(UInt32(0))
        for word in [snapshot.index, snapshot.term, UInt64(snapshot.configuration.count), UInt64(snapshot.data.count)] {
            bytes.appendLittleEndian(word)
        }
        bytes.appendLittleEndian(CRC32C.checksum(bytes))
        bytes.appendLittleEndian(UInt32(0))
        bytes.append(contentsOf: snapshot.configuration)
        bytes.appendLittleEndian(CRC32C.checksum(snapshot.configuration))
        var start = 0
        while start < snapshot.data.count {
            let chunk = snapshot.data[start..<min(snapshot.data.count, start + chunkSize)]
            bytes.append(contentsOf: chunk)
            bytes.appendLittleEndian(CRC32C.checksum(chunk))
            start += chunkSize
        }
        return bytes
    }

    /// Decodes and verifies a snapshot file; any damage is corruption at the offset of the damaged part.
    static func decode(_ bytes: [UInt8], path: String) throws -> StoredSnapshot {
        func corrupt(_ offset: Int, _ detail: String) -> StorageError {
            StorageError(
                code: .corruption, operation: "load snapshot", path: path, offset: UInt64(offset), detail: detail)
        }
        if bytes.count >= headerSize, Array(bytes[0..<8]) == magic, bytes.loadUInt32(at: 8) > version,
            CRC32C.checksum(bytes, from: 0, count: 48) == bytes.loadUInt32(at: 48)
        {
            throw StorageError.newerFormat(path, "snapshot", found: bytes.loadUInt32(at: 8), reads: version)
        }
        guard bytes.count >= headerSize, Array(bytes[0..<8]) == magic, bytes.loadUInt32(at: 8) == version,
            CRC32C.checksum(bytes, from: 0, count: 48) == bytes.loadUInt32(at: 48), bytes.loadUInt32(at: 52) == 0
        else { throw corrupt(0, "bad snapshot header") }
        let configurationSize = bytes.loadUInt64(at: 32)
        let dataSize = bytes.loadUInt64(at: 40)
        let chunks = (dataSize + UInt64(chunkSize) - 1) / UInt64(chunkSize)
        let expected = UInt64(headerSize) + configurationSize + 4 + dataSize + 4 * chunks
        guard configurationSize < 1 << 40, dataSize < 1 << 40, UInt64(bytes.count) == expected else {
            throw corrupt(0, "snapshot is \(bytes.count) bytes, its header says \(expected)")
        }
        var position = headerSize
        func section(_ size: Int) throws -> ArraySlice<UInt8> {
            let content = bytes[position..<(position + size)]
            guard CRC32C.checksum(content) == bytes.loadUInt32(at: position + size) else {
                throw corrupt(position, "checksum mismatch in the \(size)-byte section")
            }
            position += size + 4
            return content
        }
        let configuration = Array(try section(Int(configurationSize)))
        var data: [UInt8] = []
        data.reserveCapacity(Int(dataSize))
        while data.count < Int(dataSize) {
            data.append(contentsOf: try section(min(chunkSize, Int(dataSize) - data.count)))
        }
        return StoredSnapshot(
            index: bytes.loadUInt64(at: 16), term: bytes.loadUInt64(at: 24), configuration: configuration, data: data)
    }
}

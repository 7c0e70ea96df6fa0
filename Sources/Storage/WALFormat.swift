/// The write-ahead log's on-disk layout. `docs/storage.md` describes it byte by byte.
package enum WALFormat {
    /// Every segment starts with these eight bytes.
    static let segmentMagic: [UInt8] = Array("PADLKWAL".utf8)
    static let version: UInt32 = 1
    /// The last four bytes of every commit record.
    static let commitTrailer: [UInt8] = Array("DONE".utf8)
    /// Bytes before the first record of a segment.
    static let headerSize = 32
    /// Bytes of every record header.
    static let recordHeaderSize = 16
    /// Records start at multiples of this.
    static let alignment = 8
    /// The unit in which a crash may tear a write: the scanner treats a zero tail from a sector boundary on as
    /// never written, and the simulated file system tears at these boundaries.
    package static let sectorSize = 512
    /// The largest entry payload accepted, so a damaged length field cannot make recovery read gigabytes.
    static let payloadSizeMax = 64 << 20
    /// The largest batch written: a segment, which holds at least one batch, stays below 4 GiB, so an
    /// entry's location in memory needs only 32 bits for its offset.
    static let batchSizeMax = 1 << 31

    /// What a record holds.
    enum Kind: UInt8 {
        /// index u64, term u64, payload bytes.
        case entry = 1
        /// term u64, vote u64, commit u64.
        case hardState = 2
        /// batch sequence u64, batch start offset u64, self checksum u32, "DONE": ends a batch.
        case commit = 3
        /// index u64, term u64, flags u64 (bit 0: the log was replaced): a snapshot was saved.
        case snapshot = 4
        /// index u64, term u64: entries up to index were dropped.
        case compaction = 5

        /// The payload length for fixed-size kinds, nil for entries.
        var fixedPayloadSize: Int? {
            switch self {
            case .entry: nil
            case .hardState: 24
            case .commit: 24
            case .snapshot: 24
            case .compaction: 16
            }
        }
    }

    /// The file name of segment `sequence`: sorting names sorts segments.
    static func segmentName(_ sequence: UInt64) -> String { "wal-\(hex(sequence)).seg" }

    /// The sequence number in a segment file name, or nil for other files.
    package static func segmentSequence(_ name: String) -> UInt64? {
        guard name.hasPrefix("wal-"), name.hasSuffix(".seg"), name.count == 24 else { return nil }
        return UInt64(name.dropFirst(4).dropLast(4), radix: 16)
    }

    /// Sixteen lower-case hexadecimal digits.
    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The 32-byte segment header: magic, version, zero, sequence, chain seed, header checksum.
    static func segmentHeader(sequence: UInt64, chainSeed: UInt32) -> [UInt8] {
        var bytes = segmentMagic
        bytes.appendLittleEndian(version)
        bytes.appendLittleEndian(UInt32(0))
        bytes.appendLittleEndian(sequence)
        bytes.appendLittleEndian(chainSeed)
        bytes.appendLittleEndian(CRC32C.checksum(bytes))
        return bytes
    }

    /// The version of an intact segment header that a newer build wrote, or nil (ours, or damaged).
    static func newerVersion(_ bytes: [UInt8]) -> UInt32? {
        guard bytes.count >= headerSize, Array(bytes[0..<8]) == segmentMagic,
            CRC32C.checksum(bytes, from: 0, count: 28) == bytes.loadUInt32(at: 28)
        else { return nil }
        let found = bytes.loadUInt32(at: 8)
        return found > version ? found : nil
    }

    /// The chain seed of a valid header for segment `sequence`, or nil when the header is damaged.
    static func parseHeader(_ bytes: [UInt8], sequence: UInt64) -> UInt32? {
        guard bytes.count >= headerSize, Array(bytes[0..<8]) == segmentMagic,
            bytes.loadUInt32(at: 8) == version, bytes.loadUInt64(at: 16) == sequence,
            CRC32C.checksum(bytes, from: 0, count: 28) == bytes.loadUInt32(at: 28)
        else { return nil }
        return bytes.loadUInt32(at: 24)
    }
}

/// Builds the bytes of one batch: records chained by checksum, ending with a commit record.
struct BatchEncoder {
    private(set) var bytes: [UInt8] = []
    private(set) var chain: UInt32
    let startOffset: Int
    /// The offset in the segment of each entry record added, in order.
    private(set) var entryOffsets: [Int] = []

    /// Starts a batch that will be written at `startOffset` of a segment, continuing checksum `chain`.
    init(startOffset: Int, chain: UInt32, capacity: Int = 0) {
        self.startOffset = startOffset
        self.chain = chain
        bytes.reserveCapacity(capacity)
    }

    /// The bytes a record with a payload of `payloadSize` bytes takes on disk.
    static func recordSize(payloadSize: Int) -> Int {
        roundUp(WALFormat.recordHeaderSize + payloadSize, to: WALFormat.alignment)
    }

    /// The bytes a batch of these entries takes, with or without a hard state and `extraRecords` fixed ones.
    static func batchSize(_ entries: [StoredEntry], hardState: Bool, markerPayload: Int? = nil) -> Int {
        var size = recordSize(payloadSize: 24)
        if hardState { size += recordSize(payloadSize: 24) }
        if let markerPayload { size += recordSize(payloadSize: markerPayload) }
        for entry in entries { size += recordSize(payloadSize: 16 + entry.payload.count) }
        return size
    }

    /// Adds a record of `kind` whose payload is `payloadSize` bytes appended by `writePayload`.
    private mutating func addRecord(_ kind: WALFormat.Kind, payloadSize: Int, _ writePayload: (inout [UInt8]) -> Void) {
        let start = bytes.count
        bytes.appendLittleEndian(UInt32(0))
        bytes.append(kind.rawValue)
        bytes.append(contentsOf: [0, 0, 0])
        bytes.appendLittleEndian(UInt32(payloadSize))
        bytes.appendLittleEndian(UInt32(0))
        writePayload(&bytes)
        precondition(
            bytes.count == start + WALFormat.recordHeaderSize + payloadSize, "payload size mismatch for \(kind)")
        bytes.padToAlignment(WALFormat.alignment)
        chain = CRC32C.checksum(bytes, from: start + 4, count: bytes.count - start - 4, continuing: chain)
        bytes.storeLittleEndian(chain, at: start)
    }

    mutating func add(_ kind: WALFormat.Kind, _ payload: [UInt8]) {
        addRecord(kind, payloadSize: payload.count) { $0.append(contentsOf: payload) }
    }

    /// Adds an entry record, writing the payload straight into the batch (this is the hot path).
    mutating func add(_ entry: StoredEntry) {
        entryOffsets.append(startOffset + bytes.count)
        addRecord(.entry, payloadSize: 16 + entry.payload.count) { bytes in
            bytes.appendLittleEndian(entry.index)
            bytes.appendLittleEndian(entry.term)
            bytes.append(contentsOf: entry.payload)
        }
    }

    mutating func add(_ hardState: StoredHardState) {
        add(.hardState, Self.words([hardState.term, hardState.vote, hardState.commit]))
    }

    /// Ends the batch with its commit record; the commit record also checks itself, so recovery can
    /// recognise it without the chain.
    mutating func commit(sequence: UInt64) {
        var selfChecked: [UInt8] = [WALFormat.Kind.commit.rawValue, 0, 0, 0]
        selfChecked.appendLittleEndian(UInt32(24))
        selfChecked.appendLittleEndian(UInt32(0))
        selfChecked.appendLittleEndian(sequence)
        selfChecked.appendLittleEndian(UInt64(startOffset))
        var payload = Self.words([sequence, UInt64(startOffset)])
        payload.appendLittleEndian(CRC32C.checksum(selfChecked))
        // A non-zero trailer keeps the last non-zero byte of a complete batch at its very end, so no single
        // flipped bit can make a complete batch look like a torn one.
        payload.append(contentsOf: WALFormat.commitTrailer)
        add(.commit, payload)
    }

    static func words(_ values: [UInt64]) -> [UInt8] {
        var bytes: [UInt8] = []
        for value in values { bytes.appendLittleEndian(value) }
        return bytes
    }
}

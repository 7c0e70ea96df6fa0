/// One decoded record of the write-ahead log. An entry record is decoded without its payload: recovery
/// keeps only where it lies.
enum WALRecord: Equatable {
    case entry(index: UInt64, term: UInt64, offset: UInt32)
    case hardState(StoredHardState)
    case snapshot(index: UInt64, term: UInt64, replacedLog: Bool)
    case compaction(index: UInt64, term: UInt64)
}

/// What scanning one segment found.
struct SegmentScan {
    /// The complete batches, in order, each with its sequence number.
    var batches: [(sequence: UInt64, offset: Int, records: [WALRecord])] = []
    /// The offset just after the last complete batch: where the next batch goes.
    var endOffset: Int
    /// The checksum chain value at `endOffset`.
    var chain: UInt32
    /// Bytes after `endOffset` that hold an incomplete (torn) batch and must be zeroed.
    var tornTail: Range<Int>?
}

/// Reads a segment's records, checking every checksum, and tells a torn tail from corruption.
///
/// A torn tail is an incomplete last batch: the crash came before its sync returned, so it was never
/// reported durable. Under the failure model (writes reach the disk as a prefix of whole sectors), it
/// looks like valid records followed by one bad record that runs into the all-zero end of the file, with no
/// commit record after it. Anything else that is bad is corruption.
struct SegmentScanner {
    let bytes: [UInt8]
    let path: String
    /// Whether this is the newest segment; only it can have a torn tail.
    let isLast: Bool
    /// The batch sequence number expected next, when known from an earlier segment.
    var expectedSequence: UInt64?

    /// Scans from the header on, starting the checksum chain at `seed`.
    func scan(seed: UInt32) throws -> SegmentScan {
        var result = SegmentScan(endOffset: WALFormat.headerSize, chain: seed)
        var pending: [WALRecord] = []
        var position = WALFormat.headerSize
        var chain = seed
        var sequence = expectedSequence
        while position < bytes.count {
            switch try parse(at: position, chain: chain) {
            case .end:
                if !pending.isEmpty { try incompleteBatch(at: result.endOffset, end: position, into: &result) }
                return result
            case .bad(let extent, let reason):
                try classifyBad(at: position, extent: extent, reason: reason, endOffset: result.endOffset)
                result.tornTail = result.endOffset..<max(result.endOffset, trailingZeroStart())
                return result
            case .record(let record, let size, let newChain):
                position += size
                chain = newChain
                guard case .commit(let batchSequence, let start) = record else {
                    pending.append(try decode(record, at: position - size))
                    continue
                }
                if start != result.endOffset || (sequence.map { $0 != batchSequence } ?? false) {
                    throw StorageError.corrupt(path, at: UInt64(position - size), "commit record out of order")
                }
                result.batches.append((batchSequence, result.endOffset, pending))
                pending.removeAll()
                sequence = batchSequence + 1
                result.endOffset = position
                result.chain = chain
            }
        }
        if !pending.isEmpty { try incompleteBatch(at: result.endOffset, end: bytes.count, into: &result) }
        return result
    }

    /// An incomplete batch before the zeroed end: torn in the newest segment, corruption in an older one
    /// (a new segment is only started after every batch of the previous one was synced).
    private func incompleteBatch(at start: Int, end: Int, into result: inout SegmentScan) throws {
        guard isLast else { throw StorageError.corrupt(path, at: UInt64(start), "batch without a commit record") }
        result.tornTail = start..<end
    }

    /// Throws unless a bad record at `position` is explained by a torn final write.
    private func classifyBad(at position: Int, extent: Int, reason: String, endOffset: Int) throws {
        let corrupt = StorageError.corrupt(path, at: UInt64(position), reason)
        guard isLast else { throw corrupt }
        // A record that lies wholly before the zeroed end was written in full, so tearing cannot explain it,
        // unless its header is all zero: no flipped bit does that, but a crash while recovery was zeroing a
        // torn tail does (the zeros reached the disk only as a prefix).
        let headerZeroed = bytes.isZero(position..<min(bytes.count, position + WALFormat.recordHeaderSize))
        guard position + extent > trailingZeroStart() || headerZeroed else { throw corrupt }
        // A valid commit record after the bad one means a later batch completed, so this one was durable.
        var candidate = position
        while candidate + 40 <= bytes.count {
            if isStandaloneCommit(at: candidate) { throw corrupt }
            candidate += WALFormat.alignment
        }
    }

    /// The start of the sector after the last non-zero byte: everything from there on is zero.
    func trailingZeroStart() -> Int {
        var last = bytes.count - 1
        bytes.withUnsafeBufferPointer { buffer in
            while last >= 0 && buffer[last] == 0 { last -= 1 }
        }
        return min(bytes.count, roundUp(last + 1, to: WALFormat.sectorSize))
    }

    /// Whether a commit record that checks itself starts at `offset`.
    func isStandaloneCommit(at offset: Int) -> Bool {
        guard bytes[offset + 4] == WALFormat.Kind.commit.rawValue, bytes.loadUInt32(at: offset + 8) == 24 else {
            return false
        }
        return CRC32C.checksum(bytes, from: offset + 4, count: 28) == bytes.loadUInt32(at: offset + 32)
    }
}

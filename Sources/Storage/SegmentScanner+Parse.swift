extension SegmentScanner {
    /// The outcome of reading the record at one offset.
    enum Parsed {
        /// The rest of the segment is zero.
        case end
        /// A damaged record: `extent` bytes are known to belong to it.
        case bad(extent: Int, reason: String)
        /// A record whose checksum holds, its size on disk and the chain value after it.
        case record(RawRecord, size: Int, chain: UInt32)
    }

    /// A record checked but not yet decoded.
    enum RawRecord {
        case commit(sequence: UInt64, start: Int)
        case other(WALFormat.Kind, payloadOffset: Int, payloadSize: Int)
    }

    func parse(at position: Int, chain: UInt32) throws -> Parsed {
        let header = WALFormat.recordHeaderSize
        if bytes.isZero(position..<min(bytes.count, position + header)) {
            return bytes.isZero(position..<bytes.count) ? .end : .bad(extent: header, reason: "zeroed record header")
        }
        guard position + header <= bytes.count else { return .bad(extent: header, reason: "record header cut short") }
        let payloadSize = Int(bytes.loadUInt32(at: position + 8))
        guard let kind = WALFormat.Kind(rawValue: bytes[position + 4]),
            bytes.isZero((position + 5)..<(position + 8)), bytes.loadUInt32(at: position + 12) == 0,
            kind.fixedPayloadSize.map({ $0 == payloadSize })
                ?? (payloadSize >= 16 && payloadSize <= WALFormat.payloadSizeMax)
        else { return .bad(extent: header, reason: "malformed record header") }
        let size = BatchEncoder.recordSize(payloadSize: payloadSize)
        guard position + size <= bytes.count else { return .bad(extent: size, reason: "record runs past the segment") }
        let computed = CRC32C.checksum(bytes, from: position + 4, count: size - 4, continuing: chain)
        guard computed == bytes.loadUInt32(at: position) else { return .bad(extent: size, reason: "checksum mismatch") }
        let payload = position + header
        if kind == .commit {
            return .record(
                .commit(sequence: bytes.loadUInt64(at: payload), start: Int(bytes.loadUInt64(at: payload + 8))),
                size: size, chain: computed)
        }
        return .record(.other(kind, payloadOffset: payload, payloadSize: payloadSize), size: size, chain: computed)
    }

    /// Decodes a checked record; a record that checks but makes no sense is corruption at `offset`. The
    /// segment is at most 4 GiB (recovery checks), so `offset` fits an entry's location.
    func decode(_ raw: RawRecord, at offset: Int) throws -> WALRecord {
        guard case .other(let kind, let start, _) = raw else {
            preconditionFailure("commit records are handled by the scanner")
        }
        let first = bytes.loadUInt64(at: start)
        let second = bytes.loadUInt64(at: start + 8)
        switch kind {
        case .entry:
            return .entry(index: first, term: second, offset: UInt32(offset))
        case .hardState:
            return .hardState(StoredHardState(term: first, vote: second, commit: bytes.loadUInt64(at: start + 16)))
        case .snapshot:
            let flags = bytes.loadUInt64(at: start + 16)
            guard flags <= 1 else { throw StorageError.corrupt(path, at: UInt64(offset), "unknown snapshot flags") }
            return .snapshot(index: first, term: second, replacedLog: flags == 1)
        case .compaction:
            return .compaction(index: first, term: second)
        case .commit:
            preconditionFailure("commit records are handled by the scanner")
        }
    }
}

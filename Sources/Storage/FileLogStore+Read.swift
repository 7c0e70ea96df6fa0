extension FileLogStore {
    /// Reads back the entries whose locations are `slots`, the first of them at index `index`: one read per
    /// run of entries in the same segment.
    func readEntries(_ slots: ArraySlice<EntryLocation>, from index: UInt64) throws -> [StoredEntry] {
        var entries: [StoredEntry] = []
        entries.reserveCapacity(slots.count)
        var start = slots.startIndex
        while start < slots.endIndex {
            let segment = slots[start].segment
            var end = start + 1
            while end < slots.endIndex && slots[end].segment == segment { end += 1 }
            let first = index + UInt64(start - slots.startIndex)
            entries += try readEntries(slots[start..<end], inSegment: UInt64(segment), from: first)
            start = end
        }
        return entries
    }

    /// Reads the entries at `slots`, all in segment `sequence`, from the first one's record to the end of
    /// the last one's, and checks that each record is the entry its slot names. (The records' checksums
    /// were verified when they were written or recovered; this catches a location gone wrong.)
    private func readEntries(
        _ slots: ArraySlice<EntryLocation>, inSegment sequence: UInt64, from index: UInt64
    ) throws -> [StoredEntry] {
        guard let first = slots.first, let last = slots.last else { return [] }
        let name = WALFormat.segmentName(sequence)
        let isActive = sequence == segments.last?.sequence
        let file = isActive ? activeFile : try fileSystem.open(name, create: false)
        defer { if !isActive { fileSystem.close(file) } }
        let start = Int(first.offset)
        // Up to the last record's header first, which gives its length; then the rest of it.
        var bytes = try read(file, name, at: start, count: Int(last.offset) + WALFormat.recordHeaderSize - start)
        let lastPayload = Int(bytes.loadUInt32(at: bytes.count - WALFormat.recordHeaderSize + 8))
        guard lastPayload >= 16 && lastPayload <= WALFormat.payloadSizeMax else {
            throw StorageError.corrupt(fileSystem.path(name), at: UInt64(last.offset), "not an entry record")
        }
        let rest = BatchEncoder.recordSize(payloadSize: lastPayload) - WALFormat.recordHeaderSize
        bytes += try read(file, name, at: start + bytes.count, count: rest)
        var entries: [StoredEntry] = []
        entries.reserveCapacity(slots.count)
        for (position, slot) in slots.enumerated() {
            let expected = (index + UInt64(position), slot.term)
            guard let entry = bytes.entryRecord(at: Int(slot.offset) - start), (entry.index, entry.term) == expected
            else {
                throw StorageError.corrupt(
                    fileSystem.path(name), at: UInt64(slot.offset),
                    "the record here is not entry \(expected.0) of term \(expected.1)")
            }
            entries.append(entry)
        }
        return entries
    }

    /// Exactly `count` bytes at `offset` of segment `name`; fewer is corruption (the store wrote them).
    private func read(_ file: FileID, _ name: String, at offset: Int, count: Int) throws -> [UInt8] {
        let bytes = try fileSystem.read(file, at: offset, count: count)
        guard bytes.count == count else {
            throw StorageError.corrupt(fileSystem.path(name), at: UInt64(offset + bytes.count), "segment cut short")
        }
        return bytes
    }
}

extension [UInt8] {
    /// The entry whose record starts at `offset`, or nil when no whole entry record starts there.
    fileprivate func entryRecord(at offset: Int) -> StoredEntry? {
        let header = WALFormat.recordHeaderSize
        guard offset >= 0, offset + header <= count, self[offset + 4] == WALFormat.Kind.entry.rawValue else {
            return nil
        }
        let payloadSize = Int(loadUInt32(at: offset + 8))
        guard payloadSize >= 16, offset + header + payloadSize <= count else { return nil }
        let payload = offset + header
        return StoredEntry(
            index: loadUInt64(at: payload), term: loadUInt64(at: payload + 8),
            payload: Array(self[(payload + 16)..<(payload + payloadSize)]))
    }
}

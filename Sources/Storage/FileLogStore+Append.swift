extension FileLogStore {
    /// Appends a batch of entries and an optional hard state with one write and one `fdatasync`.
    package func append(_ entries: [StoredEntry], hardState: StoredHardState?) throws {
        try checkUsable()
        if let first = entries.first {
            precondition(
                first.index > log.baseIndex && first.index <= log.lastIndex + 1,
                "append at \(first.index) does not attach to the log \(log.firstIndex)...\(log.lastIndex)")
            for (offset, entry) in entries.enumerated() {
                precondition(
                    entry.index == first.index + UInt64(offset), "append of non-consecutive indexes at \(entry.index)")
                precondition(
                    entry.payload.count <= WALFormat.payloadSizeMax - 16,
                    "entry \(entry.index) has \(entry.payload.count) bytes; the node must bound requests well below this"
                )
            }
        }
        guard !entries.isEmpty || hardState != nil else { return }
        let locations = try writeBatch(entries, hardState: hardState, marker: nil)
        for (entry, location) in zip(entries, locations) { log.append(location, at: entry.index) }
        if let hardState { log.hardState = hardState }
    }

    /// Writes one batch (a hard state, a marker record, entries, then the commit record) and syncs it,
    /// moving to a new segment first when it does not fit in the current one. Returns where the entries went.
    @discardableResult
    func writeBatch(
        _ entries: [StoredEntry], hardState: StoredHardState?, marker: (WALFormat.Kind, [UInt8])?
    ) throws -> [EntryLocation] {
        let size = BatchEncoder.batchSize(entries, hardState: hardState != nil, markerPayload: marker?.1.count)
        precondition(
            size <= WALFormat.batchSizeMax,
            "a batch of \(size) bytes is larger than the \(WALFormat.batchSizeMax) a segment may hold; "
                + "the node bounds its batches well below this")
        if writeOffset + size > activeSize {
            try createSegment(minimumSize: WALFormat.headerSize + size)
        }
        var encoder = BatchEncoder(startOffset: writeOffset, chain: chain, capacity: size)
        if let hardState { encoder.add(hardState) }
        if let (kind, payload) = marker { encoder.add(kind, payload) }
        for entry in entries { encoder.add(entry) }
        encoder.commit(sequence: nextBatchSequence)
        precondition(encoder.bytes.count == size, "batch size \(encoder.bytes.count) differs from the estimate \(size)")
        try poisoning {
            try fileSystem.write(activeFile, encoder.bytes, at: writeOffset)
            try fileSystem.syncData(activeFile)
        }
        writeOffset += size
        chain = encoder.chain
        nextBatchSequence += 1
        if let last = entries.last {
            segments[segments.count - 1].maxEntryIndex = max(segments[segments.count - 1].maxEntryIndex, last.index)
        }
        let segment = UInt32(segments[segments.count - 1].sequence)
        return zip(entries, encoder.entryOffsets).map { entry, offset in
            EntryLocation(term: entry.term, segment: segment, offset: UInt32(offset))
        }
    }

    /// Creates the next segment: written under a temporary name, preallocated, its header synced, renamed
    /// into place and the directory synced, so a segment with its final name always has a valid header.
    func createSegment(minimumSize: Int) throws {
        let sequence = (segments.last?.sequence ?? 0) + 1
        precondition(sequence <= UInt32.max, "the log has used up the \(UInt32.max) segment numbers a store can name")
        let name = WALFormat.segmentName(sequence)
        let temporary = name + ".tmp"
        let size = max(options.segmentSize, roundUp(minimumSize, to: 4096))
        let file = try poisoning {
            let file = try fileSystem.open(temporary, create: true)
            do {
                try fileSystem.allocate(file, size: size)
                try fileSystem.write(file, WALFormat.segmentHeader(sequence: sequence, chainSeed: chain), at: 0)
                try fileSystem.syncData(file)
                try fileSystem.rename(temporary, to: name)
                try fileSystem.syncDirectory()
            } catch {
                fileSystem.close(file)
                throw error
            }
            return file
        }
        if activeFile.rawValue >= 0 { fileSystem.close(activeFile) }
        activeFile = file
        activeSize = size
        writeOffset = WALFormat.headerSize
        segments.append(Segment(sequence: sequence, maxEntryIndex: 0))
    }
}

extension FileLogStore {
    /// What scanning one segment found, with its sequence number and path.
    typealias ScannedSegment = (sequence: UInt64, path: String, scan: SegmentScan)

    /// Rebuilds the state from the directory: leftover temporary files go, the newest snapshot is verified,
    /// every segment is scanned in order, a torn tail is zeroed, and the log is checked against the snapshot.
    func recover() throws {
        var files = try fileSystem.listFiles()
        let temporary = files.filter { $0.hasSuffix(".tmp") }
        if !temporary.isEmpty {
            for name in temporary { try fileSystem.remove(name) }
            try fileSystem.syncDirectory()
            files.removeAll { $0.hasSuffix(".tmp") }
        }
        try recoverSnapshot(files)
        let sequences = files.compactMap(WALFormat.segmentSequence).sorted()
        var scans: [ScannedSegment] = []
        var discarded: DiscardedTail?
        for (position, sequence) in sequences.enumerated() {
            if position > 0 && sequence != sequences[position - 1] + 1 {
                let missing = WALFormat.segmentName(sequences[position - 1] + 1)
                throw StorageError.corrupt(
                    fileSystem.path(missing), at: 0, "segment missing before \(WALFormat.segmentName(sequence))")
            }
            let (scan, tail) = try recoverSegment(sequence, isLast: position == sequences.count - 1)
            scans.append((sequence, fileSystem.path(WALFormat.segmentName(sequence)), scan))
            discarded = tail ?? discarded
        }
        log = try replay(scans)
        if segments.isEmpty { try createSegment(minimumSize: options.segmentSize) }
        try checkAgainstSnapshot()
        recovered = RecoveredState(
            hardState: log.hardState, snapshotIndex: snapshotFile?.index, snapshotTerm: snapshotFile?.term,
            firstIndex: log.firstIndex, lastIndex: log.lastIndex, discardedTail: discarded)
    }

    /// Finds the newest snapshot file and verifies it; a damaged newest snapshot is corruption (an older one
    /// is never used instead, since the log may already be compacted past it).
    private func recoverSnapshot(_ files: [String]) throws {
        // Names sort by index, then term: a snapshot installed again at the same index has a higher term.
        let snapshots = files.filter { SnapshotFormat.index(ofName: $0) != nil }.sorted()
        guard let newest = snapshots.last else { return }
        let file = try fileSystem.open(newest, create: false)
        defer { fileSystem.close(file) }
        let snapshot = try SnapshotFormat.decode(try fileSystem.readAll(file), path: fileSystem.path(newest))
        guard SnapshotFormat.name(index: snapshot.index, term: snapshot.term) == newest else {
            throw StorageError.corrupt(fileSystem.path(newest), at: 0, "file name does not match its header")
        }
        snapshotFile = (newest, snapshot.index, snapshot.term)
    }

    /// Scans one segment. The newest segment stays open for writing; a torn tail in it is zeroed and synced,
    /// and returned.
    private func recoverSegment(_ sequence: UInt64, isLast: Bool) throws -> (SegmentScan, DiscardedTail?) {
        let name = WALFormat.segmentName(sequence)
        let path = fileSystem.path(name)
        let file = try fileSystem.open(name, create: false)
        var keepOpen = false
        defer { if !keepOpen { fileSystem.close(file) } }
        let bytes = try fileSystem.readAll(file)
        if let found = WALFormat.newerVersion(bytes) {
            throw StorageError.newerFormat(path, "log segment", found: found, reads: WALFormat.version)
        }
        guard let seed = WALFormat.parseHeader(bytes, sequence: sequence) else {
            throw StorageError.corrupt(path, at: 0, "bad segment header")
        }
        // The store never makes more segments, or larger ones, than an entry's location can name.
        guard sequence <= UInt32.max, bytes.count <= UInt32.max else {
            throw StorageError.corrupt(path, at: 0, "segment number or size beyond what this store writes")
        }
        if !segments.isEmpty && seed != chain {
            throw StorageError.corrupt(path, at: 0, "checksum chain does not continue from the previous segment")
        }
        let scanner = SegmentScanner(
            bytes: bytes, path: path, isLast: isLast,
            expectedSequence: segments.isEmpty ? nil : nextBatchSequence)
        let scan = try scanner.scan(seed: seed)
        var segment = Segment(sequence: sequence, maxEntryIndex: 0)
        for batch in scan.batches {
            for case .entry(let index, _, _) in batch.records {
                segment.maxEntryIndex = max(segment.maxEntryIndex, index)
            }
            nextBatchSequence = batch.sequence + 1
        }
        segments.append(segment)
        chain = scan.chain
        guard isLast else { return (scan, nil) }
        keepOpen = true
        activeFile = file
        activeSize = bytes.count
        writeOffset = scan.endOffset
        guard let torn = scan.tornTail, !torn.isEmpty else { return (scan, nil) }
        try fileSystem.write(file, [UInt8](repeating: 0, count: torn.count), at: torn.lowerBound)
        try fileSystem.syncData(file)
        return (scan, DiscardedTail(path: path, offset: UInt64(torn.lowerBound), byteCount: UInt64(torn.count)))
    }

    /// Replays every complete batch of every segment, in order.
    private func replay(_ scans: [ScannedSegment]) throws -> LogState<EntryLocation> {
        let records = scans.flatMap { $0.scan.batches.flatMap(\.records) }
        var replay = LogReplay(horizon: LogReplay.horizon(of: records))
        for (sequence, path, scan) in scans {
            for batch in scan.batches {
                for record in batch.records {
                    try replay.apply(record, segment: UInt32(sequence), path: path, offset: UInt64(batch.offset))
                }
            }
        }
        return replay.state
    }

    /// Checks the replayed log against the newest snapshot file, and finishes a snapshot whose record did
    /// not reach the log before a crash.
    private func checkAgainstSnapshot() throws {
        let firstSegment = fileSystem.path(segments.first!.name)
        guard let snapshot = snapshotFile else {
            if log.snapshotIndex != nil || log.baseIndex > 0 || log.baseTerm == nil {
                throw StorageError.corrupt(
                    firstSegment, at: 0, "the log starts at \(log.firstIndex) but there is no snapshot file")
            }
            return
        }
        if let recorded = log.snapshotIndex, recorded > snapshot.index {
            throw StorageError.corrupt(
                firstSegment, at: 0,
                "the log records snapshot \(recorded) but the newest snapshot file is \(snapshot.name)")
        }
        if log.baseIndex > snapshot.index {
            throw StorageError.corrupt(
                firstSegment, at: 0, "the log is compacted past the snapshot at \(snapshot.index)")
        }
        if log.snapshotIndex != snapshot.index || log.snapshotTerm != snapshot.term {
            // The crash came after the snapshot file was renamed into place but before its record was durable.
            try recordSnapshot(index: snapshot.index, term: snapshot.term)
        }
        if log.baseTerm == nil {
            throw StorageError.corrupt(
                firstSegment, at: 0, "the log starts at \(log.firstIndex) with no compaction record")
        }
    }
}

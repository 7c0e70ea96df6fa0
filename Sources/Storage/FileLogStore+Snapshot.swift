extension FileLogStore {
    /// Makes `snapshot` durable: temporary file, `fdatasync`, rename, directory `fsync`; then records it in
    /// the log (replacing the log when it does not hold the snapshot's last entry) and removes older
    /// snapshot files.
    package func saveSnapshot(_ snapshot: StoredSnapshot) throws {
        try checkUsable()
        precondition(
            snapshot.index >= (snapshotFile?.index ?? 0),
            "snapshot at \(snapshot.index) is older than the stored one at \(snapshotFile?.index ?? 0)")
        precondition(
            snapshot.index >= log.baseIndex,
            "snapshot at \(snapshot.index) is before the compaction point \(log.baseIndex)")
        let name = SnapshotFormat.name(index: snapshot.index, term: snapshot.term)
        let temporary = SnapshotFormat.temporaryName
        let bytes = SnapshotFormat.encode(snapshot)
        try poisoning {
            let file = try fileSystem.open(temporary, create: true)
            defer { fileSystem.close(file) }
            try fileSystem.write(file, bytes, at: 0)
            try fileSystem.syncData(file)
            try fileSystem.rename(temporary, to: name)
            try fileSystem.syncDirectory()
        }
        let older = snapshotFile.map { $0.name == name ? [] : [$0.name] } ?? []
        snapshotFile = (name, snapshot.index, snapshot.term)
        try recordSnapshot(index: snapshot.index, term: snapshot.term)
        try poisoning {
            for name in older { try fileSystem.remove(name) }
            if !older.isEmpty { try fileSystem.syncDirectory() }
        }
    }

    /// Writes the log record of a saved snapshot; the log is replaced when it does not hold the snapshot's
    /// last entry with the same term.
    func recordSnapshot(index: UInt64, term: UInt64) throws {
        let replaced = !log.matches(index: index, term: term)
        let payload = BatchEncoder.words([index, term, replaced ? 1 : 0])
        try writeBatch([], hardState: nil, marker: (.snapshot, payload))
        log.recordSnapshot(index: index, term: term, replacedLog: replaced)
    }

    /// The newest durable snapshot, read back and verified.
    package func loadSnapshot() throws -> StoredSnapshot? {
        try checkUsable()
        guard let snapshotFile else { return nil }
        let file = try fileSystem.open(snapshotFile.name, create: false)
        defer { fileSystem.close(file) }
        return try SnapshotFormat.decode(try fileSystem.readAll(file), path: fileSystem.path(snapshotFile.name))
    }

    /// Drops entries up to `index` (not past the snapshot) and removes segments that hold only such entries.
    ///
    /// The compaction record carries the hard state, so removing older segments never loses it.
    package func compact(upTo index: UInt64) throws {
        try checkUsable()
        precondition(
            index <= (snapshotFile?.index ?? 0),
            "compaction to \(index) is past the snapshot at \(snapshotFile?.index ?? 0)")
        guard index > log.baseIndex else { return }
        guard let term = log.term(at: index) else {
            preconditionFailure("compaction point \(index) is not in the log \(log.firstIndex)...\(log.lastIndex)")
        }
        try writeBatch([], hardState: log.hardState, marker: (.compaction, BatchEncoder.words([index, term])))
        log.compact(upTo: index, term: term)
        var removable = 0
        while removable < segments.count - 1 && segments[removable].maxEntryIndex <= index { removable += 1 }
        guard removable > 0 else { return }
        try poisoning {
            // Oldest first, so a crash part-way leaves a contiguous run of segments.
            for segment in segments.prefix(removable) { try fileSystem.remove(segment.name) }
            try fileSystem.syncDirectory()
        }
        segments.removeFirst(removable)
    }
}

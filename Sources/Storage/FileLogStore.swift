/// The production `LogStore`: a write-ahead log in fixed-size segment files plus one snapshot file, in one
/// directory. The format and the recovery rules are in `docs/storage.md`.
///
/// Every batch (`append`, the record of a saved snapshot, a compaction) is one `pwrite` of checksummed
/// records ending with a commit record, followed by one `fdatasync`. In memory the store keeps only the
/// term and disk location of each entry after the compaction point (16 bytes, `EntryLocation`): enough to
/// append, truncate, compact and record snapshots. `entries(from:to:)` reads the entries back from the
/// segment files; only a restarting node asks for them, since Raft keeps its own copy of the log.
///
/// A store is used from one thread at a time. It is `@unchecked Sendable` only so the runtime can hand it to
/// its disk thread; it has no locks.
package final class FileLogStore: LogStore, @unchecked Sendable {
    /// Tuning for a store.
    package struct Options: Sendable {
        /// The size every segment file is preallocated to. A batch larger than this gets a segment of its own.
        package var segmentSize: Int

        /// Creates options; 64 MiB segments by default.
        package init(segmentSize: Int = 64 << 20) {
            precondition(
                segmentSize >= 4096 && segmentSize <= WALFormat.batchSizeMax && segmentSize % 4096 == 0,
                "segment size \(segmentSize) must be a multiple of 4096 from 4 KiB to 2 GiB")
            self.segmentSize = segmentSize
        }
    }

    /// One segment file of the log.
    struct Segment {
        var sequence: UInt64
        var name: String { WALFormat.segmentName(sequence) }
        /// The highest entry index written to this segment (0 when none): the segment may be removed once
        /// the log is compacted past it.
        var maxEntryIndex: UInt64
    }

    let fileSystem: FileSystem
    let options: Options
    var log = LogState<EntryLocation>()
    var segments: [Segment] = []
    /// The open newest segment, where batches go.
    var activeFile = FileID(rawValue: -1)
    var activeSize = 0
    var writeOffset = 0
    var chain: UInt32 = 0
    var nextBatchSequence: UInt64 = 1
    /// The newest snapshot file's name, index and term.
    var snapshotFile: (name: String, index: UInt64, term: UInt64)?
    /// The first write or sync error; once set, every call throws it.
    var poison: StorageError?

    /// What the store found when it was opened.
    package internal(set) var recovered = RecoveredState(
        hardState: .initial, snapshotIndex: nil, snapshotTerm: nil, firstIndex: 1, lastIndex: 0, discardedTail: nil)

    /// Opens (creating if needed) the store in `directory` and recovers its state.
    ///
    /// Throws a `StorageError` with code `.corruption`, naming the file and byte offset, when the durable
    /// part of the log or the snapshot is damaged; the node must not start then.
    package convenience init(directory: String, options: Options = Options()) throws {
        try self.init(fileSystem: try PosixFileSystem(directory: directory), options: options)
    }

    package init(fileSystem: FileSystem, options: Options) throws {
        self.fileSystem = fileSystem
        self.options = options
        try recover()
    }

    deinit {
        if activeFile.rawValue >= 0 { fileSystem.close(activeFile) }
    }

    /// The first index held in the log.
    package var firstIndex: UInt64 { log.firstIndex }
    /// The last index held in the log.
    package var lastIndex: UInt64 { log.lastIndex }
    /// The last durable hard state.
    package var hardState: StoredHardState { log.hardState }

    /// Throws the poisoning error, if any.
    func checkUsable() throws {
        if let poison { throw poison }
    }

    /// Runs a write-path operation; its first failure poisons the store for good.
    func poisoning<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StorageError {
            if poison == nil { poison = error }
            throw poison!
        }
    }

    /// The entries with indexes in `from..<to`, read back from the segment files.
    package func entries(from: UInt64, to: UInt64) throws -> [StoredEntry] {
        try checkUsable()
        guard from >= log.firstIndex else {
            throw StorageError(
                code: .compacted, operation: "read entries",
                detail: "\(from) is before the first index \(log.firstIndex)")
        }
        guard to <= log.lastIndex + 1, from <= to else {
            throw StorageError(
                code: .unavailable, operation: "read entries",
                detail: "\(from)..<\(to) is past the last index \(log.lastIndex)")
        }
        return try readEntries(log.slots[Int(from - log.firstIndex)..<Int(to - log.firstIndex)], from: from)
    }

    /// The term at `index`, or nil when it is neither in the log nor the compaction point.
    package func term(at index: UInt64) throws -> UInt64? {
        try checkUsable()
        return log.term(at: index)
    }
}

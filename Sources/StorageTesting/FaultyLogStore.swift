import Storage

#if canImport(Glibc)
    import Glibc
#endif

/// A `LogStore` for the simulator: the real `FileLogStore` code over a simulated disk that loses power,
/// tears writes, flips bits and fails on demand, all driven by the seeded generator it was given.
///
/// A call that returned is durable, exactly as with `FileLogStore`. To have unsynced data at a crash, arm
/// `crash(afterOperations:)` so power is lost part-way through a later call; that call throws, and
/// `crash()` then decides which of its writes survive. `restart()` runs the real recovery.
package final class FaultyLogStore: LogStore {
    let disk: SimulatedFileSystem
    var store: FileLogStore?
    var generator: any RandomNumberGenerator
    let options: FileLogStore.Options

    /// Creates an empty store on a fresh simulated disk. `segmentSize` is small by default so tests cross
    /// segment boundaries.
    package init(generator: some RandomNumberGenerator, segmentSize: Int = 16 << 10) throws {
        self.disk = SimulatedFileSystem()
        self.generator = generator
        self.options = FileLogStore.Options(segmentSize: segmentSize)
        self.store = try FileLogStore(fileSystem: disk, options: options)
    }

    private init(disk: SimulatedFileSystem, generator: any RandomNumberGenerator, options: FileLogStore.Options) {
        self.disk = disk
        self.generator = generator
        self.options = options
        self.store = nil
    }

    /// A store on a copy of this one's durable data, as a consistent backup of the directory taken now would
    /// hold it, in the state of a machine that lost power: `restart()` recovers it.
    package func durableCopy(generator: some RandomNumberGenerator) -> FaultyLogStore {
        FaultyLogStore(disk: disk.durableCopy(), generator: generator, options: options)
    }

    /// A store on a copy of what this one's directory shows a reader now (`cp -a` of the live directory),
    /// in the state of a machine that lost power: `restart()` recovers it. The simulator's restored backups.
    package func visibleCopy(generator: some RandomNumberGenerator) -> FaultyLogStore {
        FaultyLogStore(disk: disk.visibleCopy(), generator: generator, options: options)
    }

    /// An empty store (a wiped directory) with this one's options, in the state of a machine that lost
    /// power: `restart()` starts it.
    package func emptyTwin(generator: some RandomNumberGenerator) -> FaultyLogStore {
        FaultyLogStore(disk: SimulatedFileSystem(directory: disk.directory), generator: generator, options: options)
    }

    private var live: FileLogStore {
        guard let store else { preconditionFailure("the faulty store was used after crash() and before restart()") }
        return store
    }

    /// What the last (re)start recovered.
    package var recovered: RecoveredState { live.recovered }
    /// The first index held in the log.
    package var firstIndex: UInt64 { live.firstIndex }
    /// The last index held in the log.
    package var lastIndex: UInt64 { live.lastIndex }
    /// The last durable hard state.
    package var hardState: StoredHardState { live.hardState }

    /// See `LogStore.append(_:hardState:)`.
    package func append(_ entries: [StoredEntry], hardState: StoredHardState?) throws {
        try live.append(entries, hardState: hardState)
    }
    /// See `LogStore.entries(from:to:)`.
    package func entries(from: UInt64, to: UInt64) throws -> [StoredEntry] { try live.entries(from: from, to: to) }
    /// See `LogStore.term(at:)`.
    package func term(at index: UInt64) throws -> UInt64? { try live.term(at: index) }
    /// See `LogStore.saveSnapshot(_:)`.
    package func saveSnapshot(_ snapshot: StoredSnapshot) throws { try live.saveSnapshot(snapshot) }
    /// See `LogStore.loadSnapshot()`.
    package func loadSnapshot() throws -> StoredSnapshot? { try live.loadSnapshot() }
    /// See `LogStore.compact(upTo:)`.
    package func compact(upTo index: UInt64) throws { try live.compact(upTo: index) }

    /// Makes the next write (or preallocation) fail with `errorNumber`.
    package func failNextWrite(errorNumber: Int32 = EIO) { disk.failNextWrite = errorNumber }

    /// Makes the next `fdatasync` or directory `fsync` fail with `errorNumber`.
    package func failNextSync(errorNumber: Int32 = EIO) { disk.failNextSync = errorNumber }

    /// Loses power when the disk has done `count` more operations (writes, syncs, creations, renames,
    /// removals): the call in progress then throws `StorageError.Code.closed`.
    package func crash(afterOperations count: Int) { disk.crashAfterOperations = count }

    /// Loses power now: unsynced writes are dropped or kept as a random prefix, the last kept one possibly
    /// torn at a sector boundary. Returns a sentence saying what happened, for test messages.
    @discardableResult
    package func crash() -> String {
        store = nil
        return disk.crash(using: &generator)
    }

    /// Starts again after `crash()`, recovering from what the disk kept. Throws on corruption.
    package func restart() throws {
        precondition(store == nil, "restart() without crash()")
        store = try FileLogStore(fileSystem: disk, options: options)
    }
}

extension FaultyLogStore {
    /// How many disk operations (writes, syncs, creations, renames, removals) the store has done so far.
    package var diskOperationCount: Int { disk.operationCount }

    /// Cancels a crash armed with `crash(afterOperations:)` that has not happened yet.
    package func disarmCrash() { disk.crashAfterOperations = nil }
}

import Node
import Storage
import StorageTesting

/// One node's disk: the real `FileLogStore` code on a simulated disk (`FaultyLogStore`), behind a FIFO queue
/// whose writes take a random time. A write's effect happens when it completes; a crash while writes are
/// queued may leave the first of them partly on the disk (torn), the way a power cut during a sync would.
final class SimDisk {
    private struct Queued {
        var write: DiskWrite
        var completion: (Result<Void, any Error>) -> Void
    }

    private(set) var store: FaultyLogStore
    private var queue: [Queued] = []
    private var busyUntil: UInt64 = 0
    var random: SimRandom
    /// Mean extra latency of one durable write, in microseconds; a `disk` fault raises it.
    var latencyMean: Double = 400
    /// Writes done, and writes that failed on purpose.
    private(set) var writeCount = 0

    init(random: SimRandom) {
        var random = random
        let generator = random.fork()
        self.random = random
        do {
            store = try FaultyLogStore(generator: generator, segmentSize: 8 << 10)
        } catch {
            preconditionFailure("the simulated disk cannot start an empty log store: \(error)")
        }
    }

    var hasPendingWrites: Bool { !queue.isEmpty }

    /// Queues a write; returns when (true time) it will complete.
    func submit(_ write: DiskWrite, now: UInt64, completion: @escaping (Result<Void, any Error>) -> Void) -> UInt64 {
        let done = max(now, busyUntil) + 60 + random.exponential(mean: latencyMean)
        busyUntil = done
        queue.append(Queued(write: write, completion: completion))
        return done
    }

    /// Completes the oldest queued write: performs it on the store and reports the result.
    func completeOldest() {
        guard !queue.isEmpty else { return }
        let next = queue.removeFirst()
        writeCount += 1
        let result = Result<Void, any Error> { try next.write.perform(on: store) }
        next.completion(result)
    }

    /// Makes the next write's sync fail, as a dying disk would; the node must stop.
    func failNextSync() { store.failNextSync() }

    /// Loses power: queued writes never complete, and the first may be partly written. Returns what happened.
    @discardableResult
    func crash() -> String {
        if let first = queue.first, random.chance(0.5) {
            store.crash(afterOperations: Int(random.below(4)))
            _ = try? first.write.perform(on: store)
            store.disarmCrash()
        }
        queue = []
        busyUntil = 0
        return store.crash()
    }

    /// Runs the real recovery on what the disk kept; throws on corruption.
    func restart() throws { try store.restart() }

    /// Replaces the whole disk (while the node is down): `store` must be in its crashed state, so that the
    /// next `restart()` recovers from it. Used for wiped directories and restored backups.
    func replace(with store: FaultyLogStore) {
        precondition(queue.isEmpty, "a disk replaced with writes queued")
        self.store = store
    }

    /// Flips one bit in the durable data (while the node is down); recovery must refuse to start.
    func corrupt() -> FaultyLogStore.FlippedBit? { store.flipRandomBit() }
}

import Logging

/// The answer to `DiskThread.submit`.
package enum DiskSubmitAnswer: Sendable, Equatable {
    /// The work is queued; its completion will run on the loop thread.
    case accepted
    /// `capacity` pieces of work are already in flight; nothing was queued.
    case overloaded
    /// The disk thread was stopped; nothing was queued.
    case stopped
}

/// A dedicated thread for blocking file work (writes, `fdatasync`), with its own bounded queue.
///
/// Deliberately not libuv's shared thread pool: the WAL's writes must run one at a time, in order, and
/// never wait behind unrelated work. Work is submitted on the loop thread, runs on the disk thread in
/// submission order, and each completion comes back through the loop's mailbox onto the loop thread, in
/// the same order. At most `capacity` pieces of work are in flight (queued, running, or completed but not
/// yet delivered), which also bounds the completions this thread adds to the mailbox.
package final class DiskThread: Sendable {
    private let queue: DiskQueue
    private let completions: DiskCompletions
    private let thread: NativeThread
    /// The most pieces of work in flight at once.
    package let capacity: Int

    /// Starts a disk thread whose completions are delivered on `loop`.
    package init(loop: EventLoop, name: String = "padlock-disk", capacity: Int = 1024) {
        precondition(capacity > 0, "DiskThread capacity must be positive, got \(capacity)")
        self.capacity = capacity
        let queue = DiskQueue()
        let completions = DiskCompletions(core: loop.core)
        self.queue = queue
        self.completions = completions
        let core = loop.core
        thread = NativeThread(name: name) { queue.run(core: core, completions: completions) }
    }

    deinit {
        queue.requestStop()
        thread.detach()
    }

    /// Queues `work` to run on the disk thread; `completion` later runs on the loop thread with its result.
    /// Loop thread only. Never blocks: a full queue answers `.overloaded`.
    package func submit<Value: Sendable>(
        _ work: @escaping @Sendable () throws -> Value,
        completion: @escaping (Result<Value, any Error>) -> Void
    ) -> DiskSubmitAnswer {
        completions.core.assertOnLoopThread("DiskThread.submit")
        guard completions.inFlight < capacity else { return .overloaded }
        let sequence = completions.register { result in
            // The job below returns `work()`, so the cast cannot fail; a typed error instead of a trap all the same.
            completion(
                result.flatMap { value in
                    guard let typed = value as? Value else { return .failure(DiskResultTypeMismatch()) }
                    return .success(typed)
                })
        }
        let job = DiskJob(sequence: sequence) { Result { try work() as any Sendable } }
        guard queue.enqueue(job) else {
            completions.unregister(sequence)
            return .stopped
        }
        return .accepted
    }

    /// Finishes the work already queued, then ends the thread and waits for it. Completions of that work
    /// are delivered while the loop runs. Call it once, before stopping the loop, from any thread.
    package func stop() {
        queue.requestStop()
        thread.join()
    }
}

struct DiskJob: Sendable {
    let sequence: UInt64
    let run: @Sendable () -> Result<any Sendable, any Error>
}

/// The queue between the loop thread (producer) and the disk thread (consumer), guarded by a condition lock.
final class DiskQueue: @unchecked Sendable {
    private let lock = ConditionLock()
    // Guarded by `lock`.
    private var jobs: [DiskJob] = []
    private var head = 0
    private var stopping = false

    /// Queues a job unless the thread is stopping.
    func enqueue(_ job: DiskJob) -> Bool {
        let accepted = lock.withLock { () -> Bool in
            guard !stopping else { return false }
            jobs.append(job)
            return true
        }
        if accepted { lock.broadcast() }
        return accepted
    }

    func requestStop() {
        lock.withLock { stopping = true }
        lock.broadcast()
    }

    private func nextJob() -> DiskJob? {
        lock.withLock { () -> DiskJob? in
            while head == jobs.count && !stopping { lock.wait() }
            guard head < jobs.count else { return nil }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            return job
        }
    }

    /// The disk thread's body: run jobs in order until stopped and empty.
    func run(core: LoopCore, completions: DiskCompletions) {
        while let job = nextJob() {
            let result = job.run()
            // The mailbox bound is bypassed on purpose: completions are already bounded by the disk
            // queue's capacity, and losing one would lose a durability acknowledgement.
            let answer = core.post({ completions.complete(job.sequence, with: result) }, ignoringCapacity: true)
            if answer != .accepted {
                core.logger.warning("disk completion dropped: loop stopped", metadata: ["loop": "\(core.name)"])
            }
        }
    }
}

/// The loop-thread side of the disk thread: pending completion callbacks, by sequence number.
/// `@unchecked Sendable` because every field is touched only on the loop thread (asserted).
final class DiskCompletions: @unchecked Sendable {
    let core: LoopCore
    private var pending: [UInt64: (Result<any Sendable, any Error>) -> Void] = [:]
    private var nextSequence: UInt64 = 0

    init(core: LoopCore) {
        self.core = core
    }

    var inFlight: Int { pending.count }

    func register(_ completion: @escaping (Result<any Sendable, any Error>) -> Void) -> UInt64 {
        nextSequence += 1
        pending[nextSequence] = completion
        return nextSequence
    }

    func unregister(_ sequence: UInt64) {
        pending[sequence] = nil
    }

    func complete(_ sequence: UInt64, with result: Result<any Sendable, any Error>) {
        core.assertOnLoopThread("disk completion")
        guard let completion = pending.removeValue(forKey: sequence) else {
            preconditionFailure("disk completion \(sequence) delivered twice or never registered")
        }
        completion(result)
    }
}

/// A disk job's result was not of the type its submitter asked for (a bug in `DiskThread`, never bad input).
struct DiskResultTypeMismatch: Error, CustomStringConvertible {
    var description: String { "the disk thread returned a result of another type than the job's" }
}

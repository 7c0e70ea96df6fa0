import CLibUV

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A plain OS thread running one closure, joinable exactly once.
///
/// The loop thread and the disk thread are long-lived threads that block in `uv_run` or on a condition;
/// they must not occupy Swift concurrency's cooperative pool, so they are pthreads.
final class NativeThread: @unchecked Sendable {
    // `handle` is written once before `start` returns and read only by `join`, which the owner calls once.
    private var handle: pthread_t?
    private var joined = false

    /// Starts a thread named `name` (truncated to the 15 bytes Linux allows) that runs `body`.
    init(name: String, body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(ThreadBody(name: name, body: body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(
            &thread, nil,
            { raw in
                // The retained box is consumed here, by the new thread, exactly once.
                let body = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
                padlock_name_current_thread(body.name)
                body.body()
                return nil
            }, box)
        precondition(status == 0, "pthread_create failed with \(status) for thread \(name)")
        handle = thread
    }

    /// Waits for the thread to finish. Must be called at most once and never from the thread itself.
    func join() {
        precondition(!joined, "NativeThread joined twice")
        precondition(!isCurrent, "a thread cannot join itself")
        joined = true
        guard let handle else { return }
        _ = pthread_join(handle, nil)
    }

    /// Releases the thread's resources without waiting, for owners that go away without joining.
    func detach() {
        guard !joined, let handle else { return }
        joined = true
        _ = pthread_detach(handle)
    }

    /// Whether the calling thread is this thread.
    var isCurrent: Bool {
        guard let handle else { return false }
        return pthread_equal(handle, pthread_self()) != 0
    }
}

private final class ThreadBody {
    let name: String
    let body: @Sendable () -> Void
    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}

/// A mutex with one condition variable, for the disk thread's queue (the `Synchronization` module has no
/// condition variable). The pthread objects live in heap memory that never moves.
final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        precondition(pthread_mutex_init(mutex, nil) == 0, "pthread_mutex_init failed")
        precondition(pthread_cond_init(condition, nil) == 0, "pthread_cond_init failed")
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` holding the mutex.
    func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits on the condition; call only inside `withLock`.
    func wait() {
        pthread_cond_wait(condition, mutex)
    }

    /// Wakes every waiter; call inside or outside `withLock`.
    func broadcast() {
        pthread_cond_broadcast(condition)
    }
}

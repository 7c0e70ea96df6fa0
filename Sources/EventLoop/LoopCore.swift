import CLibUV
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The state behind an `EventLoop`.
///
/// Marked `@unchecked Sendable` because its fields follow explicit rules instead of the compiler's:
/// `mailbox`, `threadID`, `report` and `joinState` are synchronized; `loop`, `wakeHandle` (except for
/// `uv_async_send`), the prepare and idle handles, the hooks, `spareBatch` and `shuttingDown` are touched
/// only on the loop thread, after the thread starts (`pthread_create` orders the writes `init` made before it).
final class LoopCore: @unchecked Sendable {
    let name: String
    let logger: Logger
    let mailboxCapacity: Int
    let loop: UnsafeMutablePointer<uv_loop_t>
    let wakeHandle: UnsafeMutablePointer<uv_async_t>
    /// Runs `endIteration` just before each poll (`IterationHooks.swift`).
    let prepareHandle: UnsafeMutablePointer<uv_prepare_t>
    /// Started only when hooks are still requested after `hookRoundsMax` rounds: keeps the poll from blocking.
    let idleHandle: UnsafeMutablePointer<uv_idle_t>
    let mailbox = Mutex(MailboxState())
    private let threadID = Atomic<UInt>(0)
    private let report = Mutex<StopReport?>(nil)
    private let joinState = Mutex<JoinState>(.notStarted)

    // Loop-thread-only state.
    var spareBatch: [@Sendable () -> Void] = []
    var shuttingDown = false
    var nextConnectionNumber = 0
    /// Connections holding sends made during this loop iteration, written once it ends (`flushCorkedWrites`).
    var corkedConnections: [TCPConnection] = []
    /// Owners' end-of-iteration work, in creation order (`EventLoop.beforeWaiting`).
    var iterationHooks: [IterationHook] = []
    /// How many of `iterationHooks` are requested now.
    var requestedHooks = 0

    static let shutdownIterationsMax = 1000

    private enum JoinState {
        case notStarted
        case running(NativeThread)
        case finished
    }

    init(name: String, mailboxCapacity: Int, logger: Logger) throws(UVError) {
        self.name = name
        self.logger = logger
        self.mailboxCapacity = mailboxCapacity
        loop = .allocate(capacity: 1)
        let status = uv_loop_init(loop)
        guard status == 0 else {
            loop.deallocate()
            throw UVError(status: status)
        }
        wakeHandle = allocateHandle(UV_ASYNC, as: uv_async_t.self)
        // The async handle's data stays nil: its memory is freed by the shared close callback, and its
        // callback reaches the core through the loop's data.
        let asyncStatus = uv_async_init(loop, wakeHandle, mailboxWakeCallback)
        precondition(asyncStatus == 0, "uv_async_init failed: \(UVError(status: asyncStatus))")
        prepareHandle = allocateHandle(UV_PREPARE, as: uv_prepare_t.self)
        idleHandle = allocateHandle(UV_IDLE, as: uv_idle_t.self)
        uv_loop_set_data(loop, Unmanaged.passUnretained(self).toOpaque())
        initializeIterationHandles()
    }

    deinit {
        // The thread holds a strong reference until it ends, so by now the loop is closed (or, if closing
        // failed, still has handles that point into it: leaking it is safer than freeing it under them).
        if report.withLock({ $0?.closeError == nil }) {
            loop.deallocate()
        }
    }

    /// The core whose loop is `loop`.
    static func of(_ loop: UnsafeMutablePointer<uv_loop_t>?) -> LoopCore {
        Unmanaged<LoopCore>.fromOpaque(uv_loop_get_data(loop)!).takeUnretainedValue()
    }

    var isOnLoopThread: Bool { threadID.load(ordering: .acquiring) == LoopCore.currentThreadID }

    static var currentThreadID: UInt {
        #if canImport(Darwin)
            return UInt(bitPattern: pthread_self())
        #else
            return UInt(pthread_self())
        #endif
    }

    func start() {
        joinState.withLock { state in
            guard case .notStarted = state else { preconditionFailure("loop '\(name)' started twice") }
            state = .running(NativeThread(name: name) { self.runOnLoopThread() })
        }
    }

    /// Waits for the loop thread to end and returns its report.
    func joinThread() -> StopReport {
        joinState.withLock { state in
            if case .running(let thread) = state {
                thread.join()
                state = .finished
            }
        }
        return report.withLock { $0 } ?? StopReport(liveHandles: 0, closeError: nil)
    }

    func detachIfNotJoined() {
        joinState.withLock { state in
            if case .running(let thread) = state {
                thread.detach()
                state = .finished
            }
        }
    }

    private func runOnLoopThread() {
        threadID.store(LoopCore.currentThreadID, ordering: .releasing)
        // One iteration at a time, so that during shutdown any handle an owner opened from a close
        // callback (a timer, a reconnect) is closed at the end of that same iteration instead of keeping
        // the loop alive. The bound stops an owner that reopens handles forever; the report shows it.
        var shutdownIterations = 0
        while uv_run(loop, UV_RUN_ONCE) != 0 {
            endIteration()
            guard shuttingDown else { continue }
            shutdownIterations += 1
            if shutdownIterations > LoopCore.shutdownIterationsMax { break }
            uv_walk(loop, closeWalkedHandle, nil)
        }
        let live = countLiveHandles()
        let status = uv_loop_close(loop)
        let closeError = status < 0 ? UVError(status: status) : nil
        if let closeError {
            logger.error("loop did not close", metadata: ["loop": "\(name)", "error": "\(closeError)"])
        }
        // The hooks' bodies may hold their owners, which hold the loop: let go of them with the loop.
        iterationHooks = []
        requestedHooks = 0
        report.withLock { $0 = StopReport(liveHandles: live, closeError: closeError) }
        threadID.store(0, ordering: .releasing)
    }

    /// Writes what each connection's sends of this iteration gathered: one `uv_write` per connection per
    /// iteration however many frames it sent, so a leader answering a batch of committed entries makes one
    /// write system call per client connection, not one per answer. Runs at the end of every iteration
    /// (`endIteration`, after the hooks), before the loop can block again, so coalescing never delays a frame.
    func flushCorkedWrites() {
        guard !corkedConnections.isEmpty else { return }
        let connections = corkedConnections
        corkedConnections.removeAll(keepingCapacity: true)
        for connection in connections { connection.flushCorked() }
    }

    /// Closes every handle; runs once, on the loop thread, after the final mailbox drain.
    func beginShutdown() {
        // Answers sent in this iteration (by callbacks or hooks) leave before the handles close, as they
        // would have without coalescing.
        endIteration()
        shuttingDown = true
        uv_walk(loop, closeWalkedHandle, nil)
    }

    func countLiveHandles() -> Int {
        var count = 0
        withUnsafeMutablePointer(to: &count) { pointer in
            uv_walk(
                loop,
                { _, argument in
                    argument!.assumingMemoryBound(to: Int.self).pointee += 1
                }, pointer)
        }
        return count
    }
}

extension LoopCore {
    /// Stops the program when the caller is not on this loop's thread (a programmer error).
    @inline(__always)
    func assertOnLoopThread(_ what: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
        precondition(isOnLoopThread, "not on loop thread '\(name)': \(what())", file: file, line: line)
    }
}

/// `uv_walk` callback used at shutdown: closes whatever is not already closing.
private func closeWalkedHandle(_ handle: UnsafeMutablePointer<uv_handle_t>?, _ argument: UnsafeMutableRawPointer?) {
    guard let handle else { return }
    closeHandle(handle)
}

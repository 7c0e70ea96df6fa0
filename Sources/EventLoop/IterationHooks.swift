import CLibUV

/// Work an owner asks the loop to do once the callbacks of the current iteration are over and before the
/// loop waits for the next event: create it with `EventLoop.beforeWaiting(_:)`, then call `request()`
/// whenever there is something to do. However many times it was requested meanwhile, the body runs once.
///
/// Loop thread only. Hooks run in the order they were created, and then the loop writes what connections
/// gathered in the iteration (write coalescing), so frames a hook sends leave in the same iteration. A hook
/// requested while hooks run (by itself or another) runs again before the loop waits; after
/// `LoopCore.hookRoundsMax` such rounds, the loop polls without blocking and runs it in the next iteration,
/// so a hook that keeps requesting itself cannot starve the sockets.
package final class IterationHook {
    private let core: LoopCore
    private var body: (() -> Void)?
    fileprivate(set) var isRequested = false

    init(core: LoopCore, body: @escaping () -> Void) {
        self.core = core
        self.body = body
    }

    /// Asks for the body to run before the loop next waits. Harmless when already requested or cancelled.
    package func request() {
        core.assertOnLoopThread("IterationHook.request")
        guard body != nil, !isRequested else { return }
        isRequested = true
        core.requestedHooks += 1
    }

    /// Whether a request is waiting for the body to run.
    package var isPending: Bool {
        core.assertOnLoopThread("IterationHook.isPending")
        return isRequested
    }

    /// Stops the hook for good: its body never runs again and the loop lets go of it.
    package func cancel() {
        core.assertOnLoopThread("IterationHook.cancel")
        guard body != nil else { return }
        body = nil
        if isRequested {
            isRequested = false
            core.requestedHooks -= 1
        }
        core.iterationHooks.removeAll { $0 === self }
    }

    /// Runs the body if it was requested (loop thread, from `LoopCore.runRequestedHooks`).
    fileprivate func runIfRequested() {
        guard isRequested, let body else { return }
        isRequested = false
        core.requestedHooks -= 1
        body()
    }
}

extension EventLoop {
    /// Registers `body` to run on the loop thread before the loop waits, each time the returned hook was
    /// requested since it last ran (see `IterationHook`). The loop holds the hook until it is cancelled or
    /// the loop stops. Loop thread only.
    package func beforeWaiting(_ body: @escaping () -> Void) -> IterationHook {
        preconditionOnLoopThread("beforeWaiting")
        let hook = IterationHook(core: core, body: body)
        core.iterationHooks.append(hook)
        return hook
    }
}

extension LoopCore {
    /// Rounds of requested hooks (each followed by the write flush) run before the loop waits; a hook still
    /// requested after them runs in the next iteration, which then polls without blocking.
    static let hookRoundsMax = 16

    /// The end of an iteration: the requested hooks, then the gathered writes, repeated while hooks are
    /// requested again. Runs from the prepare handle (just before libuv computes how long to wait) and after
    /// every `uv_run` iteration, so nothing a callback asked for waits behind a blocking poll.
    func endIteration() {
        for _ in 0..<Self.hookRoundsMax {
            runRequestedHooks()
            flushCorkedWrites()
            guard requestedHooks > 0 else { return }
        }
        guard !shuttingDown else { return }
        // An active idle handle makes libuv's poll timeout zero; its callback stops it again.
        let status = uv_idle_start(idleHandle, idleFired)
        precondition(status == 0, "uv_idle_start failed: \(UVError(status: status))")
    }

    private func runRequestedHooks() {
        guard requestedHooks > 0 else { return }
        for hook in iterationHooks where hook.isRequested { hook.runIfRequested() }
    }

    /// Creates the prepare handle that runs `endIteration` and the idle handle that keeps a poll from
    /// blocking. Neither keeps the loop alive; both close with every other handle at shutdown.
    func initializeIterationHandles() {
        var status = uv_prepare_init(loop, prepareHandle)
        precondition(status == 0, "uv_prepare_init failed: \(UVError(status: status))")
        status = uv_prepare_start(prepareHandle, prepareFired)
        precondition(status == 0, "uv_prepare_start failed: \(UVError(status: status))")
        uv_unref(asHandle(prepareHandle))
        status = uv_idle_init(loop, idleHandle)
        precondition(status == 0, "uv_idle_init failed: \(UVError(status: status))")
        uv_unref(asHandle(idleHandle))
    }
}

/// The prepare handle's callback: libuv is about to compute its poll timeout and wait.
private func prepareFired(_ handle: UnsafeMutablePointer<uv_prepare_t>?) {
    guard let handle else { return }
    LoopCore.of(uv_handle_get_loop(asHandle(handle))).endIteration()
}

/// The idle handle's callback: it only kept one poll from blocking; the prepare handle runs the hooks.
private func idleFired(_ handle: UnsafeMutablePointer<uv_idle_t>?) {
    guard let handle else { return }
    uv_idle_stop(handle)
}

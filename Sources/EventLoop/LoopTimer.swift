import CLibUV

/// A one-shot or repeating timer on a loop; create it with `EventLoop.schedule(after:repeating:_:)`.
///
/// Loop thread only. A cancelled timer never fires again, even when its deadline already passed in the
/// current loop iteration. A one-shot timer releases its handle after firing.
package final class LoopTimer: LoopHandleOwner {
    private let core: LoopCore
    private let repeats: Bool
    /// Nil once the timer fired (one-shot) or was cancelled; the handle is then closing.
    private var handle: UnsafeMutablePointer<uv_timer_t>?
    private var body: (() -> Void)?

    init(core: LoopCore, delay: Duration, interval: Duration?, body: @escaping () -> Void) {
        self.core = core
        self.repeats = interval != nil
        self.body = body
        let handle = initializedHandle(UV_TIMER, as: uv_timer_t.self, on: core.loop, with: uv_timer_init)
        self.handle = handle
        attach(self, to: handle)
        let repeatMilliseconds = interval.map { max(1, $0.wholeMillisecondsRoundedUp) } ?? 0
        let startStatus = uv_timer_start(handle, timerFired, delay.wholeMillisecondsRoundedUp, repeatMilliseconds)
        precondition(startStatus == 0, "uv_timer_start failed: \(UVError(status: startStatus))")
    }

    /// Whether the timer may still fire.
    package var isActive: Bool {
        core.assertOnLoopThread("LoopTimer.isActive")
        return handle != nil
    }

    /// Stops the timer for good; it never fires after this returns. Cancelling twice is harmless.
    package func cancel() {
        core.assertOnLoopThread("LoopTimer.cancel")
        if stopAndClose(&handle, with: uv_timer_stop) { body = nil }
    }

    fileprivate func fire() {
        guard let handle, let body else { return }
        if !repeats {
            self.handle = nil
            self.body = nil
            closeHandle(asHandle(handle))
        }
        body()
    }

    func didClose() {
        handle = nil
        body = nil
    }
}

private func timerFired(_ handle: UnsafeMutablePointer<uv_timer_t>?) {
    guard let handle, let timer = owner(of: asHandle(handle), as: LoopTimer.self) else { return }
    timer.fire()
}

extension EventLoop {
    /// Runs `body` on the loop thread after `delay`, then every `interval` when one is given, until the
    /// returned timer is cancelled or the loop stops. Loop thread only.
    ///
    /// Delays are rounded up to whole milliseconds (timers never fire early); timers with the same
    /// deadline fire in the order they were scheduled.
    @discardableResult
    package func schedule(
        after delay: Duration, repeating interval: Duration? = nil,
        _ body: @escaping () -> Void
    ) -> LoopTimer {
        preconditionOnLoopThread("schedule(after:)")
        precondition(interval.map { $0 > .zero } ?? true, "repeat interval must be positive, got \(interval!)")
        return LoopTimer(core: core, delay: delay, interval: interval, body: body)
    }
}

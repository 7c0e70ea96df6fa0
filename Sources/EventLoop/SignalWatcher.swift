import CLibUV

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A POSIX signal number, such as interrupt (SIGINT) or terminate (SIGTERM).
package struct Signal: Hashable, Sendable, CustomStringConvertible {
    /// The signal number.
    package let rawValue: Int32

    /// Wraps a signal number.
    package init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// SIGINT, sent by Ctrl-C.
    package static let interrupt = Signal(rawValue: SIGINT)
    /// SIGTERM, sent by `kill` and service managers.
    package static let terminate = Signal(rawValue: SIGTERM)
    /// SIGHUP, by convention "reload the configuration".
    package static let hangup = Signal(rawValue: SIGHUP)

    /// The form `signal 15`.
    package var description: String { "signal \(rawValue)" }
}

/// Delivers signals to a callback on the loop thread (through `uv_signal_t`, so the callback runs as
/// ordinary loop code, not in a signal handler). Create it with `EventLoop.watch(signals:_:)`.
package final class SignalWatcher {
    private var watchers: [SignalHandleOwner]

    fileprivate init(watchers: [SignalHandleOwner]) {
        self.watchers = watchers
    }

    /// Stops watching; the signals get their previous disposition back. Loop thread only.
    package func cancel() {
        for watcher in watchers { watcher.cancel() }
        watchers = []
    }
}

private final class SignalHandleOwner: LoopHandleOwner {
    let core: LoopCore
    let signal: Signal
    var handle: UnsafeMutablePointer<uv_signal_t>?
    var body: ((Signal) -> Void)?

    init(core: LoopCore, signal: Signal, body: @escaping (Signal) -> Void) throws(UVError) {
        self.core = core
        self.signal = signal
        self.body = body
        let handle = initializedHandle(UV_SIGNAL, as: uv_signal_t.self, on: core.loop, with: uv_signal_init)
        self.handle = handle
        attach(self, to: handle)
        // A process can start with signals blocked (a parent's mask survives fork and exec, and many runtimes
        // block signals in the threads they spawn); the loop thread takes them, so it must not block them.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, signal.rawValue)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        let startStatus = uv_signal_start(handle, signalArrived, signal.rawValue)
        if startStatus < 0 {
            cancel()
            throw UVError(status: startStatus)
        }
    }

    func cancel() {
        core.assertOnLoopThread("SignalWatcher.cancel")
        if stopAndClose(&handle, with: uv_signal_stop) { body = nil }
    }

    func deliver() {
        body?(signal)
    }

    func didClose() {
        handle = nil
        body = nil
    }
}

private func signalArrived(_ handle: UnsafeMutablePointer<uv_signal_t>?, _ number: Int32) {
    guard let handle, let owner = owner(of: asHandle(handle), as: SignalHandleOwner.self) else { return }
    owner.deliver()
}

extension EventLoop {
    /// Calls `body` on the loop thread each time one of `signals` arrives, until the watcher is cancelled
    /// or the loop stops. For the executables' SIGINT/SIGTERM shutdown. Loop thread only.
    package func watch(signals: [Signal], _ body: @escaping (Signal) -> Void) throws(UVError) -> SignalWatcher {
        preconditionOnLoopThread("watch(signals:)")
        var owners: [SignalHandleOwner] = []
        for signal in signals {
            do {
                owners.append(try SignalHandleOwner(core: core, signal: signal, body: body))
            } catch {
                for owner in owners { owner.cancel() }
                throw error
            }
        }
        return SignalWatcher(watchers: owners)
    }
}

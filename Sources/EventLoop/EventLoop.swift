import CLibUV
import Glibc
import Logging
import Synchronization

/// A libuv event loop running on its own thread.
///
/// Threading model: the loop thread owns every libuv handle and runs every callback (timers, TCP events,
/// disk completions, signals). The only ways in from another thread are the bounded mailbox (`post`,
/// `execute`, `submit`) and `requestStop`/`stop`. Methods that create or touch handles (`schedule`,
/// `listen`, `connect`, `now`, ...) must be called on the loop thread; they check it with a precondition.
///
/// Lifecycle: the loop thread starts in `init`. `stop()` refuses further mail, runs the mail already
/// accepted, closes every handle (`uv_walk` + `uv_close`), waits for their close callbacks, closes the
/// loop and joins the thread; its `StopReport` says how many handles were still alive (zero when clean).
package final class EventLoop: Sendable {
    let core: LoopCore

    /// Creates a loop and starts its thread.
    /// - Parameters:
    ///   - name: the thread's name, also used in log messages.
    ///   - mailboxCapacity: the most jobs the mailbox holds; posting beyond it answers `.overloaded`.
    ///   - logger: where the loop logs closed connections and other events.
    package init(
        name: String = "padlock-loop", mailboxCapacity: Int = 4096,
        logger: Logger = Logger(label: "padlock.eventloop")
    ) throws(UVError) {
        precondition(mailboxCapacity > 0, "mailboxCapacity must be positive, got \(mailboxCapacity)")
        Self.ignoreBrokenPipes()
        core = try LoopCore(name: name, mailboxCapacity: mailboxCapacity, logger: logger)
        core.start()
    }

    /// libuv writes to sockets with plain `write`/`writev`, which raise SIGPIPE when the other end has reset
    /// the connection; its default action ends the process (the chaos harness saw a leader die of it when a
    /// peer shut down). A loop reports such a write as EPIPE instead, so the first loop in a process sets
    /// SIGPIPE to be ignored, unless the program already installed a handler of its own.
    static func ignoreBrokenPipes() {
        var current = sigaction()
        guard sigaction(SIGPIPE, nil, &current) == 0 else { return }
        let handler = unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self)
        guard handler == unsafeBitCast(SIG_DFL, to: Int.self) else { return }
        signal(SIGPIPE, SIG_IGN)
    }

    deinit {
        // An owner that forgot `stop()` still gets its handles closed; nobody waits for the thread.
        core.requestStop()
        core.detachIfNotJoined()
    }

    /// Whether the calling thread is this loop's thread.
    package var isOnLoopThread: Bool { core.isOnLoopThread }

    /// Stops the program when called off the loop thread: for code that must only run on the loop.
    package func preconditionOnLoopThread(
        _ what: @autoclosure () -> String = "", file: StaticString = #fileID,
        line: UInt = #line
    ) {
        precondition(core.isOnLoopThread, "not on loop thread '\(core.name)': \(what())", file: file, line: line)
    }

    /// The loop's monotonic time (libuv's cached loop time, in milliseconds). Loop thread only.
    package var now: Ticks {
        preconditionOnLoopThread("now")
        return Ticks(milliseconds: uv_now(core.loop))
    }

    /// The logger the loop and its connections use.
    package var logger: Logger { core.logger }

    /// Asks the loop to stop without waiting; safe from any thread, including the loop thread itself.
    package func requestStop() {
        core.requestStop()
    }

    /// Stops the loop (see the type's documentation) and waits for its thread to end.
    ///
    /// Must not be called on the loop thread (use `requestStop` there). Calling it again returns the same
    /// report.
    @discardableResult
    package func stop() -> StopReport {
        precondition(!core.isOnLoopThread, "stop() called on loop thread '\(core.name)'; use requestStop()")
        core.requestStop()
        return core.joinThread()
    }

    /// Counts the handles the loop still holds, including ones that are closing (`uv_walk`). Loop thread only.
    package func countLiveHandles() -> Int {
        preconditionOnLoopThread("countLiveHandles")
        return core.countLiveHandles()
    }
}

/// What a stopped loop left behind.
package struct StopReport: Sendable, Equatable {
    /// Handles still registered with the loop after every close callback ran (zero for a clean stop).
    package let liveHandles: Int
    /// The failure `uv_loop_close` reported, nil when the loop closed.
    package let closeError: UVError?

    /// Whether the loop closed with no live handles.
    package var isClean: Bool { liveHandles == 0 && closeError == nil }
}

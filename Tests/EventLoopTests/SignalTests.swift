import EventLoop
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Signals", .timeLimit(.minutes(10)))
struct SignalTests {
    @Test("a write to a connection the other end closed fails with EPIPE instead of ending the process")
    func brokenPipeDoesNotEndTheProcess() async throws {
        // Start from the default action (which ends the process on SIGPIPE), as a fresh padlockd would.
        signal(SIGPIPE, SIG_DFL)
        let loop = try EventLoop(name: "sigpipe")
        defer { _ = loop.stop() }
        var ends: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0)
        close(ends[1])
        let byte: [UInt8] = [1]
        let written = write(ends[0], byte, 1)
        let error = errno
        close(ends[0])
        #expect(written == -1 && error == EPIPE, "write returned \(written), errno \(error)")
    }

    @Test("a watched signal is delivered to the callback on the loop thread")
    func signalReachesLoopThread() async throws {
        // SIGUSR1 rather than SIGTERM: the mechanism is the same, and a test must never risk ending the
        // test process if the watcher were missing.
        let userSignal = Signal(rawValue: SIGUSR1)
        let seen = Shared([Int32]())
        let onLoop = Shared(true)
        try await withLoop(name: "signals") { loop in
            try await loop.submit {
                _ = try loop.watch(signals: [userSignal, .terminate]) { signal in
                    onLoop.with { $0 = $0 && loop.isOnLoopThread }
                    seen.with { $0.append(signal.rawValue) }
                }
            }
            kill(getpid(), SIGUSR1)
            await waitUntil { seen.value.count == 1 }
        }
        #expect(seen.value == [SIGUSR1])
        #expect(onLoop.value)
    }

    @Test("a cancelled watcher releases its handles before the loop stops")
    func cancelledWatcherLeavesNoHandles() async throws {
        try await withLoop(name: "signals") { loop in
            let live = try await loop.submit { () -> [Int] in
                let before = loop.countLiveHandles()
                let watcher = try loop.watch(signals: [.interrupt, .terminate]) { _ in }
                let during = loop.countLiveHandles()
                watcher.cancel()
                return [before, during]
            }
            #expect(live[1] == live[0] + 2)
            let after = try await loop.submit { loop.countLiveHandles() }
            #expect(after == live[0])
        }
    }
}

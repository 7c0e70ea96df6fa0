import CLibUV
import Testing

@testable import EventLoop

/// Accept failures (out of file descriptors) must neither spin the loop nor flood the log; the listener
/// pauses and comes back on the same port.
@Suite("Listener accept failures", .timeLimit(.minutes(10)))
struct ListenerFailureTests {
    @Test("an accepted connection knows the address it came from")
    func acceptedConnectionKnowsItsSource() async throws {
        try await withLoop { loop in
            let source = Shared<String?>(nil)
            let port = try await loop.submit {
                try loop.listen(host: "127.0.0.1", port: 0) { connection in
                    source.with { $0 = connection.remoteHost }
                }.port
            }
            let client = try await connect(on: loop, port: port)
            await waitUntil { source.value != nil }
            #expect(source.value == "127.0.0.1")
            try await loop.submit { client.value.close() }
        }
    }

    @Test("EMFILE that the owner cannot relieve pauses listening, then the same port accepts again")
    func unrelievedFailurePausesAndResumes() async throws {
        try await withLoop { loop in
            let reported = Shared(0)
            let accepted = Shared(0)
            let listener = try await loop.submit { () -> LoopBound<TCPListener> in
                let listener = try loop.listen(host: "127.0.0.1", port: 0) { connection in
                    accepted.with { $0 += 1 }
                    connection.close()
                }
                listener.acceptPause = .seconds(3)
                listener.onAcceptError = { error in
                    #expect(error == .tooManyOpenFiles)
                    reported.with { $0 += 1 }
                    return false
                }
                return LoopBound(listener, loop: loop)
            }
            let port = try await loop.submit { listener.value.port }
            // libuv calls back with EMFILE only when its own reserve descriptor is gone, and then tries to accept
            // again at once; the listener must stop that by closing its socket.
            let pausedAt = ContinuousClock.now
            let paused = try await loop.submit { () -> Bool in
                listener.value.accept(status: UV_EMFILE.rawValue)
                return listener.value.isPaused
            }
            #expect(paused)
            #expect(reported.value == 1)
            do {
                _ = try await connect(on: loop, port: port)
                // Only a test task that ran late may find the port listening again.
                #expect(ContinuousClock.now - pausedAt >= .seconds(3), "a paused listener accepted a connection")
            } catch {
                #expect(error as? UVError == .connectionRefused)
            }
            while try await loop.submit({ listener.value.isPaused }) { try await Task.sleep(for: .milliseconds(20)) }
            var client: LoopBound<TCPConnection>?
            for _ in 0..<200 where client == nil {
                client = try? await connect(on: loop, port: port)
                if client == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(client != nil, "the listener accepts on port \(port) again after its pause")
            await waitUntil { accepted.value >= 1 }
            try await loop.submit { listener.value.close() }
        }
    }

    @Test("a failure the owner relieves by closing a connection does not pause listening")
    func relievedFailureKeepsListening() async throws {
        try await withLoop { loop in
            let paused = try await loop.submit { () -> Bool in
                let listener = try loop.listen(host: "127.0.0.1", port: 0) { _ in }
                listener.onAcceptError = { _ in true }
                listener.accept(status: UV_EMFILE.rawValue)
                let paused = listener.isPaused
                listener.close()
                return paused
            }
            #expect(!paused)
        }
    }

    @Test("failures in a row pause listening even when the owner keeps closing connections")
    func endlessFailuresPause() async throws {
        try await withLoop { loop in
            let (paused, calls) = try await loop.submit { () -> (Bool, Int) in
                let listener = try loop.listen(host: "127.0.0.1", port: 0) { _ in }
                var calls = 0
                listener.onAcceptError = { _ in
                    calls += 1
                    return true
                }
                while !listener.isPaused && calls < 1_000 { listener.accept(status: UV_ENFILE.rawValue) }
                let paused = listener.isPaused
                listener.close()
                return (paused, calls)
            }
            #expect(paused)
            #expect(calls == TCPListener.failuresInRowMax)
        }
    }

    @Test("the failure log writes one line per interval and counts the rest")
    func failureLogIsRateLimited() {
        var log = FailureLog()
        var lines: [Int] = []
        for millisecond in stride(from: UInt64(0), to: 25_000, by: 10) {
            if let suppressed = log.shouldLog(now: Ticks(milliseconds: millisecond)) { lines.append(suppressed) }
        }
        #expect(lines == [0, 999, 999])
    }
}

import EventLoop
import Testing

@Suite("Connecting", .timeLimit(.minutes(10)))
struct ConnectTests {
    @Test("connecting to a closed port fails with connection refused")
    func closedPortIsRefused() async throws {
        try await withLoop { loop in
            let port = try await loop.submit { () -> Int in
                let listener = try loop.listen(host: "127.0.0.1", port: 0) { _ in }
                listener.close()
                return listener.port
            }
            await #expect(throws: UVError.connectionRefused) {
                _ = try await connect(on: loop, port: port)
            }
        }
    }

    @Test("connecting to a listener whose backlog is full times out")
    func fullBacklogTimesOut() async throws {
        // A listener with backlog 0 that never accepts: once one connection waits in its accept queue,
        // the kernel drops further SYNs, so the next connect neither succeeds nor fails by itself.
        let listener = RawSocket()
        let port = listener.listen(backlog: 0)
        let filler = RawSocket()
        #expect(filler.connect(port: port))
        try await withLoop { loop in
            await #expect(throws: UVError.timedOut) {
                _ = try await connect(on: loop, port: port, timeout: .milliseconds(200))
            }
        }
    }

    @Test("a bad address fails with a typed error, not a crash")
    func badAddressFails() async throws {
        try await withLoop { loop in
            let listenError = try await loop.submit { () -> UVError? in
                do {
                    _ = try loop.listen(host: "not-an-address", port: 0) { _ in }
                    return nil
                } catch let error as UVError {
                    return error
                }
            }
            #expect(listenError == .invalidArgument)
            await #expect(throws: UVError.invalidArgument) {
                _ = try await connect(on: loop, port: 70_000)
            }
        }
    }

    @Test("a connect still in flight when the loop stops is reported as cancelled")
    func connectPendingAtStopIsCancelled() async throws {
        let listener = RawSocket()
        let port = listener.listen(backlog: 0)
        let filler = RawSocket()
        #expect(filler.connect(port: port))
        let outcome = Shared<Result<Int, UVError>?>(nil)
        let loop = try EventLoop(name: "stopping")
        try await loop.submit {
            loop.connect(host: "127.0.0.1", port: port, timeout: .seconds(30)) { result in
                outcome.with { $0 = result.map { $0.number } }
            }
        }
        let report = loop.stop()
        #expect(report.isClean)
        #expect(outcome.value == .failure(.cancelled))
    }

    @Test("a listener reports the port the system chose, and a second listener on it fails")
    func listenerReportsBoundPort() async throws {
        try await withLoop { loop in
            let error = try await loop.submit { () -> UVError? in
                let first = try loop.listen(host: "127.0.0.1", port: 0) { _ in }
                #expect(first.port > 0)
                defer { first.close() }
                do {
                    _ = try loop.listen(host: "127.0.0.1", port: first.port) { _ in }
                    return nil
                } catch let error as UVError {
                    return error
                }
            }
            #expect(error == .addressInUse)
        }
    }
}

import EventLoop
import Testing

/// One client connection of the echo test: sends its seeded frame stream and checks the echoes.
private final class EchoClient {
    let connection: TCPConnection
    let loop: EventLoop
    let frameCount: Int
    var sendGenerator: SeededGenerator
    var verifyGenerator: SeededGenerator
    var sent = 0
    var received = 0
    var unsent: [UInt8]?
    var onDone: (String?) -> Void

    init(
        connection: TCPConnection, loop: EventLoop, seed: UInt64, frameCount: Int,
        onDone: @escaping (String?) -> Void
    ) {
        self.connection = connection
        self.loop = loop
        self.frameCount = frameCount
        sendGenerator = SeededGenerator(seed: seed)
        verifyGenerator = SeededGenerator(seed: seed)
        self.onDone = onDone
        connection.onFrame = { [unowned self] in self.check($0) }
        connection.onWritable = { [unowned self] in self.pump() }
        connection.onClose = { [self] closed in
            if self.received < self.frameCount {
                self.finish("closed after \(self.received) echoes: \(closed.reason)")
            }
        }
    }

    func pump() {
        while sent < frameCount {
            let payload = unsent ?? makePayload(index: sent, using: &sendGenerator)
            guard connection.send(payload) == .queued else {
                unsent = payload
                return
            }
            unsent = nil
            sent += 1
        }
    }

    func check(_ payload: [UInt8]) {
        guard loop.isOnLoopThread else {
            finish("frame delivered off the loop thread")
            return
        }
        let expected = makePayload(index: received, using: &verifyGenerator)
        guard payload == expected else {
            finish("echo \(received) differs: \(payload.count) bytes, expected \(expected.count)")
            connection.abort()
            return
        }
        received += 1
        if received == frameCount {
            finish(nil)
            connection.close()
        }
    }

    func finish(_ failure: String?) {
        let onDone = self.onDone
        self.onDone = { _ in }
        onDone(failure)
    }
}

@Suite("TCP echo")
struct EchoTests {
    /// PADLOCK_LONG=1 runs ten times as many frames per connection.
    @Test("50 connections × 10,000 frames of random sizes round-trip intact and in order", .timeLimit(.minutes(10)))
    func concurrentEcho() async throws {
        let connectionCount = 50
        let frameCount = isLongRun ? 100_000 : 10_000
        let outcomes = Shared([String?]())
        let serverCloses = Shared([ConnectionClosed]())
        try await withLoop(name: "echo-server") { server in
            let port = try await startEchoServer(on: server, closes: serverCloses)
            try await withLoop(name: "echo-client") { client in
                // The clients pipeline more than the sockets hold, so they must keep reading echoes while
                // their own sends are refused; with both ends pausing, the long run deadlocked.
                let clientLimits = ConnectionLimits(pausesReadingWhenWriteQueueFull: false)
                for index in 0..<connectionCount {
                    _ = try await connect(on: client, port: port, limits: clientLimits) { connection in
                        let echo = EchoClient(
                            connection: connection, loop: client, seed: UInt64(index + 1),
                            frameCount: frameCount
                        ) { failure in
                            outcomes.with { $0.append(failure) }
                        }
                        echo.pump()
                    }
                }
                await waitUntil { outcomes.value.count == connectionCount }
            }
            // Each client closed in an orderly way after its last echo; the server sees every one.
            await waitUntil { serverCloses.value.count == connectionCount }
        }
        #expect(outcomes.value.compactMap { $0 } == [])
        #expect(serverCloses.value.allSatisfy { $0.reason == .peerClosed && $0.droppedWriteBytes == 0 })
    }
}

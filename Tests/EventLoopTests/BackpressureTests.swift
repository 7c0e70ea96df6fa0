import EventLoop
import Testing

/// What the writing side of the slow-reader test observed.
private struct WriterLog: Sendable {
    var sent = 0
    var backpressureAnswers = 0
    var writableCalls = 0
    var largestQueuedBytes = 0
}

/// Pushes `frameCount` frames as fast as the connection takes them, recording backpressure.
private final class Pusher {
    let connection: TCPConnection
    let frameCount: Int
    let log: Shared<WriterLog>
    var sent = 0

    init(connection: TCPConnection, frameCount: Int, log: Shared<WriterLog>) {
        self.connection = connection
        self.frameCount = frameCount
        self.log = log
        connection.onWritable = { [self] in
            log.with { $0.writableCalls += 1 }
            pump()
        }
        connection.onClose = { [self] _ in _ = self }
    }

    func pump() {
        while sent < frameCount {
            var payload = [UInt8](repeating: UInt8(truncatingIfNeeded: sent), count: 16 * 1024)
            payload[0] = UInt8(truncatingIfNeeded: sent >> 8)
            let answer = connection.send(payload)
            let queued = connection.queuedWriteBytes
            log.with { $0.largestQueuedBytes = max($0.largestQueuedBytes, queued) }
            guard answer == .queued else {
                #expect(answer == .backpressure)
                log.with { $0.backpressureAnswers += 1 }
                return
            }
            sent += 1
            log.with { $0.sent = self.sent }
        }
    }
}

@Suite("Backpressure", .timeLimit(.minutes(10)))
struct BackpressureTests {
    @Test(
        "a reader that stops reading makes the writer's bounded queue refuse, and everything arrives after it resumes")
    func slowReaderGetsBackpressureThenEverything() async throws {
        let frameCount = 2_000  // 32 MiB: far more than the kernel's socket buffers hold
        let limits = ConnectionLimits(writeQueueBytesMax: 256 * 1024, writeQueueLowWaterBytes: 64 * 1024)
        let log = Shared(WriterLog())
        let received = Shared([UInt8]())
        try await withLoop(name: "writer") { writerLoop in
            let port = try await writerLoop.submit {
                try writerLoop.listen(host: "127.0.0.1", port: 0, limits: limits) { connection in
                    Pusher(connection: connection, frameCount: frameCount, log: log).pump()
                }.port
            }
            try await withLoop(name: "reader") { readerLoop in
                let reader = try await connect(on: readerLoop, port: port) { connection in
                    connection.pauseReading()
                    connection.onFrame = { payload in
                        received.with { $0.append(payload[0] ^ payload[1]) }
                    }
                }
                await waitUntil { log.value.backpressureAnswers > 0 }
                let sentBeforeResume = log.value.sent
                #expect(sentBeforeResume < frameCount)
                #expect(received.value.isEmpty)
                try await readerLoop.submit { reader.value.resumeReading() }
                await waitUntil { received.value.count == frameCount }
                try await readerLoop.submit { reader.value.close() }
            }
        }
        let final = log.value
        #expect(final.sent == frameCount)
        #expect(final.writableCalls >= 1)
        #expect(final.largestQueuedBytes <= limits.writeQueueBytesMax)
        // Frame n carries (n >> 8) ^ n in its first two bytes; arriving in order means this sequence.
        let expected = (0..<frameCount).map { UInt8(truncatingIfNeeded: $0 >> 8) ^ UInt8(truncatingIfNeeded: $0) }
        #expect(received.value == expected)
    }

    @Test("an echo server stops reading from a peer that does not read its replies")
    func echoServerStopsReadingFromNonDrainingPeer() async throws {
        let limits = ConnectionLimits(writeQueueBytesMax: 128 * 1024, writeQueueLowWaterBytes: 32 * 1024)
        let stuckTicksWanted = 20
        let clientStuckTicks = Shared(0)
        let serverBacklog = Shared(0)
        try await withLoop(name: "echo-server") { server in
            let port = try await startEchoServer(on: server, limits: limits, largestBacklog: serverBacklog)
            try await withLoop(name: "flooder") { client in
                _ = try await connect(on: client, port: port, limits: limits) { connection in
                    connection.pauseReading()
                    // The client floods and never reads. The server's replies fill the client's socket,
                    // then the server's write queue; from the first refused reply on, the server must
                    // stop reading, so the client's queue stays full. "Stuck" is counted on ticks after
                    // the server's first refusal, when the queue is still near its bound at the tick's start.
                    var flood: (() -> Void)?
                    flood = {
                        let nearBound = connection.queuedWriteBytes > limits.writeQueueBytesMax - 2 * (8 * 1024 + 4)
                        let stuck = clientStuckTicks.with { ticks -> Int in
                            ticks = nearBound && serverBacklog.value >= 1 ? ticks + 1 : 0
                            return ticks
                        }
                        if stuck >= stuckTicksWanted {
                            flood = nil
                            return
                        }
                        while connection.send([UInt8](repeating: 7, count: 8 * 1024)) == .queued {}
                        client.schedule(after: .milliseconds(1)) { flood?() }
                    }
                    flood?()
                }
                await waitUntil { clientStuckTicks.value >= stuckTicksWanted }
            }
        }
        // The server stopped reading as soon as one reply could not be queued, so exactly that one reply
        // waited in the echo handler; a server that kept reading would have piled up frame after frame.
        #expect(serverBacklog.value == 1)
    }

    @Test("a client that keeps reading while its sends are refused never deadlocks with a pausing server")
    func pipeliningClientKeepsReading() async throws {
        let frameCount = 1_000  // 16 MiB each way: far more than the sockets and both queues hold
        let serverLimits = ConnectionLimits(writeQueueBytesMax: 64 * 1024, writeQueueLowWaterBytes: 16 * 1024)
        let clientLimits = ConnectionLimits(
            writeQueueBytesMax: 64 * 1024, writeQueueLowWaterBytes: 16 * 1024, pausesReadingWhenWriteQueueFull: false)
        let echoed = Shared(0)
        let refusals = Shared(0)
        try await withLoop(name: "echo-server") { server in
            let port = try await startEchoServer(on: server, limits: serverLimits)
            try await withLoop(name: "pipeliner") { client in
                let connection = try await connect(on: client, port: port, limits: clientLimits) { connection in
                    var sent = 0
                    let pump = {
                        while sent < frameCount {
                            guard connection.send([UInt8](repeating: 3, count: 16 * 1024)) == .queued else {
                                refusals.with { $0 += 1 }
                                return
                            }
                            sent += 1
                        }
                    }
                    connection.onWritable = pump
                    connection.onFrame = { _ in echoed.with { $0 += 1 } }
                    pump()
                }
                await waitUntil { echoed.value == frameCount }
                try await client.submit { connection.value.close() }
            }
        }
        #expect(refusals.value > 0)
        #expect(echoed.value == frameCount)
    }
}

import Testing

@testable import EventLoop

private let rawLimits = ConnectionLimits(framing: .raw)

/// Byte `index` of a raw test stream: random-looking, and different for each pass over the pool, so a
/// lost, repeated or reordered piece shows up as a mismatch.
private func streamByte(_ index: Int, seed: Int) -> UInt8 {
    let position = index &+ seed &* 7919
    return payloadPool[position % payloadPool.count] ^ UInt8(truncatingIfNeeded: position / payloadPool.count)
}

/// One raw client of the echo test: writes its stream in random-sized sends (some larger than a read
/// chunk) and checks the echoed bytes as they come back, however the network cut them.
private final class RawEchoClient {
    let connection: TCPConnection
    let seed: Int
    let streamBytes: Int
    var generator: SeededGenerator
    var sentBytes = 0
    var unsent: [UInt8]?
    var receivedBytes = 0
    var largestChunk = 0
    var onDone: (String?) -> Void

    init(connection: TCPConnection, seed: Int, streamBytes: Int, onDone: @escaping (String?) -> Void) {
        self.connection = connection
        self.seed = seed
        self.streamBytes = streamBytes
        self.generator = SeededGenerator(seed: UInt64(seed))
        self.onDone = onDone
        connection.onFrame = { [unowned self] in self.check($0) }
        connection.onWritable = { [unowned self] in self.pump() }
        connection.onClose = { [self] closed in
            if self.receivedBytes < self.streamBytes {
                self.finish("closed after \(self.receivedBytes) bytes: \(closed.reason)")
            }
        }
    }

    func pump() {
        while sentBytes < streamBytes {
            let chunk = unsent ?? nextSend()
            guard connection.send(chunk) == .queued else {
                unsent = chunk
                return
            }
            unsent = nil
            sentBytes += chunk.count
        }
    }

    private func nextSend() -> [UInt8] {
        let size = min(streamBytes - sentBytes, Int.random(in: 1...100_000, using: &generator))
        return (sentBytes..<(sentBytes + size)).map { streamByte($0, seed: seed) }
    }

    func check(_ chunk: [UInt8]) {
        guard !chunk.isEmpty, chunk.count <= 64 * 1024 else {
            finish("raw chunk of \(chunk.count) bytes")
            return
        }
        largestChunk = max(largestChunk, chunk.count)
        for (offset, byte) in chunk.enumerated() where byte != streamByte(receivedBytes + offset, seed: seed) {
            finish("echoed byte \(receivedBytes + offset) differs")
            connection.abort()
            return
        }
        receivedBytes += chunk.count
        if receivedBytes == streamBytes {
            finish(nil)
            connection.close()
        } else if receivedBytes > streamBytes {
            finish("received \(receivedBytes) bytes, sent \(streamBytes)")
        }
    }

    func finish(_ failure: String?) {
        let onDone = self.onDone
        self.onDone = { _ in }
        onDone(failure)
    }
}

@Suite("Raw TCP", .timeLimit(.minutes(10)))
struct RawTests {
    @Test("8 raw connections × 2 MiB in random-sized sends echo back as byte streams that reassemble intact")
    func rawEchoReassembles() async throws {
        let connectionCount = 8
        let streamBytes = (isLongRun ? 32 : 2) << 20
        let outcomes = Shared([String?]())
        let serverCloses = Shared([ConnectionClosed]())
        try await withLoop(name: "raw-echo-server") { server in
            let port = try await startEchoServer(on: server, limits: rawLimits, closes: serverCloses)
            try await withLoop(name: "raw-echo-client") { client in
                // The clients pipeline far more than the sockets hold, so they keep reading while refused.
                let clientLimits = ConnectionLimits(pausesReadingWhenWriteQueueFull: false, framing: .raw)
                for index in 0..<connectionCount {
                    _ = try await connect(on: client, port: port, limits: clientLimits) { connection in
                        RawEchoClient(connection: connection, seed: index + 1, streamBytes: streamBytes) { failure in
                            outcomes.with { $0.append(failure) }
                        }.pump()
                    }
                }
                await waitUntil { outcomes.value.count == connectionCount }
            }
            await waitUntil { serverCloses.value.count == connectionCount }
        }
        #expect(outcomes.value.count == connectionCount)
        #expect(outcomes.value.compactMap { $0 } == [])
        #expect(serverCloses.value.allSatisfy { $0.reason == .peerClosed && $0.droppedWriteBytes == 0 })
    }

    @Test("raw bytes travel as they are: no prefix is added or stripped, and maxFrameBytes does not apply")
    func rawBytesAreUnframed() async throws {
        let framedEchoes = Shared([UInt8]())
        let rawArrivals = Shared([UInt8]())
        let request = Array("GET /metrics HTTP/1.1\r\nHost: padlock\r\n\r\n".utf8)
        try await withLoop(name: "server") { server in
            // A framed echo server sees the raw client's bytes as one frame and echoes it with its prefix.
            let framedPort = try await startEchoServer(on: server)
            let rawPort = try await server.submit {
                let limits = ConnectionLimits(maxFrameBytes: 16, framing: .raw)
                return try server.listen(host: "127.0.0.1", port: 0, limits: limits) {
                    $0.onFrame = { chunk in rawArrivals.with { $0 += chunk } }
                }.port
            }
            try await withLoop(name: "client") { client in
                let toFramed = try await connect(on: client, port: framedPort, limits: rawLimits) { connection in
                    connection.onFrame = { chunk in framedEchoes.with { $0 += chunk } }
                    #expect(connection.send([]) == .queued)
                    #expect(connection.queuedWriteBytes == 0)
                    #expect(connection.send([0, 0, 0, 3, 1, 2]) == .queued)
                    #expect(connection.send([3]) == .queued)
                    #expect(connection.queuedWriteBytes == 7)
                }
                let toRaw = try await connect(on: client, port: rawPort, limits: rawLimits) { connection in
                    #expect(connection.send(request) == .queued)
                }
                await waitUntil { framedEchoes.value.count == 7 && rawArrivals.value.count == request.count }
                try await client.submit {
                    toFramed.value.close()
                    toRaw.value.close()
                }
            }
        }
        #expect(framedEchoes.value == [0, 0, 0, 3, 1, 2, 3])
        #expect(rawArrivals.value == request)
    }

    @Test("a raw send of exactly the write queue's bound is queued, one byte more can never be sent")
    func rawSendBoundIsExact() async throws {
        let limits = ConnectionLimits(writeQueueBytesMax: 1000, writeQueueLowWaterBytes: 100, framing: .raw)
        let answers = Shared([SendAnswer]())
        try await withLoop(name: "server") { server in
            let port = try await startEchoServer(on: server, limits: rawLimits)
            try await withLoop(name: "client") { client in
                let connection = try await connect(on: client, port: port, limits: limits) { connection in
                    connection.onFrame = { _ in }
                    let tooLarge = connection.send([UInt8](repeating: 1, count: 1001))
                    let exact = connection.send([UInt8](repeating: 1, count: 1000))
                    let queued = connection.queuedWriteBytes
                    let overBound = connection.send([1])
                    answers.with { $0 = [tooLarge, exact, overBound] }
                    #expect(queued == 1000)
                }
                try await client.submit { connection.value.close() }
            }
        }
        #expect(answers.value == [.frameTooLarge, .queued, .backpressure])
    }

    @Test("a paused raw reader makes the raw writer's bounded queue refuse; every byte arrives in order on resume")
    func rawBackpressure() async throws {
        let sendCount = 2_000  // 16 KiB each, 32 MiB: far more than the kernel's socket buffers hold
        let limits = ConnectionLimits(writeQueueBytesMax: 256 * 1024, writeQueueLowWaterBytes: 64 * 1024, framing: .raw)
        let writer = Shared((sent: 0, refusals: 0, writable: 0, largestQueued: 0, firstQueued: 0))
        let received = Shared((bytes: 0, mismatches: 0, largestChunk: 0))
        try await withLoop(name: "writer") { writerLoop in
            let port = try await writerLoop.submit {
                try writerLoop.listen(host: "127.0.0.1", port: 0, limits: limits) { connection in
                    var sent = 0
                    let pump = {
                        while sent < sendCount {
                            let payload = [UInt8](repeating: UInt8(truncatingIfNeeded: sent), count: 16 * 1024)
                            let answer = connection.send(payload)
                            let queued = connection.queuedWriteBytes
                            writer.with {
                                $0.largestQueued = max($0.largestQueued, queued)
                                if sent == 0 { $0.firstQueued = queued }
                            }
                            guard answer == .queued else {
                                #expect(answer == .backpressure)
                                writer.with { $0.refusals += 1 }
                                return
                            }
                            sent += 1
                            writer.with { $0.sent = sent }
                        }
                    }
                    connection.onWritable = {
                        writer.with { $0.writable += 1 }
                        pump()
                    }
                    pump()
                }.port
            }
            try await withLoop(name: "reader") { readerLoop in
                let reader = try await connect(on: readerLoop, port: port, limits: rawLimits) { connection in
                    connection.pauseReading()
                    connection.onFrame = { chunk in
                        received.with { state in
                            for (offset, byte) in chunk.enumerated()
                            where byte != UInt8(truncatingIfNeeded: (state.bytes + offset) / (16 * 1024)) {
                                state.mismatches += 1
                            }
                            state.bytes += chunk.count
                            state.largestChunk = max(state.largestChunk, chunk.count)
                        }
                    }
                }
                await waitUntil { writer.value.refusals > 0 }
                #expect(writer.value.sent < sendCount)
                #expect(received.value.bytes == 0)
                try await readerLoop.submit { reader.value.resumeReading() }
                await waitUntil { received.value.bytes == sendCount * 16 * 1024 }
                try await readerLoop.submit { reader.value.close() }
            }
        }
        let final = writer.value
        #expect(final.sent == sendCount)
        #expect(final.writable >= 1)
        #expect(final.firstQueued == 16 * 1024, "a raw send queues its bytes and no prefix")
        #expect(final.largestQueued <= limits.writeQueueBytesMax)
        #expect(received.value.bytes == sendCount * 16 * 1024)
        #expect(received.value.mismatches == 0)
        #expect(received.value.largestChunk <= 64 * 1024)
    }

    @Test("an orderly close of a raw connection writes every pending byte before closing")
    func rawOrderlyCloseFlushes() async throws {
        try await withLoop(name: "server") { server in
            try await withLoop(name: "client") { client in
                let pair = try await StuckPair(server: server, client: client, framing: .raw)
                let answerAfterClose = try await client.submit { () -> SendAnswer in
                    pair.clientEnd.value.close()
                    return pair.clientEnd.value.send([1, 2, 3])
                }
                #expect(answerAfterClose == .closed)
                try await server.submit { pair.serverEnd.value.resumeReading() }
                await waitUntil { pair.serverCloses.value.count == 1 && pair.clientCloses.value.count == 1 }
                #expect(pair.bytesReceived.value == pair.framesSent * 4096)
                #expect(pair.serverCloses.value == [ConnectionClosed(reason: .peerClosed, droppedWriteBytes: 0)])
                #expect(pair.clientCloses.value == [ConnectionClosed(reason: .closedLocally, droppedWriteBytes: 0)])
            }
        }
    }

    @Test("aborting a raw connection reports exactly the raw bytes it dropped, without prefixes")
    func rawAbortReportsDroppedBytes() async throws {
        try await withLoop(name: "server") { server in
            try await withLoop(name: "client") { client in
                let pair = try await StuckPair(server: server, client: client, framing: .raw)
                let queued = try await client.submit { () -> Int in
                    let bytes = pair.clientEnd.value.queuedWriteBytes
                    pair.clientEnd.value.abort()
                    return bytes
                }
                #expect(queued > 0)
                #expect(queued % 4096 == 0, "\(queued) queued bytes are not whole 4 KiB raw sends")
                await waitUntil { pair.clientCloses.value.count == 1 }
                let expected = ConnectionClosed(reason: .abortedLocally, droppedWriteBytes: queued)
                #expect(pair.clientCloses.value == [expected])
                try await server.submit { pair.serverEnd.value.abort() }
                await waitUntil { pair.serverCloses.value.count == 1 }
            }
        }
    }
}

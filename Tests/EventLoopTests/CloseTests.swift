import Testing

@testable import EventLoop

/// Both ends of a connection whose client has a full write queue because the server end is paused.
/// The client sends 4 KiB payloads; with `.raw` framing both ends are raw.
struct StuckPair {
    let serverEnd: LoopBound<TCPConnection>
    let clientEnd: LoopBound<TCPConnection>
    /// Frames the client queued (all of them reach the server if it resumes before anything is dropped).
    let framesSent: Int
    let serverCloses = Shared([ConnectionClosed]())
    let clientCloses = Shared([ConnectionClosed]())
    /// Frames (raw chunks, for raw pairs) the server received.
    let framesReceived = Shared(0)
    /// Payload bytes the server received.
    let bytesReceived = Shared(0)

    static let limits = ConnectionLimits(writeQueueBytesMax: 64 * 1024, writeQueueLowWaterBytes: 16 * 1024)

    init(server: EventLoop, client: EventLoop, framing: ConnectionLimits.Framing = .lengthPrefixed) async throws {
        let accepted = Shared<LoopBound<TCPConnection>?>(nil)
        let (serverCloses, clientCloses) = (serverCloses, clientCloses)
        let (received, receivedBytes) = (framesReceived, bytesReceived)
        var clientLimits = Self.limits
        clientLimits.framing = framing
        let port = try await server.submit {
            try server.listen(host: "127.0.0.1", port: 0, limits: ConnectionLimits(framing: framing)) { connection in
                connection.pauseReading()
                connection.onFrame = { payload in
                    received.with { $0 += 1 }
                    receivedBytes.with { $0 += payload.count }
                }
                connection.onClose = { closed in serverCloses.with { $0.append(closed) } }
                accepted.with { $0 = LoopBound(connection, loop: server) }
            }.port
        }
        let clientEnd = try await connect(on: client, port: port, limits: clientLimits) { connection in
            connection.onClose = { closed in clientCloses.with { $0.append(closed) } }
        }
        // The kernel's socket buffers absorb the first megabytes. Writes the kernel took still count as
        // queued until their callbacks run in a later loop iteration, so "stuck" means the queue is still
        // near its bound when a later mailbox job starts.
        var sent = 0
        while true {
            let (queued, stuck) = try await client.submit { () -> (Int, Bool) in
                let connection = clientEnd.value
                if connection.queuedWriteBytes > Self.limits.writeQueueBytesMax - 2 * 4100 { return (0, true) }
                var queued = 0
                while connection.send([UInt8](repeating: 1, count: 4096)) == .queued { queued += 1 }
                return (queued, false)
            }
            sent += queued
            if stuck { break }
        }
        await waitUntil { accepted.value != nil }
        serverEnd = accepted.value!
        self.clientEnd = clientEnd
        framesSent = sent
    }
}

@Suite("Closing", .timeLimit(.minutes(10)))
struct CloseTests {
    @Test("an abortive close drops pending writes and reports them; the peer is told it was reset")
    func abortReportsDroppedWritesAndPeerSeesReset() async throws {
        try await withLoop(name: "server") { server in
            try await withLoop(name: "client") { client in
                let pair = try await StuckPair(server: server, client: client)
                let queued = try await client.submit { () -> Int in
                    let bytes = pair.clientEnd.value.queuedWriteBytes
                    pair.clientEnd.value.abort()
                    return bytes
                }
                #expect(queued > 0)
                await waitUntil { pair.clientCloses.value.count == 1 }
                #expect(
                    pair.clientCloses.value == [ConnectionClosed(reason: .abortedLocally, droppedWriteBytes: queued)])
                // The server's end is paused, so it learns of the reset from its next write.
                let answer = try await server.submit { pair.serverEnd.value.send([9]) }
                #expect(answer == .queued)
                await waitUntil { pair.serverCloses.value.count == 1 }
                #expect(pair.serverCloses.value.first?.reason == .peerReset)
            }
        }
    }

    @Test("a peer's reset reaches a reading connection's owner as a reset")
    func resetReachesReadingOwner() async throws {
        let serverCloses = Shared([ConnectionClosed]())
        let echoed = Shared(0)
        try await withLoop(name: "server") { server in
            let port = try await startEchoServer(on: server, closes: serverCloses)
            try await withLoop(name: "client") { client in
                let clientEnd = try await connect(on: client, port: port) { connection in
                    connection.onFrame = { _ in echoed.with { $0 += 1 } }
                    _ = connection.send([1])
                }
                // After the echo, nothing is in flight either way, so the server's read sees the reset.
                await waitUntil { echoed.value == 1 }
                try await client.submit { clientEnd.value.abort() }
                await waitUntil { serverCloses.value.count == 1 }
            }
        }
        #expect(serverCloses.value == [ConnectionClosed(reason: .peerReset, droppedWriteBytes: 0)])
    }

    @Test("an orderly close writes every pending frame before closing")
    func orderlyCloseFlushesPendingWrites() async throws {
        try await withLoop(name: "server") { server in
            try await withLoop(name: "client") { client in
                let pair = try await StuckPair(server: server, client: client)
                let answerAfterClose = try await client.submit { () -> SendAnswer in
                    pair.clientEnd.value.close()
                    return pair.clientEnd.value.send([1, 2, 3])
                }
                #expect(answerAfterClose == .closed)
                try await server.submit { pair.serverEnd.value.resumeReading() }
                await waitUntil { pair.serverCloses.value.count == 1 && pair.clientCloses.value.count == 1 }
                #expect(pair.framesReceived.value == pair.framesSent)
                #expect(pair.serverCloses.value == [ConnectionClosed(reason: .peerClosed, droppedWriteBytes: 0)])
                #expect(pair.clientCloses.value == [ConnectionClosed(reason: .closedLocally, droppedWriteBytes: 0)])
            }
        }
    }

    @Test("stopping the loop closes connections with pending writes and reports them to their owners")
    func loopStopReportsOpenConnections() async throws {
        let server = try EventLoop(name: "server")
        let client = try EventLoop(name: "client")
        let pair = try await StuckPair(server: server, client: client)
        let clientReport = client.stop()
        #expect(clientReport.isClean)
        #expect(pair.clientCloses.value.first?.reason == .loopStopped)
        #expect((pair.clientCloses.value.first?.droppedWriteBytes ?? 0) > 0)
        let serverReport = server.stop()
        #expect(serverReport.isClean)
        #expect(pair.serverCloses.value.count == 1)
    }

    @Test("owners that act on other handles while the loop stops do not break the shutdown")
    func ownersReactingToShutdownAreSafe() async throws {
        let closes = Shared([String: CloseReason]())
        let server = try EventLoop(name: "server")
        let port = try await startEchoServer(on: server)
        let client = try EventLoop(name: "client")
        let first = try await connect(on: client, port: port)
        let second = try await connect(on: client, port: port)
        try await client.submit {
            // While the stop closes every handle, each owner pokes the other connection (already
            // closing behind its back) and opens a new timer, which the shutdown must close too.
            first.value.onClose = { closed in
                closes.with { $0["first"] = closed.reason }
                second.value.abort()
                #expect(second.value.send([1]) == .closed)
                client.schedule(after: .seconds(60)) {}
            }
            second.value.onClose = { closed in
                closes.with { $0["second"] = closed.reason }
                first.value.close()
                #expect(first.value.send([2]) == .closed)
            }
        }
        let clientReport = client.stop()
        #expect(clientReport.isClean)
        #expect(closes.value == ["first": .loopStopped, "second": .loopStopped])
        #expect(server.stop().isClean)
    }
}

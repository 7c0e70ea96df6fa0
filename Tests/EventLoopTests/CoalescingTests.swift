import EventLoop
import Testing

/// Sends made during one loop iteration are gathered and written together when it ends
/// (`LoopCore.flushCorkedWrites`). What an owner sees must not change: order, completeness, close and abort.
@Suite("Write coalescing") struct CoalescingTests {
    /// A server that records every frame's first byte and length, and how the connection ended.
    private func startRecorder(
        on loop: EventLoop, frames: Shared<[[Int]]>, closes: Shared<[ConnectionClosed]>
    ) async throws -> Int {
        try await loop.submit {
            try loop.listen(host: "127.0.0.1", port: 0, limits: ConnectionLimits(maxFrameBytes: 1 << 20)) {
                connection in
                connection.onFrame = { payload in frames.with { $0.append([Int(payload.first ?? 0), payload.count]) } }
                connection.onClose = { closed in closes.with { $0.append(closed) } }
            }.port
        }
    }

    @Test("small and large frames sent in one iteration, then close(), arrive complete and in order")
    func framesOfOneIterationArriveInOrderBeforeTheClose() async throws {
        let frames = Shared([[Int]]())
        let closes = Shared([ConnectionClosed]())
        // 300 small frames (gathered) with a 200 KiB frame in the middle (written from a block of its own).
        let expected = (0..<301).map { index in index == 150 ? [150, 200 * 1024] : [index % 256, 1 + index % 97] }
        try await withLoop(name: "server") { server in
            let port = try await startRecorder(on: server, frames: frames, closes: closes)
            try await withLoop(name: "client") { client in
                let connection = try await connect(
                    on: client, port: port, limits: ConnectionLimits(maxFrameBytes: 1 << 20))
                let queued = try await client.submit { () -> Bool in
                    let answers = expected.map { frame in
                        connection.value.send([UInt8](repeating: UInt8(frame[0]), count: frame[1]))
                    }
                    connection.value.close()
                    return answers.allSatisfy { $0 == .queued }
                }
                #expect(queued)
                await waitUntil { closes.value.count == 1 }
            }
        }
        #expect(frames.value == expected)
        #expect(closes.value.first?.reason == .peerClosed)
    }

    @Test("abort() in the iteration that gathered frames drops them and reports them as dropped")
    func abortDropsTheGatheredFrames() async throws {
        let frames = Shared([[Int]]())
        let serverCloses = Shared([ConnectionClosed]())
        let clientCloses = Shared([ConnectionClosed]())
        try await withLoop(name: "server") { server in
            let port = try await startRecorder(on: server, frames: frames, closes: serverCloses)
            try await withLoop(name: "client") { client in
                let connection = try await connect(on: client, port: port) { connection in
                    connection.onClose = { closed in clientCloses.with { $0.append(closed) } }
                }
                let queued = try await client.submit { () -> Int in
                    for _ in 0..<10 { _ = connection.value.send([UInt8](repeating: 7, count: 100)) }
                    let queued = connection.value.queuedWriteBytes
                    connection.value.abort()
                    return queued
                }
                #expect(queued == 10 * 104, "ten 100-byte frames with their 4-byte prefixes")
                await waitUntil { clientCloses.value.count == 1 && serverCloses.value.count == 1 }
            }
        }
        #expect(clientCloses.value.first?.reason == .abortedLocally)
        #expect(clientCloses.value.first?.droppedWriteBytes == 10 * 104)
        #expect(frames.value.isEmpty, "an aborted connection's gathered frames must not be written")
    }
}

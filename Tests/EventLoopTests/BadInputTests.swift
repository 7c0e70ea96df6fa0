import EventLoop
import Testing

@Suite("Bad input", .timeLimit(.minutes(10)))
struct BadInputTests {
    /// Sends `bytes` on a raw socket to an echo listener with a 1 KiB frame limit, checks that only that
    /// connection closes (with the reason), and that a second connection keeps being served.
    private func expectOnlyOffenderClosed(sending bytes: [UInt8], announcedBytes: UInt64) async throws {
        let limits = ConnectionLimits(maxFrameBytes: 1024)
        let closes = Shared([ConnectionClosed]())
        let echoed = Shared([[UInt8]]())
        try await withLoop(name: "server") { server in
            let port = try await startEchoServer(on: server, limits: limits, closes: closes)
            try await withLoop(name: "client") { client in
                let good = try await connect(on: client, port: port) { connection in
                    connection.onFrame = { payload in echoed.with { $0.append(payload) } }
                }
                let offender = RawSocket()
                #expect(offender.connect(port: port))
                #expect(offender.write(bytes))
                // The server closes the offender; the raw socket then reads end of stream or a reset.
                #expect(offender.readUntilClosed())
                await waitUntil { closes.value.count == 1 }
                let answer = try await client.submit { good.value.send([1, 2, 3]) }
                #expect(answer == .queued)
                await waitUntil { echoed.value.count == 1 }
                try await client.submit { good.value.close() }
                await waitUntil { closes.value.count == 2 }
            }
        }
        #expect(closes.value.first?.reason == .frameTooLarge(announcedBytes: announcedBytes, maxFrameBytes: 1024))
        #expect(echoed.value == [[1, 2, 3]])
        #expect(closes.value.last?.reason == .peerClosed)
    }

    @Test("a 4 GiB length prefix closes only that connection, with the reason")
    func hugeLengthPrefixClosesOnlyThatConnection() async throws {
        try await expectOnlyOffenderClosed(sending: [0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3], announcedBytes: 0xFFFF_FFFF)
    }

    @Test("garbage bytes (an HTTP request) close only that connection, with the reason")
    func garbageClosesOnlyThatConnection() async throws {
        let request = Array("GET / HTTP/1.1\r\nHost: padlock\r\n\r\n".utf8)
        // "GET " read as a big-endian length.
        try await expectOnlyOffenderClosed(sending: request, announcedBytes: 0x4745_5420)
    }

    @Test("a frame just over the limit is refused, one at the limit is delivered")
    func frameLimitIsExact() async throws {
        let limits = ConnectionLimits(maxFrameBytes: 100)
        let closes = Shared([ConnectionClosed]())
        let echoed = Shared([Int]())
        try await withLoop(name: "server") { server in
            let port = try await startEchoServer(on: server, limits: limits, closes: closes)
            try await withLoop(name: "client") { client in
                _ = try await connect(on: client, port: port) { connection in
                    connection.onFrame = { payload in echoed.with { $0.append(payload.count) } }
                    _ = connection.send([UInt8](repeating: 1, count: 100))
                    _ = connection.send([UInt8](repeating: 2, count: 101))
                }
                await waitUntil { closes.value.count == 1 && echoed.value.count == 1 }
            }
        }
        #expect(echoed.value == [100])
        #expect(closes.value.first?.reason == .frameTooLarge(announcedBytes: 101, maxFrameBytes: 100))
    }
}

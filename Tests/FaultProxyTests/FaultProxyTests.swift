import EventLoop
import FaultProxy
import Testing

/// The proxy between a test client and a small echo server, both on the test's own loop.
@Suite struct FaultProxyTests {
    /// Starts an echo server and a proxy in front of it, runs `body`, and checks both loops close cleanly.
    private func withProxy(
        echoes: Bool = true, _ body: (FaultProxy, TestNetwork) async throws -> Void
    ) async throws {
        let network = try TestNetwork()
        defer { network.stop() }
        let serverPort = try await network.startServer(echoes: echoes)
        let proxy = try await FaultProxy(upstreamPort: serverPort)
        do {
            try await body(proxy, network)
        } catch {
            await proxy.stop()
            throw error
        }
        let report = await proxy.stop()
        #expect(report.isClean, "the proxy's loop stopped with \(report.liveHandles) live handles")
    }

    @Test("Passing, the proxy forwards every byte both ways, intact and in order, and counts them")
    func passForwardsBytesInOrder() async throws {
        try await withProxy { proxy, network in
            let (connection, client) = try await network.connect(port: proxy.port)
            let payload = patternBytes(300_000, seed: 1)
            for start in stride(from: 0, to: payload.count, by: 7_000) {
                try await network.send(Array(payload[start..<min(start + 7_000, payload.count)]), on: connection)
            }
            #expect(await waitUntil { client.bytes.value.count >= payload.count })
            #expect(client.bytes.value == payload, "the echo came back through the proxy unchanged")
            #expect(network.serverSightings.value.map(\.bytes.value) == [payload], "one upstream connection got it all")
            let counters = proxy.counters
            #expect(counters.connectionsAccepted == 1)
            #expect(counters.bytesToUpstream == payload.count && counters.bytesToClient == payload.count)
            #expect(counters.bytesDroppedToUpstream == 0 && counters.bytesDroppedToClient == 0)
            try await network.close(connection)
            #expect(await waitUntil { proxy.counters.connectionsOpen == 0 }, "the client's close closes the pair")
            #expect(await waitUntil { network.serverSightings.value.first?.closed.value == .peerClosed })
        }
    }

    @Test("A black hole keeps the connection but drops every byte; after it the same connection forwards again")
    func blackHoleDropsBothWays() async throws {
        try await withProxy { proxy, network in
            let (connection, client) = try await network.connect(port: proxy.port)
            try await network.send(Array("hi".utf8), on: connection)
            #expect(await waitUntil { client.bytes.value.count == 2 })
            await proxy.setFault(.blackHole(.both))
            try await network.send(Array("hello".utf8), on: connection)
            #expect(await waitUntil { proxy.counters.bytesDroppedToUpstream == 5 })
            #expect(network.serverSightings.value.first?.bytes.value == Array("hi".utf8), "the server saw nothing new")
            await proxy.setFault(.pass)
            try await network.send(Array("world".utf8), on: connection)
            #expect(await waitUntil { client.bytes.value.count == 7 })
            #expect(client.bytes.value == Array("hiworld".utf8), "the dropped bytes never arrive later")
            #expect(client.closed.value == nil && proxy.counters.connectionsAccepted == 1)
        }
    }

    @Test("A one-way black hole toward the client lets requests reach the server and loses only the answers")
    func blackHoleTowardClient() async throws {
        try await withProxy { proxy, network in
            await proxy.setFault(.blackHole(.toClient))
            let (connection, client) = try await network.connect(port: proxy.port)
            try await network.send(Array("ping".utf8), on: connection)
            #expect(await waitUntil { network.serverSightings.value.first?.bytes.value == Array("ping".utf8) })
            #expect(await waitUntil { proxy.counters.bytesDroppedToClient == 4 }, "the echo was dropped")
            #expect(client.bytes.value.isEmpty)
            #expect(proxy.counters.bytesToUpstream == 4 && proxy.counters.bytesToClient == 0)
        }
    }

    @Test("A one-way black hole toward the server loses the requests; the connection stays open")
    func blackHoleTowardUpstream() async throws {
        try await withProxy { proxy, network in
            await proxy.setFault(.blackHole(.toUpstream))
            let (connection, client) = try await network.connect(port: proxy.port)
            try await network.send(Array("ping".utf8), on: connection)
            #expect(await waitUntil { proxy.counters.bytesDroppedToUpstream == 4 })
            #expect(await waitUntil { network.serverSightings.value.count == 1 }, "the upstream side is connected")
            #expect(network.serverSightings.value.first?.bytes.value.isEmpty == true)
            #expect(client.bytes.value.isEmpty && client.closed.value == nil)
        }
    }

    @Test("A delay holds bytes at least that long each way and never lets later bytes overtake held ones")
    func delayHoldsBytesInOrder() async throws {
        try await withProxy { proxy, network in
            let (connection, client) = try await network.connect(port: proxy.port)
            await proxy.setFault(.delay(.milliseconds(200)))
            let started = ContinuousClock.now
            try await network.send(Array("x".utf8), on: connection)
            #expect(await waitUntil { client.bytes.value.count == 1 })
            let roundTrip = ContinuousClock.now - started
            #expect(roundTrip >= .milliseconds(400), "held 200 ms up and again on the way back: \(roundTrip)")

            try await network.send(Array("first".utf8), on: connection)
            await proxy.setFault(.pass)
            try await network.send(Array("second".utf8), on: connection)
            #expect(await waitUntil { client.bytes.value.count == 12 })
            #expect(network.serverSightings.value.first?.bytes.value == Array("xfirstsecond".utf8))
            #expect(client.bytes.value == Array("xfirstsecond".utf8), "bytes sent after the delay ended queue behind")
        }
    }

    @Test("A slow link holds bytes at least its minimum, and its jitter never reorders them")
    func latencyWithJitterKeepsOrderPerDirection() async throws {
        try await withProxy { proxy, network in
            let (connection, client) = try await network.connect(port: proxy.port)
            await proxy.setFault(
                .latency(
                    toUpstream: ProxyLatency(minimum: .milliseconds(150), jitter: .milliseconds(100)),
                    toClient: .none))
            let started = ContinuousClock.now
            try await network.send(Array("x".utf8), on: connection)
            #expect(await waitUntil { client.bytes.value.count == 1 })
            let roundTrip = ContinuousClock.now - started
            #expect(roundTrip >= .milliseconds(150), "held at least 150 ms on the way up: \(roundTrip)")

            // Many small chunks, each with its own draw of jitter: they still arrive whole and in order.
            let chunks = (0..<40).map { "<\($0)>" }
            for chunk in chunks {
                try await network.send(Array(chunk.utf8), on: connection)
                await Task.yield()
            }
            let expected = Array(("x" + chunks.joined()).utf8)
            #expect(await waitUntil { client.bytes.value.count == expected.count })
            #expect(network.serverSightings.value.first?.bytes.value == expected, "the server read them in order")
            #expect(client.bytes.value == expected, "the echo came back in order")
            #expect(proxy.fault.description.contains("toUpstream"))
        }
    }

    @Test("A reset closes every open connection at once and every new one while it is set")
    func resetClosesConnections() async throws {
        try await withProxy { proxy, network in
            let (first, firstClient) = try await network.connect(port: proxy.port)
            try await network.send(Array("hi".utf8), on: first)
            #expect(await waitUntil { firstClient.bytes.value.count == 2 })
            await proxy.setFault(.reset)
            #expect(
                await waitUntil { firstClient.closed.value == .peerReset },
                "got \(String(describing: firstClient.closed.value))")
            #expect(await waitUntil { network.serverSightings.value.first?.closed.value == .peerReset })

            // The proxy accepts and resets at once; on a busy machine the reset can reach the client before its
            // connect completes, which then fails with ECONNRESET. Either way the connection is refused.
            do {
                let (_, refused) = try await network.connect(port: proxy.port)
                #expect(
                    await waitUntil { refused.closed.value != nil }, "a new connection is reset while the fault is set")
                #expect(refused.bytes.value.isEmpty)
            } catch let error as UVError {
                #expect(error == .connectionReset, "the connect failed otherwise: \(error)")
            }
            #expect(await waitUntil { proxy.counters.connectionsReset == 1 })
            #expect(network.serverSightings.value.count == 1, "no upstream connection was made for it")

            await proxy.setFault(.pass)
            let (third, thirdClient) = try await network.connect(port: proxy.port)
            try await network.send(Array("again".utf8), on: third)
            #expect(await waitUntil { thirdClient.bytes.value == Array("again".utf8) })
            #expect(await waitUntil { proxy.counters.connectionsOpen == 1 })
        }
    }

    @Test("Cut after the next request: the request reaches the server, its answer is lost, and it happens once")
    func cutAfterRequestLosesTheAnswer() async throws {
        try await withProxy { proxy, network in
            let (connection, client) = try await network.connect(port: proxy.port)
            try await network.send(Array("hello".utf8), on: connection)
            #expect(await waitUntil { client.bytes.value.count == 5 })
            await proxy.setFault(.cutAfterNextRequest)
            try await network.send(Array("request".utf8), on: connection)
            #expect(await waitUntil { client.closed.value != nil })
            #expect(client.closed.value == .peerReset)
            #expect(client.bytes.value == Array("hello".utf8), "not one byte of the answer reached the client")
            let server = try #require(network.serverSightings.value.first)
            #expect(server.bytes.value == Array("hellorequest".utf8), "the request reached the server")
            #expect(await waitUntil { server.closed.value == .peerClosed }, "the server side closes in order")
            #expect(proxy.counters.cuts == 1 && proxy.fault == .pass)

            let (next, nextClient) = try await network.connect(port: proxy.port)
            try await network.send(Array("later".utf8), on: next)
            #expect(await waitUntil { nextClient.bytes.value == Array("later".utf8) }, "the cut was one-shot")
            #expect(proxy.counters.cuts == 1)
        }
    }

    @Test("A cut waits for a connection that carries a request; idle connections are left alone")
    func cutPicksTheConnectionThatCarriesTheRequest() async throws {
        try await withProxy { proxy, network in
            let (idle, idleClient) = try await network.connect(port: proxy.port)
            let (busy, busyClient) = try await network.connect(port: proxy.port)
            #expect(await waitUntil { network.serverSightings.value.count == 2 })
            await proxy.setFault(.cutAfterNextRequest)
            try await network.send(Array("request".utf8), on: busy)
            #expect(await waitUntil { busyClient.closed.value != nil })
            try await network.send(Array("ping".utf8), on: idle)
            #expect(await waitUntil { idleClient.bytes.value == Array("ping".utf8) })
            #expect(idleClient.closed.value == nil)
        }
    }

    @Test("A client whose upstream cannot be reached is closed, and counted")
    func unreachableUpstreamClosesTheClient() async throws {
        let network = try TestNetwork()
        defer { network.stop() }
        // A port that was just free: listen, note it, close.
        let port = try await network.loop.submit { [loop = network.loop] in
            let listener = try loop.listen(host: "127.0.0.1", port: 0) { _ in }
            defer { listener.close() }
            return listener.port
        }
        let proxy = try await FaultProxy(upstreamPort: port)
        // The proxy accepts, fails to reach the upstream and closes the client; on a busy machine that close can
        // reach the client before its own connect completes, which then fails with ECONNRESET (seen once in a
        // full run). Either way the client is turned away.
        do {
            let (_, client) = try await network.connect(port: proxy.port)
            #expect(await waitUntil { client.closed.value != nil })
        } catch let error as UVError {
            #expect(error == .connectionReset, "the connect failed otherwise: \(error)")
        }
        #expect(await waitUntil { proxy.counters.upstreamConnectFailures == 1 })
        #expect(await waitUntil { proxy.counters.connectionsOpen == 0 })
        #expect(await proxy.stop().isClean)
    }
}

import EventLoop
import Logging
import Testing

@testable import AdminHTTP

/// The body /metrics serves in these tests: the server sends a handler's bytes as they are (the Prometheus
/// text itself comes from the Server module's registry, decision 0012).
private func metricsBody() -> [UInt8] {
    Array("# HELP padlock_up 1 while the node serves.\n# TYPE padlock_up gauge\npadlock_up 1.0\n".utf8)
}

/// The media type /metrics answers with.
private let metricsType = "text/plain; version=0.0.4; charset=utf-8"

/// The configuration of tests that are not about timeouts: deadlines far beyond a loaded machine's pauses.
private let patient = AdminHTTPServer.Configuration(idleTimeout: .seconds(300), requestTimeout: .seconds(300))

/// Starts an admin server with /health and /metrics (plus whatever `setUp` adds) on 127.0.0.1.
private func startAdmin(
    on loop: EventLoop, configuration: AdminHTTPServer.Configuration = patient,
    setUp: @escaping @Sendable (AdminHTTPServer) -> Void = { _ in }
) async throws -> (server: LoopBound<AdminHTTPServer>, port: Int) {
    try await loop.submit {
        let admin = AdminHTTPServer(loop: loop, configuration: configuration)
        admin.route("/health") { _ in .text("ok\n") }
        admin.route("/metrics") { _ in
            HTTPResponse(status: .ok, headers: ["Content-Type": metricsType], body: metricsBody())
        }
        setUp(admin)
        let port = try admin.listen(host: "127.0.0.1", port: 0)
        return (LoopBound(admin, loop: loop), port)
    }
}

private func counters(of server: LoopBound<AdminHTTPServer>) async throws -> AdminHTTPServer.Counters {
    try await server.loop.submit { server.value.counters }
}

/// The server's connections busy answering (a response queued and not yet taken by the socket).
private func busyCount(of server: LoopBound<AdminHTTPServer>) async throws -> Int {
    try await server.loop.submit {
        server.value.connections.values.count { $0.phase == .serving && !$0.isWaitingForRequest }
    }
}

private func connectionCount(of server: LoopBound<AdminHTTPServer>) async throws -> Int {
    try await server.loop.submit { server.value.connectionCount }
}

private let host = "Host: padlock\r\n"

@Suite("Admin HTTP server", .timeLimit(.minutes(10)))
struct AdminHTTPServerTests {
    @Test("GET /metrics, HEAD /metrics and GET /health, pipelined over a real socket, are answered in order")
    func servesMetricsAndHealth() async throws {
        try await withLoop(name: "admin") { loop in
            let (server, port) = try await startAdmin(on: loop)
            try await withLoop(name: "client") { clientLoop in
                let client = try await RawClient.connect(on: clientLoop, port: port)
                try await client.send(
                    "GET /metrics HTTP/1.1\r\n\(host)\r\nHEAD /metrics HTTP/1.1\r\n\(host)\r\n"
                        + "GET /health?verbose=1 HTTP/1.1\r\n\(host)\r\n")
                let responses = await client.responses(3, headRequests: [1])
                let metrics = String(decoding: metricsBody(), as: UTF8.self)
                #expect(responses.map(\.status) == [200, 200, 200])
                #expect(responses.first?.body == metrics)
                #expect(responses.first?.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
                #expect(responses.dropFirst().first?.headers["content-length"] == "\(metrics.utf8.count)")
                #expect(responses.dropFirst().first?.body == "")
                #expect(responses.last?.body == "ok\n")
                #expect(responses.allSatisfy { $0.headers["connection"] == "keep-alive" })
                #expect(client.received.value.count == ParsedResponse.serializedBytes(of: responses, headRequests: [1]))
                #expect(client.closed.value == nil)
                // A request that asks to close is answered, then the server closes.
                try await client.send("GET /health HTTP/1.1\r\n\(host)Connection: close\r\n\r\n")
                let closed = await client.waitForClose()
                let all = ParsedResponse.parseAll(client.received.value, headRequests: [1])
                #expect(all.count == 4)
                #expect(all.last?.headers["connection"] == "close")
                #expect(closed?.reason == .peerClosed)
            }
            #expect(try await counters(of: server).requestsAnswered == 4)
        }
    }

    @Test("unknown paths get 404, other methods 405 with Allow, and the connection stays open")
    func notFoundAndMethodNotAllowed() async throws {
        try await withLoop(name: "admin") { loop in
            let (_, port) = try await startAdmin(on: loop)
            try await withLoop(name: "client") { clientLoop in
                let client = try await RawClient.connect(on: clientLoop, port: port)
                try await client.send(
                    "GET /nope HTTP/1.1\r\n\(host)\r\n"
                        + "POST /health HTTP/1.1\r\n\(host)Content-Length: 3\r\n\r\nabc"
                        + "DELETE /metrics HTTP/1.1\r\n\(host)\r\nGET /health HTTP/1.1\r\n\(host)\r\n")
                let responses = await client.responses(4)
                #expect(responses.map(\.status) == [404, 405, 405, 200])
                #expect(responses[1].headers["allow"] == "GET, HEAD")
                #expect(responses[2].headers["allow"] == "GET, HEAD")
                #expect(client.closed.value == nil)
                try await client.close()
                _ = await client.waitForClose()
            }
        }
    }

    @Test("garbage bytes are answered 400, logged through the loop's logger, and the connection closes")
    func garbageGets400() async throws {
        let records = Shared([CapturingLogHandler.Record]())
        let logger = Logger(label: "admin-test") { _ in CapturingLogHandler(records: records) }
        try await withLoop(name: "admin", logger: logger) { loop in
            let (server, port) = try await startAdmin(on: loop)
            try await withLoop(name: "client") { clientLoop in
                let garbage = try await RawClient.connect(on: clientLoop, port: port)
                try await garbage.send([0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x00, 0x00, 0xA1, 0x03, 0x03, 0x0D, 0x0A])
                let closed = await garbage.waitForClose()
                #expect(closed?.reason == .peerClosed)
                let responses = ParsedResponse.parseAll(garbage.received.value)
                #expect(responses.map(\.status) == [400])
                #expect(responses.first?.headers["connection"] == "close")
                // A body larger than allowed is refused before it is sent.
                let large = try await RawClient.connect(on: clientLoop, port: port)
                try await large.send("POST /health HTTP/1.1\r\n\(host)Content-Length: 1000000\r\n\r\n")
                _ = await large.waitForClose()
                #expect(ParsedResponse.parseAll(large.received.value).map(\.status) == [413])
            }
            #expect(try await counters(of: server).requestsMalformed == 2)
        }
        let logged = records.value.filter { $0.message == "malformed admin request" }
        #expect(logged.map { $0.metadata["status"] } == ["400", "413"])
        #expect(logged.allSatisfy { $0.level == .notice && $0.metadata["reason"] != nil })
    }

    @Test("a slowloris client and a silent one hit the idle timeout; a client sending whole requests does not")
    func idleTimeout() async throws {
        let configuration = AdminHTTPServer.Configuration(idleTimeout: .seconds(1))
        try await withLoop(name: "admin") { loop in
            let (server, port) = try await startAdmin(on: loop, configuration: configuration)
            try await withLoop(name: "client") { clientLoop in
                // Slow: a request head, then one more byte every 20 ms, forever: always active, never a
                // complete request. Busy: a whole request every 50 ms, thirty of them: 1.5 s in all, longer
                // than the idle timeout, whose second leaves room for a loaded machine's scheduling pauses. Both start on the client loop the moment they connect, paced by its
                // timers, so their timing does not depend on when this task runs.
                let request = Array("GET /health HTTP/1.1\r\n\(host)\r\n".utf8)
                let started = ContinuousClock.now
                let slow = try await RawClient.connect(on: clientLoop, port: port) { connection in
                    _ = connection.send(Array("GET /health HTTP/1.1\r\n\(host)X-Slow: ".utf8))
                    clientLoop.schedule(after: .milliseconds(20), repeating: .milliseconds(20)) {
                        if connection.isOpen { _ = connection.send([UInt8(ascii: "a")]) }
                    }
                }
                let silent = try await RawClient.connect(on: clientLoop, port: port)
                let lastSent = Shared<ContinuousClock.Instant?>(nil)
                let busy = try await RawClient.connect(on: clientLoop, port: port) { connection in
                    var sent = 0
                    clientLoop.schedule(after: .milliseconds(50), repeating: .milliseconds(50)) {
                        guard sent < 30, connection.isOpen else { return }
                        _ = connection.send(request)
                        lastSent.with { $0 = .now }
                        sent += 1
                    }
                }
                #expect(await busy.responses(30).map(\.status) == Array(repeating: 200, count: 30))
                // Every request was answered, so the busy client was never cut off while it kept sending; it
                // may be closed only once it has been quiet for the idle timeout (a starved test runner can
                // deliver the last answers late).
                if let closedAt = busy.closedAt.value, let last = lastSent.value {
                    #expect(closedAt - last >= .milliseconds(900), "closed \(closedAt - last) after its last request")
                }
                let slowClosed = await slow.waitForClose()
                let silentClosed = await silent.waitForClose()
                #expect(slowClosed?.reason == .peerClosed)
                #expect(silentClosed?.reason == .peerClosed)
                // Not before the timeout. No upper bound: a server that let activity without a whole request
                // reset the timer would never close the slow client, and waitForClose would say so; a bound in
                // seconds only measured how starved the test runner was (it failed once under load).
                for closedAt in [slow.closedAt.value, silent.closedAt.value] {
                    let elapsed = (closedAt ?? .now) - started
                    #expect(elapsed >= .seconds(1), "closed after \(elapsed)")
                }
                #expect(ParsedResponse.parseAll(slow.received.value).map(\.status) == [408])
                #expect(silent.received.value.isEmpty)
                _ = await busy.waitForClose()
            }
            #expect(try await counters(of: server).idleTimeouts == 3)
        }
    }

    @Test("when every slot is taken, the connection waiting longest for a request makes room, and /health is answered")
    func fullPortShedsTheSlowest() async throws {
        let configuration = AdminHTTPServer.Configuration(
            connectionCountMax: 2, idleTimeout: .seconds(300), requestTimeout: .seconds(300))
        try await withLoop(name: "admin") { loop in
            let (server, port) = try await startAdmin(on: loop, configuration: configuration)
            try await withLoop(name: "client") { clientLoop in
                let silent = try await RawClient.connect(on: clientLoop, port: port)
                while try await connectionCount(of: server) < 1 { try await Task.sleep(for: .milliseconds(2)) }
                let slow = try await RawClient.connect(on: clientLoop, port: port)
                try await slow.send("GET /health HTTP/1.1\r\n\(host)X-Slow: ")
                while try await connectionCount(of: server) < 2 { try await Task.sleep(for: .milliseconds(2)) }
                let health = try await RawClient.connect(on: clientLoop, port: port)
                try await health.send("GET /health HTTP/1.1\r\n\(host)\r\n")
                #expect(await health.responses(1).map(\.status) == [200])
                let shed = await silent.waitForClose()
                #expect(
                    shed?.reason == .peerReset || shed?.reason == .peerClosed, "the oldest waiting connection made room"
                )
                #expect(slow.closed.value == nil, "the newer slow connection keeps its slot")
                try await health.close()
                try await slow.close()
                _ = await slow.waitForClose()
            }
            let final = try await counters(of: server)
            #expect(final.connectionsShed == 1)
            #expect(final.connectionsRejected == 0)
        }
    }

    @Test("when every slot is busy answering, a new connection is answered 503 with an overloaded body")
    func busyPortAnswersOverloaded() async throws {
        let configuration = AdminHTTPServer.Configuration(
            connectionCountMax: 2, idleTimeout: .seconds(300), requestTimeout: .seconds(300),
            responseBytesMax: 16 << 20)
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 12 << 20)
        try await withLoop(name: "admin") { loop in
            let (server, port) = try await startAdmin(on: loop, configuration: configuration) { admin in
                admin.route("/big") { _ in HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain"], body: big)
                }
            }
            try await withLoop(name: "client") { clientLoop in
                // Two clients that ask for a response larger than the socket buffers and do not read it.
                var readers: [RawClient] = []
                for _ in 0..<2 {
                    let reader = try await RawClient.connect(on: clientLoop, port: port, pausedReading: true)
                    try await reader.send("GET /big HTTP/1.1\r\n\(host)\r\n")
                    readers.append(reader)
                }
                while try await busyCount(of: server) < 2 { try await Task.sleep(for: .milliseconds(2)) }
                let third = try await RawClient.connect(on: clientLoop, port: port)
                _ = await third.waitForClose()
                let answer = ParsedResponse.parseAll(third.received.value)
                #expect(answer.map(\.status) == [503])
                #expect(answer.first?.body.contains("\"status\":\"overloaded\"") == true)
                #expect(answer.first?.headers["retry-after"] == "1")
                for reader in readers { try await reader.close() }
            }
            #expect(try await counters(of: server).connectionsRejected == 1)
        }
    }

    @Test("a new connection must send a complete request within the request timeout, however long the idle timeout")
    func requestTimeoutBoundsFirstRequest() async throws {
        let configuration = AdminHTTPServer.Configuration(idleTimeout: .seconds(120), requestTimeout: .seconds(5))
        try await withLoop(name: "admin") { loop in
            let (server, port) = try await startAdmin(on: loop, configuration: configuration)
            try await withLoop(name: "client") { clientLoop in
                let started = ContinuousClock.now
                let silent = try await RawClient.connect(on: clientLoop, port: port)
                // Sent from the client loop the moment it connects, so a slow test task cannot make it late.
                let kept = try await RawClient.connect(on: clientLoop, port: port) { connection in
                    _ = connection.send(Array("GET /health HTTP/1.1\r\n\(host)\r\n".utf8))
                }
                #expect(await kept.responses(1).map(\.status) == [200])
                let closed = await silent.waitForClose()
                #expect(closed?.reason == .peerClosed)
                let elapsed = (silent.closedAt.value ?? .now) - started
                #expect(elapsed >= .seconds(5) && elapsed < .seconds(60), "closed after \(elapsed)")
                // After a response the idle timeout (120 s) applies, not the request timeout.
                #expect(kept.closed.value == nil)
                try await kept.close()
                _ = await kept.waitForClose()
            }
            #expect(try await counters(of: server).idleTimeouts == 1)
        }
    }

    @Test("/health answers while 200 slow connections hold the admin port")
    func healthDuringSlowFlood() async throws {
        try await withLoop(name: "admin") { loop in
            let (server, port) = try await startAdmin(on: loop)
            try await withLoop(name: "client") { clientLoop in
                var slow: [RawClient] = []
                for _ in 0..<200 {
                    let client = try await RawClient.connect(on: clientLoop, port: port)
                    try await client.send("GET /health HTTP/1.1\r\n\(host)X-Slow: a")
                    slow.append(client)
                }
                for _ in 0..<3 {
                    let health = try await RawClient.connect(on: clientLoop, port: port)
                    try await health.send("GET /health HTTP/1.1\r\n\(host)Connection: close\r\n\r\n")
                    let answers = await health.responses(1)
                    #expect(answers.map(\.status) == [200], "answered \(answers)")
                    _ = await health.waitForClose()
                }
                for client in slow { try await client.close() }
            }
            let final = try await counters(of: server)
            #expect(final.connectionsShed >= 136, "the slow connections beyond the 64 slots made room: \(final)")
        }
    }

    @Test("pipelined requests from a client that does not read are held back by backpressure and all answered in order")
    func pipeliningUnderBackpressure() async throws {
        let requestCount = 3_000  // 12 MB of responses: far more than the socket buffers hold
        let configuration = AdminHTTPServer.Configuration(
            idleTimeout: .seconds(300), requestTimeout: .seconds(300), responseBytesMax: 4096)
        try await withLoop(name: "admin") { loop in
            let (server, port) = try await startAdmin(on: loop, configuration: configuration) { admin in
                var answered = 0
                admin.route("/big") { _ in
                    answered += 1
                    let number = String(answered)
                    return .text(number + String(repeating: ".", count: 3900 - number.count))
                }
            }
            try await withLoop(name: "client") { clientLoop in
                let client = try await RawClient.connect(on: clientLoop, port: port, pausedReading: true)
                try await client.send(String(repeating: "GET /big HTTP/1.1\r\n\(host)\r\n", count: requestCount))
                // The server's write queue fills up and it stops answering (and reading) until we read.
                var waiting = false
                while !waiting {
                    waiting = try await loop.submit { server.value.connections.values.contains { $0.pending != nil } }
                    if !waiting { try await Task.sleep(for: .milliseconds(2)) }
                }
                #expect(try await counters(of: server).requestsAnswered < requestCount)
                try await client.resumeReading()
                let responseBytes = HTTPResponse.text(String(repeating: ".", count: 3900))
                    .serialized(keepAlive: true).count
                await waitUntil {
                    client.receivedBytes.value >= requestCount * responseBytes || client.closed.value != nil
                }
                let responses = ParsedResponse.parseAll(client.received.value)
                #expect(responses.count == requestCount)
                let numbers = responses.map { Int($0.body.prefix { $0 != "." }) ?? -1 }
                #expect(numbers == Array(1...requestCount))
                try await client.close()
                _ = await client.waitForClose()
            }
        }
    }

    @Test("a response larger than responseBytesMax is replaced by a 500 and the connection closes")
    func oversizedResponse() async throws {
        let configuration = AdminHTTPServer.Configuration(
            idleTimeout: .seconds(300), requestTimeout: .seconds(300), responseBytesMax: 4096)
        try await withLoop(name: "admin") { loop in
            let (_, port) = try await startAdmin(on: loop, configuration: configuration) { admin in
                admin.route("/huge") { _ in .text(String(repeating: "x", count: 10_000)) }
            }
            try await withLoop(name: "client") { clientLoop in
                let client = try await RawClient.connect(on: clientLoop, port: port)
                try await client.send("GET /huge HTTP/1.1\r\n\(host)\r\n")
                _ = await client.waitForClose()
                #expect(ParsedResponse.parseAll(client.received.value).map(\.status) == [500])
            }
        }
    }

    @Test("close() stops listening, closes every connection and leaves only the loop's own handle")
    func closeReleasesEverything() async throws {
        try await withLoop(name: "admin") { loop in
            let baseline = try await loop.submit { loop.countLiveHandles() }
            let (server, port) = try await startAdmin(on: loop)
            try await withLoop(name: "client") { clientLoop in
                let client = try await RawClient.connect(on: clientLoop, port: port)
                try await client.send("GET /health HTTP/1.1\r\n\(host)\r\n")
                #expect(await client.responses(1).map(\.status) == [200])
                try await loop.submit { server.value.close() }
                #expect(await client.waitForClose()?.reason == .peerClosed)
                await #expect(throws: UVError.connectionRefused) {
                    _ = try await RawClient.connect(on: clientLoop, port: port)
                }
            }
            while try await loop.submit({ loop.countLiveHandles() }) > baseline {
                try await Task.sleep(for: .milliseconds(2))
            }
            #expect(try await connectionCount(of: server) == 0)
        }
    }

    @Test("stopping the loop with the server listening and connections open leaves no live handles")
    func loopStopClosesEverything() async throws {
        let loop = try EventLoop(name: "admin")
        let (server, port) = try await startAdmin(on: loop)
        try await withLoop(name: "client") { clientLoop in
            let first = try await RawClient.connect(on: clientLoop, port: port)
            let second = try await RawClient.connect(on: clientLoop, port: port)
            try await first.send("GET /health HTTP/1.1\r\n\(host)\r\nGET /hea")
            _ = await first.responses(1)
            while try await connectionCount(of: server) < 2 { try await Task.sleep(for: .milliseconds(2)) }
            let report = loop.stop()
            #expect(report.isClean, "\(report.liveHandles) live handles")
            _ = await first.waitForClose()
            _ = await second.waitForClose()
        }
    }
}

extension ParsedResponse {
    /// The bytes `responses` take on the wire, assuming the serializer's exact layout; used to check that
    /// nothing else arrived.
    static func serializedBytes(of responses: [ParsedResponse], headRequests: Set<Int>) -> Int {
        responses.enumerated().reduce(0) { total, item in
            let (index, response) = item
            var size = "HTTP/1.1 \(response.status) OK\r\n".utf8.count
            for (name, value) in response.headers { size += name.utf8.count + 2 + value.utf8.count + 2 }
            size += 2
            return total + size + (headRequests.contains(index) ? 0 : response.body.utf8.count)
        }
    }
}

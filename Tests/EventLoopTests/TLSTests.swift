import EventLoop
import Testing

/// What one side of a TLS test saw: frames delivered and close events.
private final class Seen: Sendable {
    let frames = Shared([[UInt8]]())
    let closes = Shared([ConnectionClosed]())

    var closeReason: CloseReason? { closes.value.first?.reason }

    func record(_ connection: TCPConnection) {
        connection.onFrame = { [self] payload in frames.with { $0.append(payload) } }
        connection.onClose = { [self] closed in closes.with { $0.append(closed) } }
    }
}

/// Whether `reason` is a TLS failure whose text contains `phrase`.
private func isTLSFailure(_ reason: CloseReason?, mentioning phrase: String) -> Bool {
    guard case .tlsFailed(let text)? = reason else { return false }
    return text.contains(phrase)
}

private let bigLimits = ConnectionLimits(
    maxFrameBytes: 2 << 20, writeQueueBytesMax: 16 << 20,
    writeQueueLowWaterBytes: 1 << 20, pausesReadingWhenWriteQueueFull: false)

/// Connects with `tls` on the loop thread, hands the connection to `setUp`, and sends `frames` at once
/// (before the handshake can have finished, so they wait in the session).
private func connectTLS(
    on loop: EventLoop, port: Int, tls: TLSContext?, limits: ConnectionLimits = .init(),
    sending frames: [[UInt8]] = [],
    setUp: @escaping @Sendable (TCPConnection) -> Void
) async throws -> LoopBound<TCPConnection> {
    try await withCheckedThrowingContinuation { continuation in
        let answer = loop.post {
            loop.connect(host: "127.0.0.1", port: port, timeout: .seconds(5), limits: limits, tls: tls) { result in
                switch result {
                case .success(let connection):
                    setUp(connection)
                    for frame in frames { precondition(connection.send(frame) == .queued, "send refused") }
                    continuation.resume(returning: LoopBound(connection, loop: loop))
                case .failure(let error):
                    continuation.resume(throwing: error)
                }
            }
        }
        if answer != .accepted { continuation.resume(throwing: MailboxRefusal.overloaded) }
    }
}

/// Listens with `tls` on 127.0.0.1; every accepted connection is recorded in `seen`.
private func listenTLS(
    on loop: EventLoop, tls: TLSContext, seen: Seen, limits: ConnectionLimits = .init()
)
    async throws -> Int
{
    try await loop.submit {
        try loop.listen(host: "127.0.0.1", port: 0, limits: limits, tls: tls) { seen.record($0) }.port
    }
}

private func serverContext(
    _ certificates: TestCertificates,
    clientCertificates: TLSContext.ClientCertificates = .none
) throws -> TLSContext {
    try TLSContext.server(
        certificateChainFile: certificates.server.certificateFile,
        privateKeyFile: certificates.server.keyFile, trustedCAFile: certificates.caFile,
        clientCertificates: clientCertificates)
}

@Suite("TLS", .timeLimit(.minutes(10)))
struct TLSTests {
    @Test("frames round-trip over TLS both ways: a greeting, thousands of small frames and a 1 MiB frame")
    func framesRoundTripBothWays() async throws {
        let certificates = try await TestCertificates.shared.value
        let serverTLS = try serverContext(certificates, clientCertificates: .required)
        let clientTLS = try TLSContext.client(
            trustedCAFile: certificates.caFile,
            certificateChainFile: certificates.client.certificateFile,
            privateKeyFile: certificates.client.keyFile)
        var generator = SeededGenerator(seed: 11)
        var frames = (0..<3000).map { makePayload(index: $0, using: &generator) }
        let large = (0..<((1 << 20) + 3)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }
        frames.insert(large, at: 1500)
        let greeting: [UInt8] = Array("hello from the server".utf8)
        let encrypted = Shared([Bool]())
        let received = Seen()
        try await withLoop(name: "tls-server") { server in
            let port = try await server.submit {
                try server.listen(host: "127.0.0.1", port: 0, limits: bigLimits, tls: serverTLS) { connection in
                    encrypted.with { $0.append(connection.usesTLS) }
                    attachEcho(connection)
                    // Sent before the handshake has even started: it waits in the session.
                    _ = connection.send(greeting)
                }.port
            }
            try await withLoop(name: "tls-client") { client in
                let connection = try await connectTLS(
                    on: client, port: port, tls: clientTLS, limits: bigLimits,
                    sending: frames
                ) { received.record($0) }
                await waitUntil { received.frames.value.count == frames.count + 1 || received.closeReason != nil }
                #expect(try await client.submit { connection.value.usesTLS })
                #expect(try await client.submit { connection.value.queuedWriteBytes } == 0)
                try await client.submit { connection.value.close() }
                await waitUntil { received.closeReason != nil }
            }
        }
        let echoes = received.frames.value
        #expect(echoes.first == greeting)
        #expect(echoes.count == frames.count + 1)
        #expect(Array(echoes.dropFirst()) == frames, "echoed frames differ from the frames sent")
        #expect(echoes.contains { $0.count == large.count })
        #expect(encrypted.value == [true])
        #expect(received.closeReason == .closedLocally)
    }

    @Test("a full TLS write queue refuses sends, counts plaintext bytes, and drains to zero; every frame arrives")
    func backpressureOverTLS() async throws {
        let certificates = try await TestCertificates.shared.value
        let serverTLS = try serverContext(certificates)
        let clientTLS = try TLSContext.client(trustedCAFile: certificates.caFile)
        let limits = ConnectionLimits(
            writeQueueBytesMax: 64 * 1024, writeQueueLowWaterBytes: 16 * 1024,
            pausesReadingWhenWriteQueueFull: false)
        let frames = (0..<400).map { index in [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: 1020) }
        let serverSide = Seen()
        let refusals = Shared([Int]())
        let largestQueue = Shared(0)
        try await withLoop(name: "tls-server") { server in
            let port = try await listenTLS(on: server, tls: serverTLS, seen: serverSide)
            try await withLoop(name: "tls-client") { client in
                let connection = try await connectTLS(on: client, port: port, tls: clientTLS, limits: limits) { _ in }
                try await client.submit {
                    let tcp = connection.value
                    var next = 0
                    func pump() {
                        while next < frames.count {
                            guard tcp.send(frames[next]) == .queued else {
                                refusals.with { $0.append(next) }
                                return
                            }
                            largestQueue.with { $0 = max($0, tcp.queuedWriteBytes) }
                            next += 1
                        }
                    }
                    tcp.onWritable = { pump() }
                    pump()
                }
                await waitUntil { serverSide.frames.value.count == frames.count || serverSide.closeReason != nil }
                var queued = try await client.submit { connection.value.queuedWriteBytes }
                while queued != 0 && !Task.isCancelled {
                    try await Task.sleep(for: .milliseconds(2))
                    queued = try await client.submit { connection.value.queuedWriteBytes }
                }
                #expect(queued == 0, "the write queue did not drain to zero")
                try await client.submit { connection.value.close() }
                await waitUntil { serverSide.closeReason != nil }
            }
        }
        #expect(!refusals.value.isEmpty, "no send was refused")
        #expect(largestQueue.value <= 64 * 1024)
        #expect(serverSide.frames.value == frames)
    }

    @Test("a client trusting another CA refuses the server: both sides close with the TLS reason, no frame passes")
    func clientTrustingWrongCAIsRefused() async throws {
        let certificates = try await TestCertificates.shared.value
        let serverTLS = try serverContext(certificates)
        let clientTLS = try TLSContext.client(trustedCAFile: certificates.otherCAFile)
        let serverSide = Seen()
        let clientSide = Seen()
        try await withLoop(name: "tls-server") { server in
            let port = try await listenTLS(on: server, tls: serverTLS, seen: serverSide)
            try await withLoop(name: "tls-client") { client in
                _ = try await connectTLS(on: client, port: port, tls: clientTLS, sending: [[1, 2, 3]]) {
                    clientSide.record($0)
                }
                await waitUntil { clientSide.closeReason != nil && serverSide.closeReason != nil }
            }
        }
        #expect(
            isTLSFailure(clientSide.closeReason, mentioning: "certificate verify failed"),
            "client closed with \(String(describing: clientSide.closeReason))")
        #expect(
            isTLSFailure(serverSide.closeReason, mentioning: "unknown ca"),
            "server closed with \(String(describing: serverSide.closeReason))")
        #expect(serverSide.frames.value.isEmpty)
        #expect(clientSide.frames.value.isEmpty)
    }

    @Test("a client expecting another server name refuses the server's certificate")
    func clientExpectingAnotherNameIsRefused() async throws {
        let certificates = try await TestCertificates.shared.value
        let serverTLS = try serverContext(certificates)
        let clientTLS = try TLSContext.client(trustedCAFile: certificates.caFile, serverName: "padlock.example")
        let serverSide = Seen()
        let clientSide = Seen()
        try await withLoop(name: "tls-server") { server in
            let port = try await listenTLS(on: server, tls: serverTLS, seen: serverSide)
            try await withLoop(name: "tls-client") { client in
                _ = try await connectTLS(on: client, port: port, tls: clientTLS, sending: [[1]]) {
                    clientSide.record($0)
                }
                await waitUntil { clientSide.closeReason != nil && serverSide.closeReason != nil }
            }
        }
        #expect(
            isTLSFailure(clientSide.closeReason, mentioning: "hostname mismatch"),
            "client closed with \(String(describing: clientSide.closeReason))")
        #expect(serverSide.frames.value.isEmpty)
    }

    @Test(
        "a server requiring client certificates refuses a client without one and one from another CA",
        arguments: ["no certificate", "certificate from another CA"])
    func serverRequiringCertificatesRefuses(_ client: String) async throws {
        let certificates = try await TestCertificates.shared.value
        let serverTLS = try serverContext(certificates, clientCertificates: .required)
        let clientTLS =
            client == "no certificate"
            ? try TLSContext.client(trustedCAFile: certificates.caFile)
            : try TLSContext.client(
                trustedCAFile: certificates.caFile,
                certificateChainFile: certificates.otherClient.certificateFile,
                privateKeyFile: certificates.otherClient.keyFile)
        let serverSide = Seen()
        let clientSide = Seen()
        try await withLoop(name: "tls-server") { server in
            let port = try await listenTLS(on: server, tls: serverTLS, seen: serverSide)
            try await withLoop(name: "tls-client") { loop in
                _ = try await connectTLS(on: loop, port: port, tls: clientTLS, sending: [[7, 7, 7]]) {
                    clientSide.record($0)
                }
                await waitUntil { clientSide.closeReason != nil && serverSide.closeReason != nil }
            }
        }
        let expected = client == "no certificate" ? "certificate" : "certificate verify failed"
        #expect(
            isTLSFailure(serverSide.closeReason, mentioning: expected),
            "server closed with \(String(describing: serverSide.closeReason))")
        #expect(serverSide.frames.value.isEmpty, "the server delivered a frame from a refused client")
        #expect(clientSide.frames.value.isEmpty)
    }

    @Test("plaintext bytes sent to a TLS port close that connection with the TLS reason; others are served")
    func plaintextToTLSPortClosesOnlyThatConnection() async throws {
        let certificates = try await TestCertificates.shared.value
        let serverTLS = try serverContext(certificates)
        let clientTLS = try TLSContext.client(trustedCAFile: certificates.caFile)
        let closes = Shared([ConnectionClosed]())
        let echoed = Seen()
        try await withLoop(name: "tls-server") { server in
            let port = try await server.submit {
                try server.listen(host: "127.0.0.1", port: 0, tls: serverTLS) { attachEcho($0, closes: closes) }.port
            }
            let offender = RawSocket()
            #expect(offender.connect(port: port))
            #expect(offender.write(Array("GET / HTTP/1.1\r\nHost: padlock\r\n\r\n".utf8) + [0, 0, 0, 4, 1, 2, 3, 4]))
            #expect(offender.readUntilClosed())
            await waitUntil { closes.value.count == 1 }
            try await withLoop(name: "tls-client") { client in
                let good = try await connectTLS(on: client, port: port, tls: clientTLS, sending: [[9, 8, 7]]) {
                    echoed.record($0)
                }
                await waitUntil { echoed.frames.value.count == 1 || echoed.closeReason != nil }
                try await client.submit { good.value.close() }
                await waitUntil { echoed.closeReason != nil }
            }
        }
        guard case .tlsFailed? = closes.value.first?.reason else {
            Issue.record("the offender's connection closed with \(String(describing: closes.value.first))")
            return
        }
        #expect(echoed.frames.value == [[9, 8, 7]])
    }

    @Test("a TLS client dialling a plaintext port fails its handshake with a reason")
    func tlsClientToPlaintextPortFails() async throws {
        let certificates = try await TestCertificates.shared.value
        let clientTLS = try TLSContext.client(trustedCAFile: certificates.caFile)
        let clientSide = Seen()
        try await withLoop(name: "plain-server") { server in
            let port = try await startEchoServer(on: server)
            try await withLoop(name: "tls-client") { client in
                _ = try await connectTLS(on: client, port: port, tls: clientTLS, sending: [[1]]) {
                    clientSide.record($0)
                }
                await waitUntil { clientSide.closeReason != nil }
            }
        }
        #expect(
            isTLSFailure(clientSide.closeReason, mentioning: "handshake"),
            "client closed with \(String(describing: clientSide.closeReason))")
        #expect(clientSide.frames.value.isEmpty)
    }

    @Test("contexts refuse a missing file, a key that does not match, and half an identity, naming the file")
    func contextLoadErrorsNameTheFile() async throws {
        let certificates = try await TestCertificates.shared.value
        let missing = certificates.directory + "/missing.pem"
        do {
            _ = try TLSContext.server(certificateChainFile: missing, privateKeyFile: certificates.server.keyFile)
            Issue.record("a missing certificate file was accepted")
        } catch {
            #expect(error.step == .certificateChain)
            #expect(error.file == missing)
            #expect(!error.reason.isEmpty)
        }
        do {
            _ = try TLSContext.server(
                certificateChainFile: certificates.server.certificateFile,
                privateKeyFile: certificates.otherServer.keyFile)
            Issue.record("a key of another certificate was accepted")
        } catch {
            #expect(error.step == .keyMismatch)
            #expect(error.file == certificates.otherServer.keyFile)
        }
        do {
            _ = try TLSContext.client(trustedCAFile: missing)
            Issue.record("a missing CA bundle was accepted")
        } catch {
            #expect(error.step == .trustedCertificates)
            #expect(error.file == missing)
        }
        #expect(throws: TLSError.self) {
            try TLSContext.client(
                trustedCAFile: certificates.caFile,
                certificateChainFile: certificates.client.certificateFile)
        }
        #expect(throws: TLSError.self) {
            try TLSContext.server(
                certificateChainFile: certificates.server.certificateFile,
                privateKeyFile: certificates.server.keyFile, clientCertificates: .required)
        }
    }
}

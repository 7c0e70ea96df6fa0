import Foundation
import PadlockClient
import PadlockTypes
import Testing
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// Silent, slow and hostile connections (issue 18, finding 4): handshake deadlines, the pending pool that
/// keeps strangers from crowding out members, rate-limited refusal logs, and a node short of descriptors.
@Suite(.serialized) struct ConnectionTests {
    @Test("A connection that sends nothing, and one with half a handshake, are closed within 20 s on every port")
    func silentConnectionsAreClosed() throws {
        let cluster = try LocalCluster()
        defer { cluster.stop() }
        let clientSilent = try RawSocket(port: cluster.clientPort(1))
        let clientHalf = try RawSocket(port: cluster.clientPort(1))
        let handshake = Handshake(role: .client, cluster: ClusterID(0), node: NodeID(0)).encoded()
        let length = UInt32(handshake.count)
        // The length prefix and half of the payload: a handshake that never completes.
        clientHalf.write(
            [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
                + handshake.prefix(handshake.count / 2))
        let peerSilent = try RawSocket(port: cluster.peerPort(1))
        let peerHalf = try RawSocket(port: cluster.peerPort(1))
        peerHalf.write([0, 0, 0, 40, 1, 2])
        let adminSilent = try RawSocket(port: cluster.adminPort(1))
        let adminHalf = try RawSocket(port: cluster.adminPort(1))
        adminHalf.write(Array("GET /health HTTP/1.1\r\nHost: x\r\n".utf8))
        let sockets = [
            ("client, silent", clientSilent), ("client, half a handshake", clientHalf), ("peer, silent", peerSilent),
            ("peer, half a handshake", peerHalf), ("admin, silent", adminSilent), ("admin, half a request", adminHalf),
        ]
        let started = ContinuousClock.now
        for (name, socket) in sockets {
            let left = 20 - (ContinuousClock.now - started).components.seconds
            #expect(socket.waitForClose(seconds: Double(max(left, 0))) != nil, "\(name): still open after 20 s")
        }
        #expect(cluster.nodeLog(1).contains("reason=timeout"), "the timeouts are logged")
    }

    @Test(
        "With 64 idle sockets held on every peer port, a rolling restart of two nodes elects a leader and serves",
        arguments: [false, true])
    func idleSocketsOnPeerPortsDoNotBlockElections(withSecret: Bool) async throws {
        let secretFile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "padlock-secret-\(UUID().uuidString)")
        try Data((0..<32).map { UInt8($0 &* 5 &+ 1) }).write(to: secretFile)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secretFile.path)
        defer { try? FileManager.default.removeItem(at: secretFile) }
        let cluster = try LocalCluster(
            settings: withSecret
                ? "[security]\ncluster-secret-file = \"\(secretFile.path)\"\n" : "[security]\ninsecure-peers = true\n")
        defer { cluster.stop() }
        let client = try await cluster.client()
        defer { Task { await client.close() } }
        let leader = try #require(await cluster.leader(using: client))
        let flood = SocketFlood(ports: (1...3).map(cluster.peerPort), perPort: 64)
        flood.start()
        defer { flood.stop() }
        try await Task.sleep(for: .seconds(1))
        // A follower, then the leader: every link to a restarted node is dialed again through the flood, and
        // the leader's restart needs an election.
        for node in [leader == 1 ? 2 : 1, leader] {
            cluster.signal(node, SIGTERM)
            #expect(cluster.waitForExit(node, timeout: 20), "node \(node) stops")
            try cluster.restart(node)
            let back = await waitUntil(seconds: 60) {
                ((try? await client.status()) ?? []).contains { Int($0.node.rawValue) == node }
            }
            #expect(back, "node \(node) answers again")
        }
        let elected = await waitUntil(seconds: 60) { await cluster.leader(using: client) != nil }
        #expect(elected, "a leader is elected while strangers hold the peer ports")
        let lock = try await client.acquire("acme/after-flood")
        #expect(lock.fence.rawValue > 0)
        try await lock.release()
        #expect(flood.opened > 3 * 64, "the flood kept its sockets open (reopening those the nodes closed)")
        let metrics = try adminGet(cluster.adminPort(3), "/metrics")
        #expect(metrics.contains("padlock_connections_shed_total{reason=\"pending"), "\(metrics.suffix(2_000))")
    }

    @Test("A flood of bad handshakes writes a bounded number of log lines, each naming the source address")
    func badHandshakeFloodIsRateLimited() async throws {
        let cluster = try LocalCluster()
        defer { cluster.stop() }
        let before = refusalLines(cluster.nodeLog(1)).count
        for index in 0..<1_500 {
            let socket = try RawSocket(port: index.isMultiple(of: 2) ? cluster.clientPort(1) : cluster.peerPort(1))
            socket.writeFrame([0xFF, 0x01, 0x02])
            _ = socket.waitForClose(seconds: 5)
        }
        let summarized = await waitUntil(seconds: 30) {
            cluster.nodeLog(1).contains("handshakes from 1 address in the last")
        }
        #expect(summarized, "a summary line counts what was not logged")
        let lines = refusalLines(cluster.nodeLog(1)).dropFirst(before)
        #expect(lines.count <= 20, "\(lines.count) refusal lines for 1,500 bad handshakes")
        #expect(lines.allSatisfy { $0.contains("source=127.0.0.1") }, "\(lines.prefix(3))")
        let metrics = try adminGet(cluster.adminPort(1), "/metrics")
        #expect(metrics.contains("padlock_handshakes_refused_total{port=\"client\",reason=\"garbage\"} 750"))
        #expect(metrics.contains("padlock_handshakes_refused_total{port=\"peer\",reason=\"garbage\"} 750"))
    }

    @Test("Short of descriptors, a node sheds idle strangers, logs it, and still serves a real client")
    func descriptorShortageShedsStrangers() async throws {
        let cluster = try LocalCluster()
        defer { cluster.stop() }
        cluster.signal(1, SIGTERM)
        #expect(cluster.waitForExit(1, timeout: 20))
        let starts = cluster.nodeLog(1).components(separatedBy: "padlockd serving").count
        try cluster.restart(1, descriptorLimit: 256)
        let serving = await waitUntil(seconds: 30) {
            cluster.nodeLog(1).components(separatedBy: "padlockd serving").count > starts
        }
        try #require(serving, "node 1 restarted under ulimit -n 256: \(cluster.nodeLog(1).suffix(2_000))")
        var idle: [RawSocket] = []
        for _ in 0..<400 { idle.append(try RawSocket(port: cluster.clientPort(1))) }
        // A real client on node 1 gets in while the strangers are still connected.
        let handshake = Handshake(role: .client, cluster: ClusterID(0), node: NodeID(0)).encoded()
        var accepted = false
        for _ in 0..<20 where !accepted {
            let real = try RawSocket(port: cluster.clientPort(1))
            real.writeFrame(handshake)
            if let frame = real.readFrame(), case .accepted = try HandshakeAnswer(decoding: frame) {
                real.writeFrame(ClientRequest(correlation: CorrelationID(rawValue: 1), operation: .status).encoded())
                accepted = real.readFrame().flatMap { try? ClientResponse(decoding: $0) } != nil
            }
        }
        #expect(accepted, "node 1 serves a client while 400 idle sockets are open")
        let log = cluster.nodeLog(1)
        #expect(log.contains("soft=256"), "the limit is logged at start")
        #expect(log.contains("to make room (descriptors limit)"), "the shedding is logged")
        let closedAll = await waitUntil(seconds: 40) { idle.allSatisfy(\.isClosedNow) }
        #expect(closedAll, "the idle sockets are closed by the handshake timeout or shed")
        let client = try await cluster.client()
        defer { Task { await client.close() } }
        let lock = try await client.acquire("acme/after-shortage")
        try await lock.release()
        let metrics = try adminGet(cluster.adminPort(1), "/metrics")
        #expect(metrics.contains("padlock_file_descriptor_limit 256.0\n"), "\(metrics.suffix(1_500))")
    }

    @Test("/health answers 200 while 200 slow connections hold the admin port")
    func healthDuringSlowAdminFlood() async throws {
        let cluster = try LocalCluster()
        defer { cluster.stop() }
        let client = try await cluster.client()
        defer { Task { await client.close() } }
        #expect(await waitUntil(seconds: 30) { await cluster.leader(using: client) != nil })
        var slow: [RawSocket] = []
        for _ in 0..<200 {
            let socket = try RawSocket(port: cluster.adminPort(1))
            socket.write(Array("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: a".utf8))
            slow.append(socket)
        }
        let health = try adminGet(cluster.adminPort(1), "/health")
        #expect(health.hasPrefix("HTTP/1.1 200"), "\(health)")
        #expect(health.contains("\"status\":\"ok\""))
        let metrics = try adminGet(cluster.adminPort(1), "/metrics")
        #expect(!metrics.contains("padlock_admin_connections_shed_total 0"), "the slow connections made room")
    }

    @Test("A client connection without sessions is closed when idle; one whose session lives is kept")
    func idleClientConnections() async throws {
        let cluster = try LocalCluster(settings: "[connections]\nclient-idle-timeout = \"2s\"\n")
        defer { cluster.stop() }
        let client = try await cluster.client()
        defer { Task { await client.close() } }
        let leader = try #require(await cluster.leader(using: client))
        let handshake = Handshake(role: .client, cluster: ClusterID(0), node: NodeID(0)).encoded()
        let idle = try RawSocket(port: cluster.clientPort(leader))
        idle.writeFrame(handshake)
        _ = idle.readFrame()
        let holding = try RawSocket(port: cluster.clientPort(leader))
        holding.writeFrame(handshake)
        _ = holding.readFrame()
        let open = ClientOperation.openSession(owner: "idle-test", nonce: 7, ttlMilliseconds: 60_000)
        holding.writeFrame(ClientRequest(correlation: CorrelationID(rawValue: 1), operation: open).encoded())
        let answer = try holding.readFrame().map { try ClientResponse(decoding: $0) }
        guard case .success(.sessionOpened)? = answer?.outcome else {
            Issue.record("openSession was answered \(String(describing: answer))")
            return
        }
        let closedAfter = idle.waitForClose(seconds: 20)
        #expect(closedAfter != nil, "the idle connection without a session is closed")
        #expect(holding.waitForClose(seconds: 6) == nil, "the connection whose session lives stays open")
        // The client library, idle all this while, opens what the nodes closed and goes on working.
        let lock = try await client.acquire("acme/after-idle")
        try await lock.release()
        let metrics = try adminGet(cluster.adminPort(leader), "/metrics")
        #expect(!metrics.contains("padlock_idle_client_connections_closed_total 0"), "\(metrics.suffix(1_500))")
    }
}

/// The refusal lines of a node's log.
private func refusalLines(_ log: String) -> [Substring] {
    log.split(separator: "\n").filter {
        $0.contains("refusing a client connection") || $0.contains("refusing a peer connection")
    }
}

/// `GET path` on an admin port; the response's text.
func adminGet(_ port: Int, _ path: String) throws -> String {
    let socket = try RawSocket(port: port)
    socket.write(Array("GET \(path) HTTP/1.1\r\nHost: padlock\r\nConnection: close\r\n\r\n".utf8))
    return String(decoding: socket.readToEnd(), as: UTF8.self)
}

/// Keeps `perPort` idle TCP connections open to each port, reopening those the other side closes, from a
/// thread of its own until `stop()`.
final class SocketFlood: @unchecked Sendable {
    private let ports: [Int]
    private let perPort: Int
    private let lock = NSLock()
    private var running = true
    private var thread: Thread?
    private var openedCount = 0

    init(ports: [Int], perPort: Int) {
        self.ports = ports
        self.perPort = perPort
    }

    /// Connections opened so far.
    var opened: Int { lock.withLock { openedCount } }

    func start() {
        let thread = Thread { [self] in run() }
        self.thread = thread
        thread.start()
    }

    func stop() {
        lock.withLock { running = false }
        while thread?.isFinished == false { usleep(10_000) }
    }

    private func run() {
        var held: [Int: [RawSocket]] = [:]
        while lock.withLock({ running }) {
            for port in ports {
                var sockets = (held[port] ?? []).filter { !$0.isClosedNow }
                while sockets.count < perPort, let socket = try? RawSocket(port: port) {
                    sockets.append(socket)
                    lock.withLock { openedCount += 1 }
                }
                held[port] = sockets
            }
            usleep(200_000)
        }
    }
}

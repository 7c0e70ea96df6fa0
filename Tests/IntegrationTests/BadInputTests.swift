import Foundation
import PadlockClient
import PadlockConfig
import PadlockTypes
import Testing
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// Bad input never crashes a node: each is refused with a reason, and the node keeps serving.
@Suite(.serialized) struct BadInputTests {
    /// Whether node 1 still answers a client.
    private func stillServes(_ cluster: LocalCluster) async throws -> Bool {
        let client = try await cluster.client(owner: "prober@it")
        defer { Task { await client.close() } }
        let lock = try await client.acquire("probe/\(UUID().uuidString.prefix(8))")
        try await lock.release()
        return true
    }

    @Test("Garbage, a peer handshake, an oversized frame and an undecodable request on the client port are refused")
    func clientPortRefusesBadInput() async throws {
        let cluster = try LocalCluster()
        defer { cluster.stop() }
        let garbage = try RawSocket(port: cluster.clientPort(1))
        garbage.write(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(garbage.isClosedByPeer(), "garbage closes the connection")

        let peerHere = try RawSocket(port: cluster.clientPort(1))
        peerHere.writeFrame(Handshake(role: .peer, cluster: ClusterID(0), node: NodeID(2)).encoded())
        let answer = try peerHere.readFrame().map { try HandshakeAnswer(decoding: $0) }
        if case .refused(let reason, _)? = answer {
            #expect(reason == .wrongRole)
        } else {
            Issue.record("a peer handshake on the client port was answered \(String(describing: answer))")
        }

        let huge = try RawSocket(port: cluster.clientPort(1))
        huge.writeFrame(Handshake(role: .client, cluster: ClusterID(0), node: NodeID(0)).encoded())
        _ = huge.readFrame()
        huge.write([0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3])
        #expect(huge.isClosedByPeer(), "a 4 GiB length prefix closes the connection")

        let undecodable = try RawSocket(port: cluster.clientPort(1))
        undecodable.writeFrame(Handshake(role: .client, cluster: ClusterID(0), node: NodeID(0)).encoded())
        _ = undecodable.readFrame()
        undecodable.writeFrame([3, 0xFF, 0xFF, 0xFF])
        #expect(undecodable.isClosedByPeer(), "an undecodable request closes the connection")

        #expect(try await stillServes(cluster))
        #expect(cluster.nodeLog(1).contains("closing a client connection"), "the reason is logged")
    }

    @Test("A client handshake, an unknown node and another cluster on the peer port are refused")
    func peerPortRefusesStrangers() async throws {
        let cluster = try LocalCluster()
        defer { cluster.stop() }
        let clusterID = try #require(UInt64(cluster.log("cluster-id").trimmingCharacters(in: .whitespacesAndNewlines)))
        let cases: [(Handshake, RefusalReason)] = [
            (Handshake(role: .client, cluster: ClusterID(clusterID), node: NodeID(0)), .wrongRole),
            (Handshake(role: .peer, cluster: ClusterID(clusterID), node: NodeID(9)), .notMember),
            (Handshake(role: .peer, cluster: ClusterID(clusterID &+ 1), node: NodeID(2)), .wrongCluster),
        ]
        for (handshake, expected) in cases {
            let socket = try RawSocket(port: cluster.peerPort(1))
            socket.writeFrame(handshake.encoded())
            let answer = try socket.readFrame().map { try HandshakeAnswer(decoding: $0) }
            if case .refused(let reason, _)? = answer {
                #expect(reason == expected, "\(handshake.role) node \(handshake.node)")
            } else {
                Issue.record("\(handshake) was answered \(String(describing: answer))")
            }
        }
        let garbage = try RawSocket(port: cluster.peerPort(1))
        garbage.writeFrame([16, 0xFF])
        #expect(garbage.isClosedByPeer())
        #expect(try await stillServes(cluster))
    }

    @Test("An invalid configuration is refused with the field named and exit status 2")
    func invalidConfiguration() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "padlock-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bad.toml")
        try """
        cluster-id = 1
        node-id = 1
        data-dir = "\(directory.path)/data"
        client-listen = "127.0.0.1:99999"
        peer-listen = "127.0.0.1:7501"
        [[members]]
        id = 1
        peer = "127.0.0.1:7501"
        client = "127.0.0.1:7401"
        """.write(to: file, atomically: true, encoding: .utf8)
        let result = try await runCommand(Binaries.padlockd, ["--config", file.path])
        #expect(result.status == 2)
        #expect(result.errors.contains("client-listen"), "the message names the field: \(result.errors)")
    }

    @Test("A node pointed at another cluster's data directory refuses to start")
    func foreignDataDirectory() async throws {
        let cluster = try LocalCluster()
        defer { cluster.stop() }
        let configuration = try String(
            contentsOf: cluster.nodeDirectory(2).appendingPathComponent("padlockd.toml"), encoding: .utf8)
        let stray = cluster.directory.appendingPathComponent("stray.toml")
        // Node 2's own configuration, but for node 1's data directory and another cluster id.
        let rewritten =
            configuration
            .replacingOccurrences(of: "node-2/data", with: "node-1/data")
            .replacingOccurrences(of: "cluster-id = ", with: "cluster-id = 1")
        try rewritten.write(to: stray, atomically: true, encoding: .utf8)
        let result = try await runCommand(
            Binaries.padlockd,
            [
                "--config", stray.path, "--client-listen", "127.0.0.1:\(cluster.basePort + 290)",
                "--peer-listen", "127.0.0.1:\(cluster.basePort + 291)", "--admin-listen",
                "127.0.0.1:\(cluster.basePort + 292)",
            ])
        #expect(result.status == 2, "\(result.errors)")
        #expect(result.errors.contains("belongs to"))
    }
}

/// Found when padlockd processes started by a test runner never stopped: the parent's signal mask (blocking
/// SIGTERM) survives fork and exec, and the node's loop thread inherited it.
@Suite(.serialized) struct SignalMaskTests {
    @Test("A node started with SIGTERM blocked still shuts down on SIGTERM")
    func inheritedMaskDoesNotBlockShutdown() throws {
        let base = Ports.base()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "padlock-mask-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("node.toml")
        try """
        cluster-id = 5
        node-id = 1
        data-dir = "\(directory.path)/data"
        client-listen = "127.0.0.1:\(base)"
        peer-listen = "127.0.0.1:\(base + 100)"
        [[members]]
        id = 1
        peer = "127.0.0.1:\(base + 100)"
        client = "127.0.0.1:\(base)"
        """.write(to: file, atomically: true, encoding: .utf8)
        let log = directory.appendingPathComponent("node.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = Binaries.padlockd
        process.arguments = ["--config", file.path, "--bootstrap"]
        process.standardError = try FileHandle(forWritingTo: log)
        var blocked = sigset_t()
        var previous = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        try process.run()
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        let started = Date()
        while !((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("padlockd serving"),
            Date().timeIntervalSince(started) < 20
        {
            usleep(20_000)
        }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "padlockd must exit 0 on SIGTERM")
    }
}

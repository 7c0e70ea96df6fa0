import Foundation
import PadlockClient
import PadlockSecurity
import PadlockTypes
import PeerWire
import Testing
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// Client tokens, roles and namespaces, SIGHUP reloads and peer authentication, on real `padlockd` processes.
@Suite(.serialized) struct SecurityTests {
    /// One configured client of the test clusters, with its token.
    struct TestClient {
        var name: String
        var role: String
        var namespaces: [String]
        var sessions: Int? = nil
        var token: String { "token-of-\(name)-0123456789" }
    }

    static let clients = [
        TestClient(name: "ops", role: "admin", namespaces: ["*"]),
        TestClient(name: "acme-app", role: "app", namespaces: ["acme"]),
        TestClient(name: "globex-app", role: "app", namespaces: ["globex"]),
        TestClient(name: "acme-reader", role: "reader", namespaces: ["acme"]),
        TestClient(name: "initech-app", role: "app", namespaces: ["initech"], sessions: 2),
    ]

    /// The marker after which a node's configuration holds the security settings, so a test can rewrite them.
    static let marker = "# security settings (rewritten by SecurityTests)"

    static func settings(disabled: Set<String> = [], extra: String = "") -> String {
        var text = marker + "\n[lock-delay]\ndefault = \"0s\"\n" + extra + "\n"
        for client in clients {
            let namespaces = client.namespaces.map { "\"\($0)\"" }.joined(separator: ", ")
            text += """

                [[clients]]
                name = "\(client.name)"
                token-sha256 = "\(TokenHash.hex(of: client.token))"
                role = "\(client.role)"
                namespaces = [\(namespaces)]
                enabled = \(!disabled.contains(client.name))
                \(client.sessions.map { "sessions = \($0)" } ?? "")

                """
        }
        return text
    }

    static func token(_ name: String) -> String { clients.first { $0.name == name }!.token }

    static func client(
        _ cluster: LocalCluster, _ name: String?, token: String? = nil, owner: String = "alice@it"
    )
        async throws(PadlockError) -> PadlockClient
    {
        var configuration = PadlockClient.Configuration()
        configuration.sessionTTL = .seconds(10)
        configuration.callDeadline = .seconds(5)
        let credentials = Array((token ?? name.map(Self.token) ?? "").utf8)
        return try await PadlockClient(
            endpoints: cluster.endpoints, owner: owner, credentials: credentials, configuration: configuration)
    }

    /// The error `body` throws, or nil when it succeeds.
    static func failure(_ body: () async throws -> Void) async -> PadlockError? {
        do {
            try await body()
            return nil
        } catch let error as PadlockError {
            return error
        } catch {
            return PadlockError(.unavailable, "not a PadlockError: \(error)")
        }
    }

    @Test("The PadlockClient library gets permissionDenied with the server's reason, at the handshake and per request")
    func clientLibraryGetsPermissionDenied() async throws {
        let cluster = try LocalCluster(settings: Self.settings(), token: Self.token("ops"))
        defer { cluster.stop() }
        let missing = await Self.failure { _ = try await Self.client(cluster, nil) }
        #expect(missing?.code == .permissionDenied)
        #expect(missing?.message.contains("requires a client token") == true, "\(String(describing: missing))")
        let wrong = await Self.failure { _ = try await Self.client(cluster, nil, token: "not-a-token") }
        #expect(wrong?.code == .permissionDenied)
        #expect(wrong?.message.contains("not one this cluster knows") == true, "\(String(describing: wrong))")

        let reader = try await Self.client(cluster, "acme-reader")
        defer { Task { await reader.close() } }
        let denied = await Self.failure { _ = try await reader.acquire("acme/contacts/1") }
        #expect(denied?.code == .permissionDenied)
        #expect(denied?.message.contains("role reader") == true, "\(String(describing: denied))")
        #expect(try await reader.inspect("acme/contacts/1").holders.isEmpty, "a reader may inspect its namespace")

        await #expect(try cluster.cli(["status"]).status == 6, "the CLI without a token exits with permission denied")
        await #expect(try cluster.cli(["status", "--token", Self.token("ops")]).status == 0)
        let viaEnvironment = try await runCommand(
            Binaries.padlock, ["inspect", "acme/contacts/1"],
            environment: ["PADLOCK_ENDPOINTS": cluster.endpointList, "PADLOCK_TOKEN": Self.token("acme-reader")])
        #expect(viaEnvironment.status == 0, "PADLOCK_TOKEN is used: \(viaEnvironment.errors)")
    }

    @Test("Tenants see only their namespaces, apps cannot force-unlock, and admin actions are audited with the client")
    func rolesAndNamespaces() async throws {
        let cluster = try LocalCluster(settings: Self.settings(), token: Self.token("ops"))
        defer { cluster.stop() }
        let acme = try await Self.client(cluster, "acme-app", owner: "alice@acme-frontend")
        let globex = try await Self.client(cluster, "globex-app", owner: "bob@globex-frontend")
        let ops = try await Self.client(cluster, "ops", owner: "carol@ops")
        defer {
            Task {
                await acme.close(); await globex.close(); await ops.close()
            }
        }
        let lock = try await acme.acquire("acme/contacts/42", note: "editing phone")
        _ = try await globex.acquire("globex/contacts/7")

        for (what, body) in [
            ("lock", { () async throws in _ = try await globex.acquire("acme/contacts/42") }),
            ("inspect", { () async throws in _ = try await globex.inspect("acme/contacts/42") }),
            ("list", { () async throws in _ = try await globex.list(prefix: "acme") }),
            ("list all", { () async throws in _ = try await globex.list() }),
            ("check a fence", { () async throws in _ = try await globex.checkFence("acme/contacts/42", lock.fence) }),
        ] as [(String, () async throws -> Void)] {
            let error = await Self.failure(body)
            #expect(
                error?.code == .permissionDenied, "globex may not \(what) acme's keys: \(String(describing: error))")
        }
        let listed = try await acme.list(prefix: "acme")
        #expect(listed.map(\.key.string) == ["acme/contacts/42"], "acme lists its own keys only")

        let appUnlock = await Self.failure { _ = try await acme.forceUnlock("acme/contacts/42", reason: "mine") }
        #expect(appUnlock?.code == .permissionDenied)
        #expect(appUnlock?.message.contains("needs role admin") == true, "\(String(describing: appUnlock))")
        let appAudit = await Self.failure { _ = try await acme.audit() }
        #expect(appAudit?.code == .permissionDenied)

        let released = try await ops.forceUnlock("acme/contacts/42", reason: "alice went home")
        #expect(released.map(\.owner) == ["alice@acme-frontend"])
        let page = try await ops.audit()
        let record = try #require(page.records.last { $0.action == .forceUnlock })
        #expect(record.identity == "client ops: carol@ops", "the audit trail names the client and the owner")
        #expect(record.reason == "alice went home")
    }

    @Test("SIGHUP disables a client: its connections are refused with 'client disabled' and its sessions revoked")
    func reloadDisablesClient() async throws {
        let cluster = try LocalCluster(settings: Self.settings(), token: Self.token("ops"))
        defer { cluster.stop() }
        let acme = try await Self.client(cluster, "acme-app", owner: "alice@acme-frontend")
        let ops = try await Self.client(cluster, "ops", owner: "carol@ops")
        defer {
            Task {
                await acme.close(); await ops.close()
            }
        }
        _ = try await acme.acquire("acme/contacts/1")

        // A broken file is refused on reload and the old list stays in force.
        try rewrite(cluster, Self.settings(extra: "[security]\nno-such-field = 1\n"))
        for node in 1...cluster.nodeCount { cluster.signal(node, SIGHUP) }
        try await Task.sleep(for: .milliseconds(500))
        _ = try await acme.inspect("acme/contacts/1")
        #expect(cluster.nodeLog(1).contains("configuration refused; keeping the client list"))

        try rewrite(cluster, Self.settings(disabled: ["acme-app"]))
        for node in 1...cluster.nodeCount { cluster.signal(node, SIGHUP) }
        var revoked = false
        for _ in 0..<50 where !revoked {
            try await Task.sleep(for: .milliseconds(100))
            revoked = try await ops.inspect("acme/contacts/1").holders.isEmpty
        }
        #expect(revoked, "the disabled client's lock was released by the revoke")
        let denied = await Self.failure { _ = try await acme.inspect("acme/contacts/1") }
        #expect(denied?.code == .permissionDenied)
        #expect(denied?.message.contains("client disabled") == true, "\(String(describing: denied))")
        let reconnect = await Self.failure { _ = try await Self.client(cluster, "acme-app") }
        #expect(reconnect?.message.contains("client disabled") == true, "\(String(describing: reconnect))")
        let record = try #require(try await ops.audit().records.last { $0.action == .revokeSession })
        #expect(record.reason.contains("client acme-app disabled"), "the audit trail says why: \(record.reason)")
    }

    @Test("A namespace at its quota is refused with 'quota exceeded' (unavailable) while other namespaces are not")
    func namespaceQuotaRefusesAcquires() async throws {
        let cluster = try LocalCluster(settings: "[quotas.namespaces.acme]\nheld-locks = 1\n")
        defer { cluster.stop() }
        var configuration = PadlockClient.Configuration()
        configuration.callDeadline = .seconds(1)
        let client = try await PadlockClient(
            endpoints: cluster.endpoints, owner: "alice@it", configuration: configuration)
        defer { Task { await client.close() } }
        // The leader proposes its configured quotas once its term's first entry is applied.
        var first: Lock?
        for _ in 0..<20 where first == nil { first = try? await client.acquire("acme/contacts/1") }
        #expect(first != nil)
        var refused: PadlockError?
        for attempt in 0..<20 where refused == nil {
            let outcome = await Self.failure { _ = try await client.acquire("acme/contacts/\(attempt + 2)") }
            if outcome?.message.contains("quota exceeded") == true { refused = outcome }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(refused?.code == .unavailable, "\(String(describing: refused))")
        let other = try await client.acquire("globex/contacts/1")
        try await other.release()
    }

    @Test("A client over its session quota is refused with 'quota exceeded'; closing a session frees a place")
    func sessionQuotaPerClient() async throws {
        let cluster = try LocalCluster(settings: Self.settings(), token: Self.token("ops"))
        defer { cluster.stop() }
        var open: [PadlockClient] = []
        for index in 0..<2 {
            let client = try await Self.client(cluster, "initech-app", owner: "rep\(index)@initech")
            _ = try await client.acquire("initech/accounts/\(index)")
            open.append(client)
        }
        let third = try await Self.client(cluster, "initech-app", owner: "rep2@initech")
        let refused = await Self.failure { _ = try await third.acquire("initech/accounts/2") }
        #expect(refused?.code == .unavailable, "\(String(describing: refused))")
        #expect(refused?.message.contains("quota exceeded") == true, "\(String(describing: refused))")
        let other = try await Self.client(cluster, "acme-app")
        _ = try await other.acquire("acme/contacts/quota", note: "another client has its own quota")
        await open.removeFirst().close()
        var admitted = false
        for _ in 0..<30 where !admitted {
            admitted = (try? await third.acquire("initech/accounts/2")) != nil
            if !admitted { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(admitted, "a closed session frees a place in the quota")
        for client in open + [third, other] { await client.close() }
    }

    @Test("After the leader dies, the new leader still refuses a client acting for another client's session")
    func sessionOwnershipSurvivesALeaderChange() async throws {
        let cluster = try LocalCluster(settings: Self.settings(), token: Self.token("ops"))
        defer { cluster.stop() }
        let acme = try await Self.client(cluster, "acme-app", owner: "alice@acme")
        let ops = try await Self.client(cluster, "ops", owner: "carol@ops")
        defer {
            Task {
                await acme.close(); await ops.close()
            }
        }
        let lock = try await acme.acquire("acme/contacts/owned")
        let session = try #require(try await ops.inspect("acme/contacts/owned").holders.first?.holder.session)
        _ = lock

        let first = try #require(await cluster.leader(using: ops))
        cluster.signal(first, SIGKILL)
        var leader: Int?
        for _ in 0..<100 {
            if let found = await cluster.leader(using: ops), found != first {
                leader = found
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let newLeader = try #require(leader, "a new leader was elected")

        // globex-app presents a valid token, then asks the new leader to renew acme-app's session.
        let socket = try RawSocket(port: cluster.clientPort(newLeader))
        socket.writeFrame(
            Handshake(
                role: .client, cluster: ClusterID(0), node: NodeID(0), credentials: Array(Self.token("globex-app").utf8)
            )
            .encoded())
        let answer = try #require(socket.readFrame())
        guard case .accepted = try HandshakeAnswer(decoding: answer) else {
            Issue.record("globex-app was not admitted")
            return
        }
        var response: ClientResponse?
        for attempt in 0..<20 {
            socket.writeFrame(
                ClientRequest(correlation: CorrelationID(UInt64(attempt + 1)), operation: .renewSession(session))
                    .encoded())
            let reply = try ClientResponse(decoding: try #require(socket.readFrame()))
            // Asked while the new leader catches up, the node says to retry.
            if case .failure(.overloaded) = reply.outcome {
                try await Task.sleep(for: .milliseconds(100))
                continue
            }
            response = reply
            break
        }
        guard case .failure(.permissionDenied(let reason))? = response?.outcome else {
            Issue.record("globex-app acted for acme-app's session: \(String(describing: response))")
            return
        }
        #expect(reason.contains("belongs to another client"), "\(reason)")
        #expect(try await acme.inspect("acme/contacts/owned").holders.first?.holder.session == session)
    }

    @Test("A batch renewal naming another client's session refuses that session only and renews the caller's")
    func batchRenewalRefusesForeignSessionsOnly() async throws {
        let cluster = try LocalCluster(settings: Self.settings(), token: Self.token("ops"))
        defer { cluster.stop() }
        let acme = try await Self.client(cluster, "acme-app", owner: "alice@acme")
        let globex = try await Self.client(cluster, "globex-app", owner: "bob@globex-frontend")
        let ops = try await Self.client(cluster, "ops", owner: "carol@ops")
        defer {
            Task {
                await acme.close(); await globex.close(); await ops.close()
            }
        }
        let foreign = try await acme.acquire("acme/contacts/batch")
        let own = try await globex.acquire("globex/contacts/batch")
        let leader = try #require(await cluster.leader(using: ops))

        let socket = try RawSocket(port: cluster.clientPort(leader))
        socket.writeFrame(
            Handshake(
                role: .client, cluster: ClusterID(0), node: NodeID(0), credentials: Array(Self.token("globex-app").utf8)
            )
            .encoded())
        guard case .accepted = try HandshakeAnswer(decoding: try #require(socket.readFrame())) else {
            Issue.record("globex-app was not admitted")
            return
        }
        let batch = [own.holder.session, foreign.holder.session]
        var response: ClientResponse?
        for attempt in 0..<20 {
            socket.writeFrame(
                ClientRequest(correlation: CorrelationID(UInt64(attempt + 1)), operation: .renewSessions(batch))
                    .encoded())
            let reply = try ClientResponse(decoding: try #require(socket.readFrame()))
            if case .failure = reply.outcome {
                try await Task.sleep(for: .milliseconds(100))
                continue
            }
            response = reply
            break
        }
        guard case .success(.sessionsRenewed(let entries))? = response?.outcome else {
            Issue.record("expected a per-session answer, got \(String(describing: response))")
            return
        }
        #expect(entries.map(\.session) == batch)
        #expect(
            entries.first?.outcome.map(\.session) == .success(own.holder.session), "the caller's own session is renewed"
        )
        guard case .failure(.permissionDenied(let reason))? = entries.last?.outcome else {
            Issue.record("globex-app renewed acme-app's session: \(entries)")
            return
        }
        #expect(reason.contains("belongs to another client"), "\(reason)")
        #expect(foreign.state == .safe)
    }

    /// Replaces the security settings in every node's configuration file.
    private func rewrite(_ cluster: LocalCluster, _ settings: String) throws {
        for node in 1...cluster.nodeCount {
            let url = cluster.nodeDirectory(node).appendingPathComponent("padlockd.toml")
            let text = try String(contentsOf: url, encoding: .utf8)
            let head = try #require(text.range(of: Self.marker)).lowerBound
            try (String(text[..<head]) + settings).write(to: url, atomically: true, encoding: .utf8)
        }
    }

    @Test("A forged peer (no secret, wrong secret, replayed proof) is refused and the cluster keeps serving")
    func forgedPeersAreRefused() async throws {
        let secretFile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "padlock-secret-\(UUID().uuidString)")
        let secret = Array((0..<32).map { UInt8($0 &* 7 &+ 3) })
        try Data(secret).write(to: secretFile)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secretFile.path)
        defer { try? FileManager.default.removeItem(at: secretFile) }
        let cluster = try LocalCluster(settings: "[security]\ncluster-secret-file = \"\(secretFile.path)\"\n")
        defer { cluster.stop() }
        let clusterID = try #require(UInt64(cluster.log("cluster-id").trimmingCharacters(in: .whitespacesAndNewlines)))
        let port = cluster.peerPort(1)

        let noSecret = try RawSocket(port: port)
        noSecret.writeFrame(Handshake(role: .peer, cluster: ClusterID(clusterID), node: NodeID(2)).encoded())
        #expect(refusal(noSecret.readFrame()) == .badCredentials, "a peer without a nonce is refused")

        let wrong = PeerProof(secret: Array(repeating: 0x55, count: 32))
        #expect(try exchange(port, clusterID, prover: wrong, nonce: PeerProof.nonce()).answer == .badCredentials)

        let right = PeerProof(secret: secret)
        let nonce = PeerProof.nonce()
        let first = try exchange(port, clusterID, prover: right, nonce: nonce)
        #expect(first.listenerProved, "node 1 proved the secret to us too")
        #expect(first.answer == nil, "the right proof is accepted")
        let replayed = try exchange(port, clusterID, prover: right, nonce: nonce, replaying: first.proof)
        #expect(replayed.answer == .badCredentials, "a replayed proof fails: node 1's nonce is new")

        let client = try await cluster.client()
        defer { Task { await client.close() } }
        #expect(await cluster.leader(using: client) != nil, "the cluster keeps a leader")
        let lock = try await client.acquire("acme/after-forgery")
        try await lock.release()
        #expect(cluster.nodeLog(1).contains("did not prove the cluster secret"))
    }

    /// One peer handshake as node 2 on `port`: the refusal reason (nil when accepted), whether the listener's
    /// proof checked out under `prover`, and the proof sent (or `replaying`'s).
    private func exchange(
        _ port: Int, _ clusterID: UInt64, prover: PeerProof, nonce: [UInt8], replaying: [UInt8]? = nil
    ) throws -> (answer: RefusalReason?, listenerProved: Bool, proof: [UInt8]) {
        let socket = try RawSocket(port: port)
        socket.writeFrame(
            Handshake(role: .peer, cluster: ClusterID(clusterID), node: NodeID(2), credentials: nonce).encoded())
        let frame = try #require(socket.readFrame())
        guard case .challenge(let challenge) = try PeerWire.decode(frame) else {
            throw ClusterError("expected a peer challenge, got \(frame.prefix(8))")
        }
        let proved = prover.verify(
            challenge.proof, side: .listener, cluster: clusterID, dialer: 2, listener: 1, dialerNonce: nonce,
            listenerNonce: challenge.nonce)
        let proof =
            replaying
            ?? prover.proof(
                side: .dialer, cluster: clusterID, dialer: 2, listener: 1, dialerNonce: nonce,
                listenerNonce: challenge.nonce)
        socket.writeFrame(PeerChallengeResponse(proof: proof).encoded())
        let answer = try #require(socket.readFrame())
        switch try HandshakeAnswer(decoding: answer) {
        case .accepted: return (nil, proved, proof)
        case .refused(let reason, _): return (reason, proved, proof)
        }
    }

    private func refusal(_ frame: [UInt8]?) -> RefusalReason? {
        guard let frame, case .refused(let reason, _) = try? HandshakeAnswer(decoding: frame) else { return nil }
        return reason
    }
}

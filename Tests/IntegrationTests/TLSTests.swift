import Foundation
import PadlockClient
import Testing

/// TLS on real `padlockd` processes: the client port with required client certificates, and peer links
/// with certificates verified both ways (`docs/security.md`, "TLS").
@Suite(.serialized) struct TLSTests {
    /// A node's `[tls]` section with `identity` as its certificate, trusting `caFile`.
    static func tlsSection(_ identity: TestCertificates.Identity, caFile: String) -> String {
        """
        [tls]
        cert-file = "\(identity.certificateFile)"
        key-file = "\(identity.keyFile)"
        ca-file = "\(caFile)"
        client-certificates = "required"
        peer = true

        """
    }

    /// What `padlock dev` (and the CLI) need to reach a cluster whose client port requires certificates.
    static func cliEnvironment(_ certificates: TestCertificates) -> [String: String] {
        [
            "PADLOCK_TLS_CA": certificates.caFile, "PADLOCK_TLS_CERT": certificates.client.certificateFile,
            "PADLOCK_TLS_KEY": certificates.client.keyFile,
        ]
    }

    static func client(
        _ cluster: LocalCluster, endpoints: [String]? = nil, tls: PadlockClient.TLSConfiguration?
    )
        async throws(PadlockError) -> PadlockClient
    {
        var configuration = PadlockClient.Configuration()
        configuration.sessionTTL = .seconds(10)
        configuration.callDeadline = .seconds(3)
        configuration.tls = tls
        return try await PadlockClient(
            endpoints: endpoints ?? cluster.endpoints, owner: "alice@tls", configuration: configuration)
    }

    /// The error `body` throws, or nil when it succeeds.
    static func failure(_ body: () async throws -> Void) async -> PadlockError? {
        do {
            try await body()
            return nil
        } catch let error as PadlockError {
            return error
        } catch {
            return PadlockError(.cancelled, "not a PadlockError: \(error)")
        }
    }

    @Test("A cluster with TLS on client and peer links elects a leader and serves a client with the right certificates")
    func tlsClusterServesTheRightClient() async throws {
        let certificates = try await TestCertificates.shared.value
        let section = Self.tlsSection(certificates.server, caFile: certificates.caFile)
        let cluster = try LocalCluster(
            settings: "[lock-delay]\ndefault = \"0s\"\n", nodeSettings: [1: section, 2: section, 3: section],
            devEnvironment: Self.cliEnvironment(certificates))
        defer { cluster.stop() }
        let good = PadlockClient.TLSConfiguration(
            caFile: certificates.caFile, certificateFile: certificates.client.certificateFile,
            keyFile: certificates.client.keyFile)
        let client = try await Self.client(cluster, tls: good)
        let leader = await cluster.leader(using: client)
        #expect(leader != nil, "no leader over TLS peer links: \(cluster.nodeLog(1))")
        let lock = try await client.acquire("acme/contacts/42", note: "over TLS")
        #expect(lock.fence.rawValue > 0)
        try await lock.release()
        let again = try await client.acquire("acme/contacts/42")
        #expect(again.fence > lock.fence)
        try await again.release()
        await client.close()
        #expect(cluster.nodeLog(1).contains("tls=clients and peers"), "node 1 did not report TLS")

        let status = try await cluster.cli(["status"], environment: Self.cliEnvironment(certificates))
        #expect(status.status == 0, "padlock status over TLS: \(status.errors)")
        #expect(status.output.contains("leader"))
    }

    @Test("Clients trusting another CA, without a certificate, or without TLS are refused with a reason")
    func wrongClientsAreRefused() async throws {
        let certificates = try await TestCertificates.shared.value
        let section = Self.tlsSection(certificates.server, caFile: certificates.caFile)
        let cluster = try LocalCluster(
            nodeSettings: [1: section, 2: section, 3: section], devEnvironment: Self.cliEnvironment(certificates))
        defer { cluster.stop() }
        let one = [cluster.endpoints[0]]

        let wrongCA = await Self.failure {
            _ = try await Self.client(
                cluster, endpoints: one,
                tls: PadlockClient.TLSConfiguration(
                    caFile: certificates.otherCAFile, certificateFile: certificates.client.certificateFile,
                    keyFile: certificates.client.keyFile))
        }
        #expect(wrongCA?.code == .unavailable, "\(String(describing: wrongCA))")
        #expect(wrongCA?.message.contains("certificate verify failed") == true, "\(String(describing: wrongCA))")

        let noCertificate = await Self.failure {
            _ = try await Self.client(
                cluster, endpoints: one,
                tls: PadlockClient.TLSConfiguration(
                    caFile: certificates.caFile))
        }
        #expect(noCertificate?.code == .unavailable, "\(String(describing: noCertificate))")
        #expect(noCertificate?.message.contains("TLS failed") == true, "\(String(describing: noCertificate))")

        let otherCertificate = await Self.failure {
            _ = try await Self.client(
                cluster, endpoints: one,
                tls: PadlockClient.TLSConfiguration(
                    caFile: certificates.caFile, certificateFile: certificates.otherClient.certificateFile,
                    keyFile: certificates.otherClient.keyFile))
        }
        #expect(otherCertificate?.code == .unavailable, "\(String(describing: otherCertificate))")
        #expect(otherCertificate?.message.contains("TLS failed") == true, "\(String(describing: otherCertificate))")

        let plaintext = await Self.failure { _ = try await Self.client(cluster, endpoints: one, tls: nil) }
        #expect(plaintext?.code == .unavailable, "\(String(describing: plaintext))")
        #expect(
            plaintext?.message.contains("PadlockClient.Configuration.tls") == true,
            "\(String(describing: plaintext))")

        let missingFile = await Self.failure {
            _ = try await Self.client(
                cluster, endpoints: one,
                tls: PadlockClient.TLSConfiguration(
                    caFile: "/nonexistent/ca.pem"))
        }
        #expect(missingFile?.code == .invalidArgument, "\(String(describing: missingFile))")
        #expect(missingFile?.message.contains("/nonexistent/ca.pem") == true, "\(String(describing: missingFile))")

        let cliWithoutTLS = try await cluster.cli(["status", "--timeout", "2s"])
        #expect(
            cliWithoutTLS.status == 4, "padlock status without TLS: \(cliWithoutTLS.status) \(cliWithoutTLS.errors)")
        #expect(cluster.nodeLog(1).contains("TLS failed"), "node 1 did not log the refused handshakes")
    }

    @Test(
        "padlockd refuses TLS files it cannot use with exit code 2, naming the field",
        arguments: ["key of another certificate", "missing CA bundle"])
    func unusableTLSFilesStopPadlockd(_ mistake: String) async throws {
        let certificates = try await TestCertificates.shared.value
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "padlock-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let base = Ports.base()
        let wrongKey = mistake == "key of another certificate"
        let text = """
            cluster-id = 7
            node-id = 1
            data-dir = "\(directory.appendingPathComponent("data").path)"
            client-listen = "127.0.0.1:\(base)"
            peer-listen = "127.0.0.1:\(base + 100)"

            [[members]]
            id = 1
            peer = "127.0.0.1:\(base + 100)"
            client = "127.0.0.1:\(base)"

            [tls]
            cert-file = "\(certificates.server.certificateFile)"
            key-file = "\(wrongKey ? certificates.otherServer.keyFile : certificates.server.keyFile)"
            ca-file = "\(wrongKey ? certificates.caFile : directory.appendingPathComponent("missing.pem").path)"
            peer = true

            """
        let file = directory.appendingPathComponent("padlockd.toml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let result = try await runCommand(Binaries.padlockd, ["--config", file.path], timeout: 30)
        #expect(result.status == 2, "padlockd exited \(result.status): \(result.errors)")
        let field = wrongKey ? "`tls.key-file`" : "`tls.ca-file`"
        #expect(result.errors.contains(field), "\(result.errors)")
        #expect(result.errors.contains(wrongKey ? "does not match the certificate" : "missing.pem"), "\(result.errors)")
    }

    @Test("A node whose peer certificate comes from another CA cannot join; the others keep a leader and serve")
    func nodeWithWrongPeerCertificateCannotJoin() async throws {
        let certificates = try await TestCertificates.shared.value
        let good = Self.tlsSection(certificates.server, caFile: certificates.caFile)
        // Node 3 trusts both CAs, so only the others' verdict on its certificate keeps it out.
        let bundle = certificates.directory + "/both-cas.pem"
        let both =
            try String(contentsOfFile: certificates.caFile, encoding: .utf8)
            + String(contentsOfFile: certificates.otherCAFile, encoding: .utf8)
        try both.write(toFile: bundle, atomically: true, encoding: .utf8)
        let intruder = Self.tlsSection(certificates.otherServer, caFile: bundle)
            .replacingOccurrences(of: "client-certificates = \"required\"", with: "client-certificates = \"none\"")
        let cluster = try LocalCluster(
            settings: "[lock-delay]\ndefault = \"0s\"\n", nodeSettings: [1: good, 2: good, 3: intruder],
            devEnvironment: Self.cliEnvironment(certificates))
        defer { cluster.stop() }
        let tls = PadlockClient.TLSConfiguration(
            caFile: certificates.caFile, certificateFile: certificates.client.certificateFile,
            keyFile: certificates.client.keyFile)
        let client = try await Self.client(cluster, endpoints: Array(cluster.endpoints.prefix(2)), tls: tls)
        let leader = await cluster.leader(using: client)
        #expect(leader == 1 || leader == 2, "leader \(String(describing: leader))")
        let lock = try await client.acquire("acme/contacts/7")
        try await lock.release()
        await client.close()
        // Node 3 trusts both CAs, so its own dials fail only on the listeners' verdict (an alert it logs); the
        // good nodes' dials to node 3 fail on their own check of its certificate.
        let refusedByGoodNodes = cluster.nodeLog(1).contains("TLS failed") || cluster.nodeLog(2).contains("TLS failed")
        #expect(refusedByGoodNodes, "nodes 1 and 2 did not log refusing node 3")
        #expect(cluster.nodeLog(3).contains("TLS failed"), "node 3 did not log its refused links")
        #expect(cluster.nodeLog(1).contains("peer link refused at the TLS handshake"), "node 1 did not name the peer")
    }
}

import Foundation
import PadlockClient
import PadlockConfig
import PadlockSecurity
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The example configurations in `deploy/` are real: with their hosts, ports, directories, secret and token
/// hashes rewritten for loopback, they parse and form a working cluster.
@Suite(.serialized) struct DeployTests {
    /// The token the rewritten files' `[[clients]]` entries accept (an admin and an app entry).
    static let tokens = ["crm-frontend": "deploy-test-app-token", "ops": "deploy-test-admin-token"]

    @Test("Every deploy/*.toml parses, authenticates peers, asks for tokens and does not say there is no TLS")
    func everyDeployFileParses() throws {
        let folder = Binaries.packageRoot.appendingPathComponent("deploy")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".toml") }
        #expect(files.count >= 3, "\(files)")
        for name in files {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            let settings = try PadlockdSettings.parse(toml: text)
            try settings.checkPeerAuthentication()
            #expect(settings.security.clusterSecretFile != nil, "\(name) enables peer authentication")
            #expect(!settings.security.insecurePeers, "\(name)")
            #expect(settings.security.clients.contains { $0.role == .admin }, "\(name) lists an admin client")
            #expect(!text.contains("no TLS yet"), "\(name)")
        }
        let readme = try String(contentsOf: folder.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("head -c 32 /dev/urandom"), "deploy/README.md shows how to make the secret")
        #expect(readme.contains("padlock token new"), "deploy/README.md shows how to make tokens")
    }

    @Test("The deploy/ configurations form a cluster once rewritten for loopback")
    func deployConfigurationsFormACluster() async throws {
        let base = Ports.base()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "padlock-deploy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var processes: [Process] = []
        defer {
            terminate(processes)
            try? FileManager.default.removeItem(at: directory)
        }
        let secret = directory.appendingPathComponent("cluster-secret")
        try Data((0..<32).map { _ in UInt8.random(in: 0...255) }).write(to: secret)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secret.path)
        for node in 1...3 {
            let source = Binaries.packageRoot.appendingPathComponent("deploy/node-\(node).toml")
            let text = try rewrite(
                try String(contentsOf: source, encoding: .utf8), base: base, directory: directory, secret: secret.path)
            let settings = try PadlockdSettings.parse(toml: text)
            #expect(settings.nodeID == UInt64(node))
            #expect(settings.members.count == 3)
            let file = directory.appendingPathComponent("node-\(node).toml")
            try text.write(to: file, atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = Binaries.padlockd
            process.arguments = ["--config", file.path, "--bootstrap"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            processes.append(process)
        }
        let endpoints = (0..<3).map { "127.0.0.1:\(base + $0)" }
        let client = try await connect(endpoints, token: Self.tokens["crm-frontend"] ?? "")
        let lock = try await client.acquire("acme/contacts/1", note: "deploy smoke test")
        #expect(lock.fence.rawValue > 0)
        try await lock.release()
        await client.close()
    }

    /// `10.0.0.1N:74xx` → `127.0.0.1:base+…` (client 74xx → base, peer 75xx → base+100, admin 76xx → base+200),
    /// every data-dir under the temporary directory, the secret file to `secret`, and each client's token hash
    /// to the hash of its test token.
    private func rewrite(_ text: String, base: Int, directory: URL, secret: String) throws -> String {
        var result = ""
        var client: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = String(line)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("name = ") {
                client = trimmed.split(separator: "\"").dropFirst().first.map(String.init)
            }
            if trimmed.hasPrefix("token-sha256"), let client, let token = Self.tokens[client] {
                line = "token-sha256 = \"\(TokenHash.hex(of: token))\""
            }
            if trimmed.hasPrefix("cluster-secret-file") { line = "cluster-secret-file = \"\(secret)\"" }
            for host in 1...3 {
                for (service, offset) in [("7401", 0), ("7501", 100), ("7601", 200)] {
                    line = line.replacingOccurrences(
                        of: "10.0.0.1\(host):\(service)", with: "127.0.0.1:\(base + offset + host - 1)")
                }
            }
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("data-dir") {
                let name =
                    line.split(separator: "\"").dropFirst().first.map {
                        URL(fileURLWithPath: String($0)).lastPathComponent
                    } ?? "data"
                line = "data-dir = \"\(directory.appendingPathComponent(name).path)\""
            }
            result += line + "\n"
        }
        return result
    }

    private func connect(_ endpoints: [String], token: String) async throws -> PadlockClient {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let client = try? await PadlockClient(
                endpoints: endpoints, owner: "deploy@it", credentials: Array(token.utf8), cluster: 1)
            {
                let statuses = (try? await client.status()) ?? []
                if statuses.contains(where: { $0.role == .leader }) { return client }
                await client.close()
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ClusterError("no leader from the deploy/ configurations")
    }
}

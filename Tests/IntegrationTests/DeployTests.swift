import Foundation
import PadlockClient
import PadlockConfig
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The example configurations in `deploy/` are real: with their hosts, ports and directories rewritten for
/// loopback, they parse and form a working cluster.
@Suite(.serialized) struct DeployTests {
    @Test("The deploy/ configurations form a cluster once rewritten for loopback")
    func deployConfigurationsFormACluster() async throws {
        let base = Ports.base()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("padlock-deploy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var processes: [Process] = []
        defer {
            terminate(processes)
            try? FileManager.default.removeItem(at: directory)
        }
        for node in 1...3 {
            let source = Binaries.packageRoot.appendingPathComponent("deploy/node-\(node).toml")
            let text = try rewrite(try String(contentsOf: source, encoding: .utf8), base: base, directory: directory)
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
        let client = try await connect(endpoints)
        let lock = try await client.acquire("acme/contacts/1", note: "deploy smoke test")
        #expect(lock.fence.rawValue > 0)
        try await lock.release()
        await client.close()
    }

    /// `10.0.0.1N:74xx` → `127.0.0.1:base+…` (client 74xx → base, peer 75xx → base+100, admin 76xx → base+200),
    /// and every data-dir under the temporary directory.
    private func rewrite(_ text: String, base: Int, directory: URL) throws -> String {
        var result = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = String(line)
            for host in 1...3 {
                for (service, offset) in [("7401", 0), ("7501", 100), ("7601", 200)] {
                    line = line.replacingOccurrences(of: "10.0.0.1\(host):\(service)", with: "127.0.0.1:\(base + offset + host - 1)")
                }
            }
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("data-dir") {
                let name = line.split(separator: "\"").dropFirst().first.map { URL(fileURLWithPath: String($0)).lastPathComponent } ?? "data"
                line = "data-dir = \"\(directory.appendingPathComponent(name).path)\""
            }
            result += line + "\n"
        }
        return result
    }

    private func connect(_ endpoints: [String]) async throws -> PadlockClient {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let client = try? await PadlockClient(endpoints: endpoints, owner: "deploy@it") {
                let statuses = (try? await client.status()) ?? []
                if statuses.contains(where: { $0.role == .leader }) { return client }
                await client.close()
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ClusterError("no leader from the deploy/ configurations")
    }
}

import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 18, finding 6: authenticated peers by default, owner-only data files, and secret files others can
/// read refused at start — on real `padlockd` and `padlock dev` processes.
@Suite(.serialized) struct FilesAndDefaultsTests {
    /// A scratch directory with a three-member configuration for node 1 (`extra` appended), ports from `base`.
    private func scratch(_ extra: String = "", members: Int = 3) throws -> (URL, URL) {
        let base = Ports.base()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "padlock-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var text = """
            cluster-id = 9
            node-id = 1
            data-dir = "\(directory.path)/data"
            client-listen = "127.0.0.1:\(base)"
            peer-listen = "127.0.0.1:\(base + 100)"

            """
        text += extra + "\n"
        for member in 1...members {
            text += "[[members]]\nid = \(member)\npeer = \"127.0.0.1:\(base + 100 + member - 1)\"\n"
            text += "client = \"127.0.0.1:\(base + member - 1)\"\n\n"
        }
        let file = directory.appendingPathComponent("node.toml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return (directory, file)
    }

    private func mode(_ path: String) -> mode_t {
        var info = stat()
        _ = stat(path, &info)
        return info.st_mode & 0o777
    }

    @Test("A node of a three-node cluster without cluster-secret-file or insecure-peers refuses to start")
    func unauthenticatedPeersAreRefused() async throws {
        let (directory, file) = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await runCommand(Binaries.padlockd, ["--config", file.path], timeout: 30)
        #expect(result.status == 2, "padlockd exited \(result.status): \(result.errors)")
        #expect(result.errors.contains("cluster-secret-file"), "\(result.errors)")
        #expect(result.errors.contains("insecure-peers = true"), "\(result.errors)")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/data"), "nothing written before refusing")
    }

    @Test("A cluster secret file others can read is refused with its name, its mode and the chmod that fixes it")
    func readableSecretIsRefused() async throws {
        let (directory, _) = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let secret = directory.appendingPathComponent("cluster-secret")
        try Data(Array(repeating: 0x42, count: 32)).write(to: secret)
        #expect(chmod(secret.path, 0o644) == 0)
        let (second, file) = try scratch("[security]\ncluster-secret-file = \"\(secret.path)\"\n")
        defer { try? FileManager.default.removeItem(at: second) }
        let result = try await runCommand(Binaries.padlockd, ["--config", file.path], timeout: 30)
        #expect(result.status == 2, "padlockd exited \(result.status): \(result.errors)")
        #expect(result.errors.contains(secret.path), "\(result.errors)")
        #expect(result.errors.contains("mode 0644"), "\(result.errors)")
        #expect(result.errors.contains("chmod 600 \(secret.path)"), "\(result.errors)")
    }

    @Test("A TLS private key others can read is refused the same way")
    func readableTLSKeyIsRefused() async throws {
        let certificates = try await TestCertificates.shared.value
        let (directory, _) = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = directory.appendingPathComponent("node.key")
        try FileManager.default.copyItem(atPath: certificates.server.keyFile, toPath: key.path)
        #expect(chmod(key.path, 0o640) == 0)
        let (second, file) = try scratch(
            """
            [tls]
            cert-file = "\(certificates.server.certificateFile)"
            key-file = "\(key.path)"
            """, members: 1)
        defer { try? FileManager.default.removeItem(at: second) }
        let result = try await runCommand(Binaries.padlockd, ["--config", file.path], timeout: 30)
        #expect(result.status == 2, "padlockd exited \(result.status): \(result.errors)")
        #expect(result.errors.contains("`tls.key-file`"), "\(result.errors)")
        #expect(
            result.errors.contains("mode 0640") && result.errors.contains("chmod 600 \(key.path)"), "\(result.errors)")
    }

    @Test("padlockd creates its data directory 0700 and its files 0600, and tightens an existing looser one")
    func dataFilesAreTheOwnersOnly() throws {
        let (directory, file) = try scratch(members: 1)
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.path + "/data"
        let log = directory.appendingPathComponent("node.log")
        try runUntilServing(file, log: log)
        #expect(mode(data) == 0o700, "data directory mode \(String(mode(data), radix: 8))")
        let names = try FileManager.default.contentsOfDirectory(atPath: data)
        #expect(names.contains("padlock-identity") && names.contains { $0.hasPrefix("wal-") }, "\(names)")
        for name in names {
            #expect(mode(data + "/" + name) == 0o600, "\(name): \(String(mode(data + "/" + name), radix: 8))")
        }

        // As an older padlockd left it: everything readable by everyone.
        #expect(chmod(data, 0o755) == 0)
        for name in names { #expect(chmod(data + "/" + name, 0o644) == 0) }
        try runUntilServing(file, log: log)
        #expect(mode(data) == 0o700)
        for name in names { #expect(mode(data + "/" + name) == 0o600, "\(name) was not tightened") }
        let text = try String(contentsOf: log, encoding: .utf8)
        #expect(text.contains("permissions tightened") && text.contains("0755 → 0700"), "\(text)")
    }

    /// Starts padlockd on `file`, waits until it serves, stops it with SIGTERM and waits for its exit.
    private func runUntilServing(_ file: URL, log: URL) throws {
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = Binaries.padlockd
        // --bootstrap: the first start on an empty data directory must say so; later starts ignore it.
        process.arguments = ["--config", file.path, "--bootstrap"]
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardError = handle
        process.standardOutput = handle
        func serving() -> Int {
            ((try? String(contentsOf: log, encoding: .utf8)) ?? "").components(separatedBy: "padlockd serving").count
        }
        let before = serving()
        try process.run()
        defer { terminate([process]) }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning, serving() == before { usleep(50_000) }
        #expect(serving() > before, "padlockd did not serve: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }

    @Test("padlock dev makes a 0600 cluster secret and names it in every node's configuration")
    func devMakesASecret() throws {
        let cluster = try LocalCluster()
        defer { cluster.stop() }
        let secret = cluster.directory.appendingPathComponent("cluster-secret").path
        #expect(mode(secret) == 0o600)
        for node in 1...3 {
            let text = cluster.log("node-\(node)/padlockd.toml")
            #expect(text.contains("cluster-secret-file = \"\(secret)\""), "\(text)")
            #expect(cluster.nodeLog(node).contains("padlockd serving"))
        }
    }
}

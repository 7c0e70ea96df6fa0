import EventLoop
import Foundation
import PadlockClient
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The executables `swift build` put next to the test bundle.
enum Binaries {
    static let directory: URL = {
        var url = URL(fileURLWithPath: #filePath)
        // Tests/IntegrationTests/Support/LocalCluster.swift → the package root.
        for _ in 0..<4 { url.deleteLastPathComponent() }
        let bundle = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL
            .deletingLastPathComponent()
        return bundle ?? url.appendingPathComponent(".build/debug")
    }()

    static var padlockd: URL { directory.appendingPathComponent("padlockd") }
    static var padlock: URL { directory.appendingPathComponent("padlock") }
    static var packageRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url
    }
}

/// Hands out port ranges so clusters of tests running side by side never collide.
enum Ports {
    private static let next = Mutex(UInt32(20_000 + (UInt32(getpid()) % 40) * 300))

    /// A base port with 300 free ports above it (client, peer and admin ranges of `padlock dev`), all below
    /// Linux's ephemeral range (32768 and up): a port in that range can be taken at any moment by the local
    /// end of some outgoing connection (the fault proxies make many), and a node could then not bind it.
    ///
    /// The range holds 40 bases, so a long run wraps around; a base whose ports are still bound (a cluster of a
    /// slow test still running, seen once as "port 25700 is in use") is skipped rather than handed out again.
    static func base() -> Int {
        next.withLock { value in
            for _ in 0..<40 {
                defer { value += 300 }
                if value > 32_000 { value = 20_000 }
                let candidate = Int(value)
                if (0..<3).allSatisfy({ BlockingSocket.canBind(port: candidate + 100 * $0) }) { return candidate }
            }
            return Int(value)
        }
    }
}

/// A real cluster of `padlockd` processes on loopback, started with `padlock dev` (the same path `make run`
/// takes). Individual nodes can be killed and restarted from the configuration `padlock dev` wrote.
final class LocalCluster: @unchecked Sendable {
    let directory: URL
    let nodeCount: Int
    let basePort: Int
    private let dev: Process
    private var restarted: [Int: Process] = [:]

    /// Starts `nodes` nodes with `padlock dev`.
    ///
    /// - Parameters:
    ///   - basePort: the ports' base (from `Ports.base()`); a fresh one when nil.
    ///   - advertisedClientAddresses: what each node lists as its members' client addresses, so leader hints
    ///     name them (a proxy in front of each node); the nodes still listen on their own client ports.
    ///   - settings: TOML appended to every node's configuration (`[sessions]`, `[lock-delay]`, …).
    ///   - token: the client token `padlock dev` checks the cluster with, when `settings` lists `[[clients]]`.
    ///   - nodeSettings: TOML appended to one node's configuration only, after `settings`.
    ///   - devEnvironment: variables for `padlock dev` (PADLOCK_TLS_CA and friends for a TLS cluster).
    ///   - logLevel: every node's `log-level`.
    ///   - devArguments: more arguments for `padlock dev` (`--restore-from FILE`).
    init(
        nodes: Int = 3, basePort: Int? = nil, advertisedClientAddresses: [String]? = nil, settings: String = "",
        token: String? = nil, nodeSettings: [Int: String] = [:], devEnvironment: [String: String] = [:],
        logLevel: String = "info", devArguments: [String] = []
    ) throws {
        nodeCount = nodes
        self.basePort = basePort ?? Ports.base()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("padlock-it-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        dev = Process()
        dev.executableURL = Binaries.padlock
        dev.arguments =
            [
                "dev", "--dir", directory.path, "--nodes", "\(nodes)", "--base-port", "\(self.basePort)",
                "--padlockd", Binaries.padlockd.path, "--keep-going",
            ] + devArguments
        if token != nil || !devEnvironment.isEmpty {
            var environment = ProcessInfo.processInfo.environment
            environment["PADLOCK_TOKEN"] = token
            for (name, value) in devEnvironment { environment[name] = value }
            dev.environment = environment
        }
        let devLog = try FileHandle(forWritingTo: Self.touch(directory.appendingPathComponent("dev.log")))
        dev.standardOutput = devLog
        dev.standardError = devLog
        if advertisedClientAddresses != nil || !settings.isEmpty || !nodeSettings.isEmpty || logLevel != "info" {
            try writeConfigurations(
                advertising: advertisedClientAddresses ?? endpoints, settings: settings, nodeSettings: nodeSettings,
                logLevel: logLevel)
        }
        try dev.run()
        try waitForEndpoints()
    }

    /// Writes what `padlock dev` would (it keeps configurations it finds), with other advertised client
    /// addresses and extra settings.
    private func writeConfigurations(
        advertising clientAddresses: [String], settings: String, nodeSettings: [Int: String] = [:],
        logLevel: String = "info"
    ) throws {
        precondition(clientAddresses.count == nodeCount, "one advertised address per node")
        let clusterID = UInt64.random(in: 1...UInt64(UInt32.max))
        try "\(clusterID)\n".write(
            to: directory.appendingPathComponent("cluster-id"), atomically: true, encoding: .utf8)
        // The secret `padlock dev` would make, unless the test brings its own [security].
        let secret = try writeSecret(directory.appendingPathComponent("cluster-secret"))
        let security = settings.contains("[security]") ? "" : "[security]\ncluster-secret-file = \"\(secret)\"\n"
        for node in 1...nodeCount {
            try FileManager.default.createDirectory(at: nodeDirectory(node), withIntermediateDirectories: true)
            var text = """
                cluster-id = \(clusterID)
                node-id = \(node)
                data-dir = "\(nodeDirectory(node).appendingPathComponent("data").path)"
                client-listen = "127.0.0.1:\(clientPort(node))"
                peer-listen = "127.0.0.1:\(peerPort(node))"
                admin-listen = "127.0.0.1:\(basePort + 200 + node - 1)"
                log-level = "\(logLevel)"

                """ + security
            for member in 1...nodeCount {
                text += """

                    [[members]]
                    id = \(member)
                    peer = "127.0.0.1:\(peerPort(member))"
                    client = "\(clientAddresses[member - 1])"

                    """
            }
            text += "\n" + settings + "\n" + (nodeSettings[node] ?? "") + "\n"
            try text.write(
                to: nodeDirectory(node).appendingPathComponent("padlockd.toml"), atomically: true, encoding: .utf8)
        }
    }

    /// Writes 32 random bytes to `url`, mode 0600 (padlockd refuses a secret others can read); returns its path.
    private func writeSecret(_ url: URL) throws -> String {
        try Data((0..<32).map { _ in UInt8.random(in: 0...255) }).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        return url.path
    }

    private static func touch(_ url: URL) -> URL {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        return url
    }

    private func waitForEndpoints() throws {
        let file = directory.appendingPathComponent("endpoints")
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: file.path) {
            guard dev.isRunning, Date() < deadline else {
                throw ClusterError("padlock dev did not publish endpoints: \(log("dev.log"))")
            }
            usleep(50_000)
        }
    }

    var endpoints: [String] { (1...nodeCount).map { "127.0.0.1:\(basePort + $0 - 1)" } }
    var endpointList: String { endpoints.joined(separator: ",") }
    func clientPort(_ node: Int) -> Int { basePort + node - 1 }
    func peerPort(_ node: Int) -> Int { basePort + 100 + node - 1 }
    func adminPort(_ node: Int) -> Int { basePort + 200 + node - 1 }
    func nodeDirectory(_ node: Int) -> URL { directory.appendingPathComponent("node-\(node)") }

    func log(_ relative: String) -> String {
        (try? String(contentsOf: directory.appendingPathComponent(relative), encoding: .utf8)) ?? "(no log)"
    }

    func nodeLog(_ node: Int) -> String { log("node-\(node)/padlockd.log") }

    /// The process id of node `n`, as its pid file (or our own restart) says.
    func pid(_ node: Int) -> pid_t? {
        if let process = restarted[node], process.isRunning { return process.processIdentifier }
        let text = try? String(contentsOf: nodeDirectory(node).appendingPathComponent("pid"), encoding: .utf8)
        return text.flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    func signal(_ node: Int, _ number: Int32) {
        if let pid = pid(node) { kill(pid, number) }
    }

    /// Waits until node `n`'s process has exited; returns its exit status when it was our own child.
    func waitForExit(_ node: Int, timeout: TimeInterval = 15) -> Bool {
        guard let pid = pid(node) else { return true }
        let deadline = Date().addingTimeInterval(timeout)
        while kill(pid, 0) == 0 && Date() < deadline { usleep(20_000) }
        return kill(pid, 0) != 0
    }

    /// The incarnation node `n`'s data directory was initialised with (its `padlock-identity` file).
    func incarnation(_ node: Int) throws -> UInt64 {
        let file = nodeDirectory(node).appendingPathComponent("data/padlock-identity")
        let text = try String(contentsOf: file, encoding: .utf8)
        guard let field = text.split(whereSeparator: \.isWhitespace).first(where: { $0.hasPrefix("incarnation=0x") }),
            let value = UInt64(field.dropFirst("incarnation=0x".count), radix: 16)
        else { throw ClusterError("node \(node)'s identity file has no incarnation: \(text)") }
        return value
    }

    /// Starts node `n` again from the configuration `padlock dev` wrote, with `arguments` added; with
    /// `descriptorLimit`, under `ulimit -n` (soft and hard) of that many descriptors, through `sh`.
    func restart(_ node: Int, arguments: [String] = [], descriptorLimit: Int? = nil) throws {
        let process = Process()
        let config = nodeDirectory(node).appendingPathComponent("padlockd.toml").path
        if let descriptorLimit {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments =
                [
                    "-c", "ulimit -n \(descriptorLimit) && exec \"$0\" \"$@\"", Binaries.padlockd.path, "--config",
                    config,
                ]
                + arguments
        } else {
            process.executableURL = Binaries.padlockd
            process.arguments = ["--config", config] + arguments
        }
        let log = try FileHandle(forWritingTo: nodeDirectory(node).appendingPathComponent("padlockd.log"))
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        restarted[node] = process
    }

    /// Runs `padlock` against this cluster.
    func cli(
        _ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 60
    ) async throws
        -> CommandResult
    {
        try await runCommand(
            Binaries.padlock, arguments, environment: environment.merging(["PADLOCK_ENDPOINTS": endpointList]) { $1 },
            timeout: timeout)
    }

    func client(owner: String = "tester@it", ttl: Duration = .seconds(10)) async throws -> PadlockClient {
        var configuration = PadlockClient.Configuration()
        configuration.sessionTTL = ttl
        return try await PadlockClient(endpoints: endpoints, owner: owner, configuration: configuration)
    }

    /// Which node leads, as the nodes themselves report it (nil while none does).
    func leader(using client: PadlockClient) async -> Int? {
        let statuses = (try? await client.status()) ?? []
        return statuses.first { $0.role == .leader }.map { Int($0.node.rawValue) }
    }

    func stop() {
        terminate(Array(restarted.values) + [dev])
        for node in 1...nodeCount {
            if let pid = pid(node), kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// SIGTERM, then SIGKILL for whatever is still running after `grace` seconds; waits for all of them.
func terminate(_ processes: [Process], grace: TimeInterval = 15) {
    for process in processes where process.isRunning { kill(process.processIdentifier, SIGTERM) }
    let deadline = Date().addingTimeInterval(grace)
    while processes.contains(where: \.isRunning) && Date() < deadline { usleep(20_000) }
    for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
    for process in processes { process.waitUntilExit() }
}

struct ClusterError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

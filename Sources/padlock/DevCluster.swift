import EventLoop
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A local cluster of real `padlockd` processes on loopback, under one directory:
///
/// ```
/// DIR/cluster-id            the cluster's id (kept, so a second run restarts the same cluster)
/// DIR/cluster-secret        the secret the nodes prove to each other (random, mode 0600)
/// DIR/endpoints             host:port of every node's client port, comma-separated (once a leader serves)
/// DIR/node-N/padlockd.toml  the node's configuration
/// DIR/node-N/data/          its data directory
/// DIR/node-N/pid            its process id while it runs
/// DIR/node-N/padlockd.log   its log
/// ```
enum DevClusterError: Error, CustomStringConvertible {
    case portBusy(Int)
    case cannotWrite(String, String)

    var description: String {
        switch self {
        case .portBusy(let port):
            "port \(port) on 127.0.0.1 is in use (another dev cluster? choose another --base-port)"
        case .cannotWrite(let path, let reason):
            "cannot write \(path): \(reason)"
        }
    }
}

struct DevCluster {
    let directory: URL
    let nodeCount: Int
    let basePort: Int
    let padlockd: URL

    /// Client port of node `n` (1-based); peers use `basePort + 100 + n - 1`, admin `basePort + 200 + n - 1`.
    func clientPort(_ node: Int) -> Int { basePort + node - 1 }
    func peerPort(_ node: Int) -> Int { basePort + 100 + node - 1 }
    func adminPort(_ node: Int) -> Int { basePort + 200 + node - 1 }

    var endpoints: [String] { (1...nodeCount).map { "127.0.0.1:\(clientPort($0))" } }

    func nodeDirectory(_ node: Int) -> URL { directory.appendingPathComponent("node-\(node)") }

    /// The cluster id: read back from an earlier run, or a new random one.
    func clusterID() throws -> UInt64 {
        let file = directory.appendingPathComponent("cluster-id")
        if let text = try? String(contentsOf: file, encoding: .utf8),
            let id = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            return id
        }
        let id = UInt64.random(in: 1...UInt64(UInt32.max))
        try "\(id)\n".write(to: file, atomically: true, encoding: .utf8)
        return id
    }

    /// Writes every node's configuration (unless a previous run already did: a restart keeps them, and
    /// only points them at the cluster secret when they do not name one).
    func writeConfigurations(clusterID: UInt64) throws {
        try ensureClusterSecret()
        for node in 1...nodeCount {
            let folder = nodeDirectory(node)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let file = folder.appendingPathComponent("padlockd.toml")
            guard !FileManager.default.fileExists(atPath: file.path) else {
                if try addSecretIfMissing(node: node) {
                    print("node \(node): added \(secretFile.path) to \(file.path)")
                }
                continue
            }
            try configuration(node: node, clusterID: clusterID).write(to: file, atomically: true, encoding: .utf8)
        }
    }

    func configuration(node: Int, clusterID: UInt64) -> String {
        var text = """
            # Written by `padlock dev` for a local cluster on loopback.
            cluster-id = \(clusterID)
            node-id = \(node)
            data-dir = "\(nodeDirectory(node).appendingPathComponent("data").path)"
            client-listen = "127.0.0.1:\(clientPort(node))"
            peer-listen = "127.0.0.1:\(peerPort(node))"
            admin-listen = "127.0.0.1:\(adminPort(node))"
            log-level = "info"

            """ + securitySection
        for member in 1...nodeCount {
            text += """

                [[members]]
                id = \(member)
                peer = "127.0.0.1:\(peerPort(member))"
                client = "127.0.0.1:\(clientPort(member))"

                """
        }
        return text
    }

    /// Whether no node has a data directory yet: a brand-new cluster, whose nodes start with `--bootstrap`.
    /// A node whose directory is gone while others' remain lost its data and must not bootstrap again.
    var isBrandNew: Bool {
        (1...nodeCount).allSatisfy {
            !FileManager.default.fileExists(atPath: nodeDirectory($0).appendingPathComponent("data").path)
        }
    }

    /// Starts node `n`'s process, its output going to its log file; records its pid. `bootstrap` passes
    /// `--bootstrap`, for the first start of a brand-new cluster.
    func start(_ node: Int, bootstrap: Bool = false) throws -> Process {
        let folder = nodeDirectory(node)
        let log = folder.appendingPathComponent("padlockd.log")
        if !FileManager.default.fileExists(atPath: log.path) {
            FileManager.default.createFile(atPath: log.path, contents: nil)
        }
        let output = try FileHandle(forWritingTo: log)
        output.seekToEndOfFile()
        let process = Process()
        process.executableURL = padlockd
        process.arguments =
            ["--config", folder.appendingPathComponent("padlockd.toml").path] + (bootstrap ? ["--bootstrap"] : [])
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try "\(process.processIdentifier)\n".write(
            to: folder.appendingPathComponent("pid"), atomically: true, encoding: .utf8)
        return process
    }

    /// Waits until every port of the cluster can be bound, so that a cluster started right after another one
    /// on the same ports stopped (its processes still closing their listeners) does not fail to start.
    func waitForFreePorts(timeout: Duration) async throws {
        let ports = (1...nodeCount).flatMap { [clientPort($0), peerPort($0), adminPort($0)] }
        let deadline = ContinuousClock.now + timeout
        while let busy = ports.first(where: { !BlockingSocket.canBind(port: $0) }) {
            guard ContinuousClock.now < deadline else {
                throw DevClusterError.portBusy(busy)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Writes `DIR/endpoints` once a leader serves.
    func publishEndpoints() throws {
        try endpoints.joined(separator: ",").appending("\n").write(
            to: directory.appendingPathComponent("endpoints"), atomically: true, encoding: .utf8)
    }

    /// Sends SIGTERM to every process and waits for them (SIGKILL after `grace`).
    static func stop(_ processes: [Process], grace: TimeInterval = 10) {
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(grace)
        while processes.contains(where: \.isRunning) && Date() < deadline { usleep(20_000) }
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for process in processes { process.waitUntilExit() }
    }
}

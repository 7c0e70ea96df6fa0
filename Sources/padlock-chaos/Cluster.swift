import FaultProxy
import Foundation
import Logging
import PadlockClient

#if canImport(Glibc)
    import Glibc
#endif

/// Three `padlockd` processes on loopback with a `FaultProxy` on every link: one per ordered pair of nodes
/// (node i dials node j through `peerProxies[i][j]`, set with `[peer-routes]`), and one in front of each
/// node's client port, which the nodes advertise as their members' client addresses so that leader hints
/// lead clients back through a proxy.
///
/// Layout under the run's directory: `cluster-secret` (the peers' shared secret, mode 0600),
/// `node-N/padlockd.toml`, `node-N/data/`, `node-N/padlockd.log`.
final class ChaosCluster: @unchecked Sendable {
    static let nodes = [1, 2, 3]
    let directory: URL
    let basePort: Int
    let padlockd: URL
    let clusterID: UInt64
    /// The node whose data directory is a small tmpfs (the disk fault), when mounting one worked.
    private(set) var tmpfsNode: Int?
    /// Whether padlockd starts under libfaketime (probed at start; the clock fault needs it).
    private(set) var faketimeWorks = false
    private(set) var peerProxies: [Int: [Int: FaultProxy]] = [:]
    private(set) var clientProxies: [Int: FaultProxy] = [:]
    private var processes: [Int: Process] = [:]
    /// How each node was last started: nil, or the FAKETIME specification it runs under.
    private(set) var faketime: [Int: String] = [:]
    private let lock = NSLock()
    private var admin: PadlockClient?
    static let faketimeLibrary = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

    init(directory: URL, basePort: Int, padlockd: URL, clusterID: UInt64) {
        self.directory = directory
        self.basePort = basePort
        self.padlockd = padlockd
        self.clusterID = clusterID
    }

    func clientPort(_ node: Int) -> Int { basePort + node - 1 }
    func peerPort(_ node: Int) -> Int { basePort + 100 + node - 1 }
    func adminPort(_ node: Int) -> Int { basePort + 200 + node - 1 }
    func nodeDirectory(_ node: Int) -> URL { directory.appendingPathComponent("node-\(node)") }
    func dataDirectory(_ node: Int) -> URL { nodeDirectory(node).appendingPathComponent("data") }
    /// The nodes' own client ports, past every proxy (the harness's admin view).
    var directEndpoints: [String] { Self.nodes.map { "127.0.0.1:\(clientPort($0))" } }
    /// The client proxies, for the workload.
    var proxiedEndpoints: [String] { Self.nodes.map { clientProxies[$0]!.address } }
    /// A client of the workload through the client proxies, named `owner`, with the library's configuration
    /// as `configure` leaves it.
    func proxiedClient(
        owner: String, logger: Logger, configure: (inout PadlockClient.Configuration) -> Void
    ) async throws -> PadlockClient {
        var configuration = PadlockClient.Configuration()
        configure(&configuration)
        return try await PadlockClient(
            endpoints: proxiedEndpoints, owner: owner, cluster: clusterID, configuration: configuration,
            logger: logger)
    }

    var allProxies: [FaultProxy] {
        Array(clientProxies.values) + peerProxies.values.flatMap { $0.values }
    }

    /// Starts the proxies, writes every configuration, mounts the tmpfs (when asked and allowed), starts the
    /// nodes and waits for a leader.
    func start(tmpfsNode wanted: Int?, tmpfsBytes: Int) async throws {
        let logger = Logger(label: "chaos.proxy") { _ in SwiftLogNoOpLogHandler() }
        for node in Self.nodes {
            clientProxies[node] = try await FaultProxy(
                upstreamPort: clientPort(node), name: "client-\(node)", logger: logger)
            for peer in Self.nodes where peer != node {
                peerProxies[node, default: [:]][peer] = try await FaultProxy(
                    upstreamPort: peerPort(peer), name: "peer-\(node)-\(peer)", logger: logger)
            }
        }
        tmpfsNode = wanted
        try writeClusterSecret()
        for node in Self.nodes {
            try FileManager.default.createDirectory(at: dataDirectory(node), withIntermediateDirectories: true)
            try configuration(node).write(
                to: nodeDirectory(node).appendingPathComponent("padlockd.toml"), atomically: true, encoding: .utf8)
        }
        if let wanted { tmpfsNode = mountTmpfs(wanted, bytes: tmpfsBytes) ? wanted : nil }
        faketimeWorks = probeFaketime()
        // A brand-new cluster: its first start is the one that bootstraps.
        for node in Self.nodes { try startNode(node, bootstrap: true) }
        var configuration = PadlockClient.Configuration()
        configuration.callDeadline = .seconds(2)
        configuration.attemptTimeout = .milliseconds(700)
        admin = try await PadlockClient(
            endpoints: directEndpoints, owner: "chaos-admin", cluster: clusterID, configuration: configuration,
            logger: Logger(label: "chaos.admin") { _ in SwiftLogNoOpLogHandler() })
        guard await waitForLeader(seconds: 30) != nil else { throw ChaosError("no leader within 30 s") }
    }

    var secretFile: URL { directory.appendingPathComponent("cluster-secret") }

    /// 32 random bytes the nodes prove to each other (a multi-node padlockd refuses to start without them).
    private func writeClusterSecret() throws {
        try Data((0..<32).map { _ in UInt8.random(in: 0...255) }).write(to: secretFile)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secretFile.path)
    }

    private func configuration(_ node: Int) -> String {
        var text = """
            # Written by padlock-chaos.
            cluster-id = \(clusterID)
            node-id = \(node)
            data-dir = "\(dataDirectory(node).path)"
            client-listen = "127.0.0.1:\(clientPort(node))"
            peer-listen = "127.0.0.1:\(peerPort(node))"
            admin-listen = "127.0.0.1:\(adminPort(node))"
            log-level = "info"

            [security]
            cluster-secret-file = "\(secretFile.path)"

            """
        for member in Self.nodes {
            text += """

                [[members]]
                id = \(member)
                peer = "127.0.0.1:\(peerPort(member))"
                client = "\(clientProxies[member]!.address)"

                """
        }
        // A short lock-delay so that keys freed by expiry are edited again within a run; frequent snapshots so
        // that the disk fault's full tmpfs is noticed (WAL segments are preallocated, snapshots are not).
        text += """

            [lock-delay]
            default = "1s"

            [raft]
            snapshot-entries = \(node == tmpfsNode ? 200 : 2000)

            [peer-routes]

            """
        for peer in Self.nodes where peer != node {
            text += "\"\(peer)\" = \"\(peerProxies[node]![peer]!.address)\"\n"
        }
        return text
    }

    /// Whether padlockd can start under libfaketime. A Swift executable started with
    /// LD_PRELOAD=libfaketime.so.1 sees no command-line arguments here, so nodes under it take their
    /// configuration from PADLOCK_CONFIG; the probe starts padlockd that way with a file that does not exist and
    /// expects the configuration error (exit code 2) naming that file.
    private func probeFaketime() -> Bool {
        guard FileManager.default.fileExists(atPath: Self.faketimeLibrary) else { return false }
        let missing = directory.appendingPathComponent("faketime-probe.toml").path
        let command =
            "LD_PRELOAD='\(Self.faketimeLibrary)' FAKETIME='+5s x1.2' PADLOCK_CONFIG='\(missing)' "
            + "'\(padlockd.path)' 2>&1 | grep -qF 'cannot read \(missing)'"
        return shell(command) == 0
    }

    private func mountTmpfs(_ node: Int, bytes: Int) -> Bool {
        guard getuid() == 0 else {
            progress("not root: the disk fault is skipped")
            return false
        }
        let status = shell("mount -t tmpfs -o size=\(bytes) padlock-chaos '\(dataDirectory(node).path)'")
        if status != 0 { progress("mount -t tmpfs failed (\(status)): the disk fault is skipped") }
        return status == 0
    }

    /// Starts node `n`, under libfaketime with `faketime` (a FAKETIME specification) when given, and with
    /// `--bootstrap` when `bootstrap` (an empty data directory of a brand-new cluster, or an operator forcing it).
    func startNode(_ node: Int, faketime spec: String? = nil, bootstrap: Bool = false, join: Bool = false) throws {
        let log = nodeDirectory(node).appendingPathComponent("padlockd.log")
        if !FileManager.default.fileExists(atPath: log.path) {
            FileManager.default.createFile(atPath: log.path, contents: nil)
        }
        let output = try FileHandle(forWritingTo: log)
        output.seekToEndOfFile()
        output.write(Data("--- chaos: starting node \(node)\(spec.map { " under FAKETIME=\"\($0)\"" } ?? "")\n".utf8))
        let process = Process()
        process.executableURL = padlockd
        let config = nodeDirectory(node).appendingPathComponent("padlockd.toml").path
        process.arguments = ["--config", config] + (bootstrap ? ["--bootstrap"] : []) + (join ? ["--join"] : [])
        var environment = ProcessInfo.processInfo.environment
        // Under libfaketime the arguments do not arrive (probeFaketime); the variable carries the same path.
        environment["PADLOCK_CONFIG"] = config
        if let spec {
            environment["LD_PRELOAD"] = Self.faketimeLibrary
            environment["FAKETIME"] = spec
            environment["FAKETIME_DONT_RESET"] = "1"
        }
        process.environment = environment
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        lock.withLock {
            processes[node] = process
            faketime[node] = spec
        }
    }

    func process(_ node: Int) -> Process? { lock.withLock { processes[node] } }
    func isRunning(_ node: Int) -> Bool { process(node)?.isRunning ?? false }

    func signal(_ node: Int, _ number: Int32) {
        if let process = process(node), process.isRunning { kill(process.processIdentifier, number) }
    }

    /// Deletes everything in node `n`'s data directory, keeping the directory itself: it may be the mount point
    /// of the disk fault's tmpfs, which cannot be removed (removing it failed silently and left the data, so
    /// the wipe wiped nothing). Returns what could not be deleted, or nil.
    func emptyDataDirectory(_ node: Int) -> String? {
        let directory = dataDirectory(node)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var failed: [String] = []
        for name in names {
            do {
                try FileManager.default.removeItem(at: directory.appendingPathComponent(name))
            } catch {
                failed.append("\(name) (\(error.localizedDescription))")
            }
        }
        return failed.isEmpty ? nil : "node \(node)'s data directory kept \(failed.joined(separator: ", "))"
    }

    /// SIGKILL, and waits for the process to be gone.
    func kill9(_ node: Int) {
        guard let process = process(node) else { return }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGTERM (a clean stop), SIGKILL after `grace` seconds; returns how the process ended.
    @discardableResult
    func terminate(_ node: Int, grace: Double = 10) -> String {
        guard let process = process(node) else { return "not started" }
        if process.isRunning {
            kill(process.processIdentifier, SIGCONT)
            kill(process.processIdentifier, SIGTERM)
        }
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return Self.ending(process)
    }

    /// "exit 0", or "signal 13" for a process a signal ended.
    static func ending(_ process: Process) -> String {
        process.terminationReason == .uncaughtSignal
            ? "signal \(process.terminationStatus)" : "exit \(process.terminationStatus)"
    }

    /// Every node's own status, as far as it answers.
    func statuses() async -> [NodeStatus] { (try? await admin?.status()) ?? [] }

    /// Node `n`'s log so far ("" when unreadable).
    func log(of node: Int) -> String {
        (try? String(contentsOf: nodeDirectory(node).appendingPathComponent("padlockd.log"), encoding: .utf8)) ?? ""
    }

    /// The harness's administrative client (membership changes).
    var adminClient: PadlockClient? { admin }

    /// The node that leads now (the highest term's, if two claim it), or nil.
    func leader() async -> Int? {
        let leaders = await statuses().filter { $0.role == .leader }
        return leaders.max { $0.term.rawValue < $1.term.rawValue }.map { Int($0.node.rawValue) }
    }

    func waitForLeader(seconds: Double) async -> Int? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let leader = await leader() { return leader }
            await pause(.milliseconds(100))
        }
        return nil
    }

    /// Every proxy back to passing bytes.
    func healNetwork() async {
        for proxy in allProxies { await proxy.setFault(.pass) }
    }

    func stop() async {
        await admin?.close()
        for node in Self.nodes { terminate(node, grace: 5) }
        for proxy in allProxies { _ = await proxy.stop() }
        if let node = tmpfsNode {
            _ = shell("rm -f '\(dataDirectory(node).path)/chaos-fill'")
            // Keep the node's data: copy it out of the tmpfs before unmounting.
            let saved = nodeDirectory(node).appendingPathComponent("data-from-tmpfs").path
            _ = shell("cp -a '\(dataDirectory(node).path)' '\(saved)' && umount '\(dataDirectory(node).path)'")
        }
    }
}

/// Runs `command` with /bin/sh and returns its exit status.
@discardableResult
func shell(_ command: String) -> Int32 { runShell(command).status }

/// Runs `command` with /bin/sh; returns its exit status and what it printed (standard error included).
func runShell(_ command: String) -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command + " 2>&1"]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return (-1, "cannot start /bin/sh") }
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text.trimmingCharacters(in: .whitespacesAndNewlines))
}

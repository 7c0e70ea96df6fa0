import ArgumentParser
import Foundation
import PadlockClient

#if canImport(Glibc)
    import Glibc
#endif

/// `padlock dev`: a local cluster of real `padlockd` processes, until Ctrl-C.
struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a local cluster of padlockd processes on loopback and keep it running until Ctrl-C.",
        discussion: "Run it again on the same --dir to restart the same cluster with its data.")

    @Option(help: "Directory holding the cluster's configuration, data, pids and logs.")
    var dir: String = ".padlock-dev"
    @Option(help: "Number of nodes (1, 3 or 5).")
    var nodes: Int = 3
    @Option(help: "Client port of node 1; node n uses base+n-1, peers base+100+n-1, admin base+200+n-1.")
    var basePort: Int = 7401
    @Option(help: "The padlockd executable (default: next to this one).")
    var padlockd: String?

    func validate() throws {
        guard [1, 3, 5].contains(nodes) else { throw ValidationError("--nodes must be 1, 3 or 5") }
        guard (1_024...60_000).contains(basePort) else { throw ValidationError("--base-port must be 1024-60000") }
    }

    func run() async throws {
        let directory = URL(fileURLWithPath: dir, isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let executable = padlockd.map { URL(fileURLWithPath: $0) } ?? siblingExecutable("padlockd")
        let cluster = DevCluster(directory: directory, nodeCount: nodes, basePort: basePort, padlockd: executable)
        let clusterID = try cluster.clusterID()
        try cluster.writeConfigurations(clusterID: clusterID)
        try await cluster.waitForFreePorts(timeout: .seconds(15))
        var processes: [Process] = []
        let bootstrap = cluster.isBrandNew
        for node in 1...nodes { processes.append(try cluster.start(node, bootstrap: bootstrap)) }
        let stop = SignalLatch(signals: [SIGINT, SIGTERM])
        do {
            try await waitForLeader(cluster, clusterID: clusterID, processes: processes)
        } catch {
            DevCluster.stop(processes)
            throw error
        }
        try cluster.publishEndpoints()
        printWelcome(cluster)
        fflush(nil)
        // Until Ctrl-C or SIGTERM, or until someone removes DIR/endpoints (or DIR): a script that starts the
        // cluster in the background can stop it by deleting its directory, without keeping its pid.
        let endpointsFile = cluster.directory.appendingPathComponent("endpoints").path
        while !stop.hasFired {
            if !FileManager.default.fileExists(atPath: endpointsFile) {
                print("\n\(endpointsFile) was removed")
                break
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        print("\nstopping the cluster…")
        DevCluster.stop(processes)
        try? FileManager.default.removeItem(at: directory.appendingPathComponent("endpoints"))
        for node in 1...nodes { try? FileManager.default.removeItem(at: cluster.nodeDirectory(node).appendingPathComponent("pid")) }
    }

    private func waitForLeader(_ cluster: DevCluster, clusterID: UInt64, processes: [Process]) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let dead = processes.firstIndex(where: { !$0.isRunning }) {
                let log = cluster.nodeDirectory(dead + 1).appendingPathComponent("padlockd.log").path
                throw ValidationError("node \(dead + 1) exited (status \(processes[dead].terminationStatus)); see \(log)")
            }
            // A cluster configured with [[clients]] asks for a token even to report its status, and one with
            // [tls] for TLS (PADLOCK_TLS_CA and, when client certificates are required, the other two).
            let token = Array((ProcessInfo.processInfo.environment["PADLOCK_TOKEN"] ?? "").utf8)
            let configuration = Configuration(tls: tlsConfiguration())
            if let client = try? await PadlockClient(
                endpoints: cluster.endpoints, owner: "padlock-dev", credentials: token, cluster: clusterID,
                configuration: configuration)
            {
                let statuses = (try? await client.status()) ?? []
                await client.close()
                if statuses.contains(where: { $0.role == .leader }) { return }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ValidationError("no leader was elected within 30 s; see the logs under \(cluster.directory.path)")
    }

    private func printWelcome(_ cluster: DevCluster) {
        let endpoints = cluster.endpoints.joined(separator: ",")
        print(
            """
            Padlock dev cluster of \(cluster.nodeCount) nodes is serving.
              endpoints: \(endpoints)   (also in \(cluster.directory.path)/endpoints)
              logs:      \(cluster.directory.path)/node-N/padlockd.log
              metrics:   http://127.0.0.1:\(cluster.adminPort(1))/metrics

            Try, in another terminal:
              padlock status
              padlock lock acme/contacts/42 --owner alice@frontend-2 --note "editing phone" -- sleep 30
              padlock lock acme/contacts/42 --owner bob@frontend-1          # refused: held by alice, with details
              padlock inspect acme/contacts/42
              padlock list --prefix acme
              padlock unlock --force acme/contacts/42 --reason "stuck edit"
              padlock audit

            Press Ctrl-C to stop the cluster; run again with the same --dir to restart it with its data.
            """)
    }
}

/// The path of an executable that sits next to this one (`.build/release/padlockd` beside `padlock`).
func siblingExecutable(_ name: String) -> URL {
    let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    let beside = me.deletingLastPathComponent().appendingPathComponent(name)
    if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
    return URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent(name)
}

/// Waits for one of `signals` (Ctrl-C, SIGTERM), without the default handler killing the process.
final class SignalLatch: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private var continuation: CheckedContinuation<Void, Never>?
    private var fired = false
    private let lock = NSLock()

    init(signals: [Int32]) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.fire() }
            source.resume()
            sources.append(source)
        }
    }

    private func fire() {
        lock.lock()
        fired = true
        let waiting = continuation
        continuation = nil
        lock.unlock()
        waiting?.resume()
    }

    var hasFired: Bool {
        lock.lock()
        defer { lock.unlock() }
        return fired
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if fired {
                lock.unlock()
                continuation.resume()
            } else {
                self.continuation = continuation
                lock.unlock()
            }
        }
    }
}

/// `padlock status`: every node's own view.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show every node: role, term, commit and applied index, health, lag.")
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() async throws {
        try await withClient(connection) { (client) async throws(PadlockError) in
            let statuses = try await client.status()
            print(json ? StatusReport.json(statuses) : StatusReport.table(statuses, endpoints: connection.endpointList))
        }
    }
}

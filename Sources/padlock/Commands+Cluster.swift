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
        discussion: """
            Run it again on the same --dir to restart the same cluster with its data. The nodes authenticate each \
            other with DIR/cluster-secret (made on the first run, mode 600). When a node exits, padlock dev prints \
            the end of its log, stops the other nodes and exits with status 1 (unless --keep-going).
            """)

    @Option(help: "Directory holding the cluster's configuration, data, pids and logs.")
    var dir: String = ".padlock-dev"
    @Option(help: "Number of nodes (1, 3 or 5).")
    var nodes: Int = 3
    @Option(help: "Client port of node 1; node n uses base+n-1, peers base+100+n-1, admin base+200+n-1.")
    var basePort: Int = 7401
    @Option(help: "The padlockd executable (default: next to this one).")
    var padlockd: String?
    @Flag(help: "When a node exits, report it but keep the others running (for experiments that kill nodes).")
    var keepGoing = false
    @Option(help: "Seed a brand-new cluster (a new --dir) from this backup (`padlock backup --out FILE`).")
    var restoreFrom: String?

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
        if let restoreFrom { try cluster.restore(from: restoreFrom) }
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
        let failure = await serve(cluster, processes: processes, stop: stop)
        print("\nstopping the cluster…")
        DevCluster.stop(processes)
        try? FileManager.default.removeItem(at: directory.appendingPathComponent("endpoints"))
        for node in 1...nodes {
            try? FileManager.default.removeItem(at: cluster.nodeDirectory(node).appendingPathComponent("pid"))
        }
        if let failure { throw failure }
    }

    /// Until Ctrl-C or SIGTERM, until someone removes DIR/endpoints (or DIR) — a script that starts the cluster
    /// in the background can stop it by deleting its directory, without keeping its pid — or until a node
    /// exits (unless --keep-going), which is reported with the end of its log and returned as the failure.
    private func serve(_ cluster: DevCluster, processes: [Process], stop: SignalLatch) async -> DevFailure? {
        let endpointsFile = cluster.directory.appendingPathComponent("endpoints").path
        var reported = Set<Int>()
        while !stop.hasFired {
            if !FileManager.default.fileExists(atPath: endpointsFile) {
                print("\n\(endpointsFile) was removed")
                return nil
            }
            for (index, process) in processes.enumerated() where !process.isRunning && !reported.contains(index) {
                reported.insert(index)
                let failure = cluster.exited(node: index + 1, process: process)
                guard keepGoing else { return failure }
                FileHandle.standardError.write(Data("padlock: \(failure)\n".utf8))
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    private func waitForLeader(_ cluster: DevCluster, clusterID: UInt64, processes: [Process]) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let dead = processes.firstIndex(where: { !$0.isRunning }) {
                throw cluster.exited(node: dead + 1, process: processes[dead])
            }
            // A cluster configured with [[clients]] asks for a token even to report its status, and one with
            // [tls] for TLS (PADLOCK_TLS_CA and, when client certificates are required, the other two).
            let token = try Self.environmentToken()
            let configuration = PadlockClient.Configuration(tls: tlsConfiguration())
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
        throw DevFailure("no leader was elected within 30 s; see the logs under \(cluster.directory.path)")
    }

    /// PADLOCK_TOKEN, else the token in PADLOCK_TOKEN_FILE (refused when others can read it), else none.
    private static func environmentToken() throws -> [UInt8] {
        let environment = ProcessInfo.processInfo.environment
        if let token = environment["PADLOCK_TOKEN"], !token.isEmpty { return Array(token.utf8) }
        guard let file = environment["PADLOCK_TOKEN_FILE"], !file.isEmpty else { return [] }
        do {
            return try ConnectionOptions.readToken(file)
        } catch {
            throw DevFailure(error.message)
        }
    }

    private func printWelcome(_ cluster: DevCluster) {
        let endpoints = cluster.endpoints.joined(separator: ",")
        let padlock = Self.invocation()
        print(
            """
            Padlock dev cluster of \(cluster.nodeCount) nodes is serving.
              endpoints: \(endpoints)   (also in \(cluster.directory.path)/endpoints)
              logs:      \(cluster.directory.path)/node-N/padlockd.log
              metrics:   http://127.0.0.1:\(cluster.adminPort(1))/metrics

            Try, in another terminal:
              \(padlock) status
              \(padlock) watch acme/contacts/42                                # follows it until Ctrl-C
              \(padlock) lock acme/contacts/42 --owner alice@frontend-2 --note "editing phone" -- sleep 30
              \(padlock) lock acme/contacts/42 --owner bob@frontend-1          # refused: held by alice, with details
              \(padlock) inspect acme/contacts/42
              \(padlock) list --prefix acme
              \(padlock) unlock --force acme/contacts/42 --reason "stuck edit"   # alice's sleep stops at once
              \(padlock) audit

            Press Ctrl-C to stop the cluster; run again with the same --dir to restart it with its data.
            """)
    }
}

extension Dev {
    /// How to type this program in the hints, so that they work as printed: `padlock` when that name on the
    /// PATH is this very program (after `make install`), else the path it was started by, as typed
    /// (`.build/release/padlock` under `make run`, from the repository root).
    static func invocation() -> String {
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("padlock")
            guard FileManager.default.isExecutableFile(atPath: candidate.path) else { continue }
            if candidate.resolvingSymlinksInPath().path == me { return "padlock" }
            break
        }
        let typed = CommandLine.arguments[0]
        return typed.contains("/") ? typed : me
    }
}

/// Why `padlock dev` stopped: a message, printed without a usage text, and exit status 1.
struct DevFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension DevCluster {
    /// Node `n`'s exit, with the last lines of its log, as the failure to report.
    func exited(node: Int, process: Process, lines: Int = 20) -> DevFailure {
        let log = nodeDirectory(node).appendingPathComponent("padlockd.log")
        let how =
            process.terminationReason == .uncaughtSignal
            ? "was killed by signal \(process.terminationStatus)" : "exited with status \(process.terminationStatus)"
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        let tail = text.split(separator: "\n").suffix(lines)
            .map { "  node \(node) | \($0)" }.joined(separator: "\n")
        return DevFailure("node \(node) (pid \(process.processIdentifier)) \(how); the end of \(log.path):\n\(tail)")
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

/// The flag SignalLatch's handler sets: allocated once, before any handler is installed, and touched through
/// the pointer only (a signal handler may do no more than store to a `sig_atomic_t`).
nonisolated(unsafe) private let signalLatchFlag: UnsafeMutablePointer<sig_atomic_t> = {
    let flag = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
    flag.initialize(to: 0)
    return flag
}()

/// Notes that one of `signals` (Ctrl-C, SIGTERM) arrived, instead of the default action ending the process.
///
/// A plain `sigaction` handler, so the signal is taken by whichever thread does not block it (the main
/// thread unblocks them at start, see `Padlock.main`) and a command started later gets the default
/// disposition back at `exec`, which an ignored signal would not.
final class SignalLatch: Sendable {
    init(signals: [Int32]) {
        _ = signalLatchFlag.pointee
        for number in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in signalLatchFlag.pointee = 1 }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
        }
    }

    var hasFired: Bool { signalLatchFlag.pointee != 0 }

    /// Unblocks `signals` in the calling thread: a process can start with them blocked (a parent's mask
    /// survives fork and exec), and then neither the default action nor a handler would ever see them.
    static func unblock(_ signals: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for number in signals { sigaddset(&set, number) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }
}

/// `padlock status`: every node's own view, asked of each endpoint on its own so that a node that does not
/// answer is named. Exit status 0 when every endpoint answered and a leader is known, 10 when one did not
/// answer, 4 when none did or no leader is known.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show every node: role, term, commit and applied index, health, lag.",
        discussion: """
            Nodes that did not answer are named (endpoint and node id when known). Exit status: 0 every node \
            answered and a leader is known; 10 some node did not answer; 4 no node answered or no leader is known.
            """)
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() async throws {
        do {
            _ = try connection.credentials()
        } catch {
            FileHandle.standardError.write(Data("padlock: \(error.message)\n".utf8))
            throw ExitCode(ExitStatus(error).rawValue)
        }
        let endpoints = connection.endpointList
        let answers = await withTaskGroup(of: (Int, Result<NodeStatus, PadlockError>).self) { group in
            for (index, endpoint) in endpoints.enumerated() {
                group.addTask { (index, await Self.ask(endpoint, connection: connection)) }
            }
            var answers: [(Int, Result<NodeStatus, PadlockError>)] = []
            for await answer in group { answers.append(answer) }
            return answers.sorted { $0.0 < $1.0 }.map(\.1)
        }
        let statuses = answers.compactMap { try? $0.get() }
        if !statuses.isEmpty {
            print(json ? StatusReport.json(statuses) : StatusReport.table(statuses, endpoints: endpoints))
        }
        let members = statuses.isEmpty ? [] : await Self.members(connection)
        let silent = StatusReport.silent(endpoints: endpoints, answers: answers, members: members)
        for line in silent { FileHandle.standardError.write(Data("padlock: \(line)\n".utf8)) }
        if statuses.isEmpty, let first = answers.compactMap(\.failure).first {
            throw ExitCode(ExitStatus(first).rawValue)
        }
        guard statuses.contains(where: { $0.role == .leader }) else {
            FileHandle.standardError.write(Data("padlock: no node reports itself leader\n".utf8))
            throw ExitCode(ExitStatus.unavailable.rawValue)
        }
        if !silent.isEmpty { throw ExitCode(ExitStatus.degraded.rawValue) }
    }

    /// The status of the one node at `endpoint`.
    static func ask(_ endpoint: String, connection: ConnectionOptions) async -> Result<NodeStatus, PadlockError> {
        var single = connection
        single.endpoints = endpoint
        do throws(PadlockError) {
            let client = try await single.client(owner: defaultOwner)
            let result: Result<NodeStatus, PadlockError>
            do throws(PadlockError) {
                guard let status = try await client.status().first else {
                    throw PadlockError(.unavailable, "\(endpoint) sent an empty status")
                }
                result = .success(status)
            } catch {
                result = .failure(error)
            }
            await client.close()
            return result
        } catch {
            return .failure(error)
        }
    }
}

extension Status {
    /// The members and their client addresses, to name the nodes behind silent endpoints; none on failure.
    static func members(_ connection: ConnectionOptions) async -> [MemberInfo] {
        guard let client = try? await connection.client(owner: defaultOwner) else { return [] }
        let members = (try? await client.members()) ?? []
        await client.close()
        return members
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

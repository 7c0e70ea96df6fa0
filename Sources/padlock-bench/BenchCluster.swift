import ArgumentParser
import EventLoop
import Foundation
import PadlockClient

#if canImport(Glibc)
    import Glibc
#endif

/// `--base-port` of the benchmarks that start a dev cluster of their own.
struct BenchClusterOptions: ParsableArguments {
    @Option(
        help: """
            Client port of the dev cluster's node 1 (its peers use base+100, admin base+200); by default the \
            first base from 27401 up (in steps of 300) whose ports are all free.
            """)
    var basePort: Int?

    /// Starts the dev cluster on `--base-port`, or on the first free base.
    func start() throws -> BenchCluster { try BenchCluster(basePort: basePort ?? Self.freeBasePort()) }

    /// The first base from 27401 (27401, 27701, ...) whose three nodes' client, peer and admin ports can all be
    /// bound now, so that two benchmarks (or a benchmark and a test cluster) do not collide; 27401 when none is.
    static func freeBasePort(nodes: Int = 3) -> Int {
        let bases = stride(from: 27_401, to: 32_000, by: 300)
        return bases.first { base in
            (0..<nodes).allSatisfy { node in
                [0, 100, 200].allSatisfy { BlockingSocket.canBind(port: base + $0 + node) }
            }
        } ?? 27_401
    }
}

/// A local cluster of its own for the benchmarks that break or restart nodes: `padlock dev` in a fresh
/// directory, plus the nodes this benchmark restarted itself, all stopped by `stop()`.
final class BenchCluster: @unchecked Sendable {
    let directory: URL
    let basePort: Int
    private let dev: Process
    private var restarted: [Int: Process] = [:]

    /// Starts `padlock dev --dir DIR --base-port PORT` (the executables next to this one) and waits for the
    /// endpoints file it writes once a leader serves.
    init(basePort: Int, nodes: Int = 3) throws {
        self.basePort = basePort
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("padlock-bench-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        dev = Process()
        dev.executableURL = Self.sibling("padlock")
        // --keep-going: the failover benchmark kills nodes and restarts them itself.
        dev.arguments = [
            "dev", "--dir", directory.path, "--nodes", "\(nodes)", "--base-port", "\(basePort)", "--keep-going",
        ]
        dev.standardOutput = FileHandle.nullDevice
        dev.standardInput = FileHandle.nullDevice
        try dev.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("endpoints").path) {
            guard dev.isRunning, Date() < deadline else {
                stop(keepingFiles: true)
                throw ValidationFailure("the dev cluster in \(directory.path) did not start; see its node logs")
            }
            usleep(50_000)
        }
    }

    var endpoints: [String] {
        let text = (try? String(contentsOf: directory.appendingPathComponent("endpoints"), encoding: .utf8)) ?? ""
        return text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").map(String.init)
    }

    func nodeDirectory(_ node: Int) -> URL { directory.appendingPathComponent("node-\(node)") }

    /// Node `n`'s process id while it runs (the one `padlock dev` started, or the one restarted here).
    func pid(_ node: Int) -> pid_t? {
        if let process = restarted[node] { return process.isRunning ? process.processIdentifier : nil }
        let text = try? String(contentsOf: nodeDirectory(node).appendingPathComponent("pid"), encoding: .utf8)
        return text.flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// SIGKILLs node `n` and waits until it is gone.
    func kill9(_ node: Int) {
        guard let pid = pid(node) else { return }
        kill(pid, SIGKILL)
        if let process = restarted[node] { process.waitUntilExit() } else { while kill(pid, 0) == 0 { usleep(1_000) } }
    }

    /// Starts node `n` again from the configuration `padlock dev` wrote, appending to its log.
    func restart(_ node: Int) throws {
        let folder = nodeDirectory(node)
        let log = try FileHandle(forWritingTo: folder.appendingPathComponent("padlockd.log"))
        log.seekToEndOfFile()
        let process = Process()
        process.executableURL = Self.sibling("padlockd")
        process.arguments = ["--config", folder.appendingPathComponent("padlockd.toml").path]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        restarted[node] = process
    }

    /// Node `n`'s resident memory in bytes (VmRSS), read from /proc.
    func residentBytes(_ node: Int) -> Int? {
        guard let pid = pid(node),
            let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        return kilobytes.map { $0 * 1024 }
    }

    /// Stops the restarted nodes and `padlock dev` (which stops the nodes it started), then removes the files
    /// unless `keepingFiles` (after a failure, so that the node logs can be read).
    func stop(keepingFiles: Bool = false) {
        for process in restarted.values where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        for process in restarted.values { process.waitUntilExit() }
        if dev.isRunning { kill(dev.processIdentifier, SIGTERM) }
        dev.waitUntilExit()
        if keepingFiles {
            FileHandle.standardError.write(Data("the cluster's files and logs are kept in \(directory.path)\n".utf8))
        } else {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Runs `body` against the cluster, then stops it (keeping its files when `body` throws).
    func run<T>(_ body: (BenchCluster) async throws -> T) async throws -> T {
        do {
            let result = try await body(self)
            stop()
            return result
        } catch {
            stop(keepingFiles: true)
            throw error
        }
    }

    /// The node that leads, as every reachable node sees it (nil while there is none).
    static func leader(_ client: PadlockClient) async -> Int? {
        let statuses = (try? await client.status()) ?? []
        return statuses.first(where: { $0.role == .leader }).map { Int($0.node.rawValue) }
    }

    private static func sibling(_ name: String) -> URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent(name)
    }
}

/// A benchmark that could not run, with the reason.
struct ValidationFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

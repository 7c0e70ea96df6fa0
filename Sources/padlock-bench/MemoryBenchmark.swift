import ArgumentParser
import Foundation
import PadlockClient
import Wire

/// `padlock-bench memory`: fills a dev cluster of its own with many sessions and held locks (by default
/// 1,000,000 locks in 100,000 sessions, keys shaped like CRM records), then reports each node's resident
/// memory and how long a follower takes to restart and catch up (load its snapshot and log, rejoin).
struct MemoryBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory", abstract: "Holds many locks in many sessions; reports resident memory and restart time.")

    @Option(help: "Sessions to open.") var sessions = 100_000
    @Option(help: "Locks held by each session.") var locksPerSession = 10
    @Option(help: "Requests written per batch on the pipelined connection.") var batch = 2_000
    @OptionGroup var devCluster: BenchClusterOptions
    @Flag(help: "Print one JSON object as the last line.") var json = false

    func validate() throws {
        guard sessions > 0, (1...1_000).contains(locksPerSession), batch > 0 else {
            throw ValidationError("--sessions and --batch must be positive, --locks-per-session 1-1000")
        }
    }

    func run() async throws {
        try await devCluster.start().run { cluster in
            let observer = try await PadlockClient(endpoints: cluster.endpoints, owner: "observer@padlock-bench")
            do {
                try await measure(cluster, observer: observer)
                await observer.close()
            } catch {
                await observer.close()
                throw error
            }
        }
    }

    private func measure(_ cluster: BenchCluster, observer: PadlockClient) async throws {
        let loader = Loader(ports: (1...3).map { cluster.basePort + $0 - 1 })
        let started = ContinuousClock.now
        let sessionIDs = try openSessions(loader)
        let held = try acquireLocks(loader, sessions: sessionIDs)
        let loaded = ContinuousClock.now - started
        try await waitUntilApplied(observer, locks: UInt64(held))
        let resident = (1...3).map { cluster.residentBytes($0) ?? 0 }
        guard let leader = await BenchCluster.leader(observer) else { throw ValidationFailure("no leader") }
        let follower = (1...3).first { $0 != leader }!
        let catchUp = try await restartAndCatchUp(cluster, node: follower, observer: observer)
        let recovery = Self.recoveryMilliseconds(
            log: cluster.nodeDirectory(follower).appendingPathComponent("padlockd.log"))
        report(held: held, loaded: loaded, resident: resident, follower: follower, catchUp: catchUp, recovery: recovery)
    }

    /// The restarted node's own account of its recovery: its last `recovered` notice's milliseconds spent
    /// opening the log and restoring the state machine (ServerHost logs both).
    static func recoveryMilliseconds(log: URL) -> (logOpen: Int, restore: Int)? {
        guard let text = try? String(contentsOf: log, encoding: .utf8),
            let line = text.split(separator: "\n").last(where: { $0.contains("recovered") })
        else { return nil }
        func field(_ name: String) -> Int? {
            guard let range = line.range(of: name + "=") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        guard let logOpen = field("logOpenMs"), let restore = field("restoreMs") else { return nil }
        return (logOpen, restore)
    }

    private func openSessions(_ loader: Loader) throws -> [SessionID] {
        var opened: [SessionID] = []
        opened.reserveCapacity(sessions)
        for start in stride(from: 0, to: sessions, by: batch) {
            let operations = (start..<min(start + batch, sessions)).map { index in
                ClientOperation.openSession(
                    owner: "rep-\(index)@crm-\(index % 40)", nonce: UInt64(index + 1), ttlMilliseconds: 3_600_000)
            }
            for answer in try loader.apply(operations) {
                guard case .success(.sessionOpened(let grant)) = answer else {
                    throw ValidationFailure("opening a session failed: \(answer)")
                }
                opened.append(grant.session)
            }
            progress("sessions", opened.count, of: sessions)
        }
        return opened
    }

    /// Acquires `locksPerSession` record keys for every session; returns how many were granted.
    private func acquireLocks(_ loader: Loader, sessions: [SessionID]) throws -> Int {
        let total = sessions.count * locksPerSession
        var granted = 0
        for start in stride(from: 0, to: total, by: batch) {
            let operations = try (start..<min(start + batch, total)).map { record in
                let session = sessions[record / locksPerSession]
                let request = RequestID(session: session, sequence: UInt64(record % locksPerSession + 1))
                let key = try LockKey("tenant-\(record % 50)/contacts/\(record)")
                return ClientOperation.acquire(
                    request, Acquisition(key: key, mode: .exclusive, waitMilliseconds: 0, note: "editing"))
            }
            for answer in try loader.apply(operations) {
                switch answer {
                // A retry after a leader change whose first attempt was applied before a later request of the
                // session: the grant happened; `waitUntilApplied` checks the final count of held locks.
                case .success(.granted), .failure(.superseded): granted += 1
                default: throw ValidationFailure("an acquire failed: \(answer)")
                }
            }
            progress("locks", granted, of: total)
        }
        return granted
    }

    /// Waits until every node has applied everything and holds `locks` locks.
    private func waitUntilApplied(_ observer: PadlockClient, locks: UInt64) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let statuses = (try? await observer.status()) ?? []
            if statuses.count == 3, statuses.allSatisfy({ $0.lockCount == locks && $0.appliedIndex == $0.commitIndex })
            {
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ValidationFailure("the nodes did not all apply \(locks) locks within 120 s")
    }

    /// SIGKILLs `node`, restarts it, and times from the restart until it has applied the leader's commit.
    private func restartAndCatchUp(_ cluster: BenchCluster, node: Int, observer: PadlockClient) async throws -> Duration
    {
        let statuses = try await observer.status()
        guard let target = statuses.first(where: { $0.role == .leader })?.commitIndex else {
            throw ValidationFailure("no leader before the restart")
        }
        cluster.kill9(node)
        let started = ContinuousClock.now
        try cluster.restart(node)
        while ContinuousClock.now - started < .seconds(300) {
            let views = (try? await observer.status()) ?? []
            if let view = views.first(where: { Int($0.node.rawValue) == node }), view.appliedIndex >= target {
                return ContinuousClock.now - started
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ValidationFailure("node \(node) did not catch up within 300 s")
    }

    private func progress(_ what: String, _ done: Int, of total: Int) {
        guard isatty(STDERR_FILENO) == 1 else { return }
        FileHandle.standardError.write(Data("\r\(what): \(done)/\(total)   ".utf8))
        if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func report(
        held: Int, loaded: Duration, resident: [Int], follower: Int, catchUp: Duration,
        recovery: (logOpen: Int, restore: Int)?
    ) {
        let megabytes = resident.map { String(format: "%.0f", Double($0) / 1_048_576) }
        let seconds = { (duration: Duration) in String(format: "%.2f", FailoverBenchmark.milliseconds(duration) / 1000)
        }
        if json {
            let parts = recovery.map { ",\"log_open_ms\":\($0.logOpen),\"restore_ms\":\($0.restore)" } ?? ""
            print(
                "{\"system\":\"padlock\",\"sessions\":\(sessions),\"locks\":\(held),\"load_s\":\(seconds(loaded)),"
                    + "\"resident_mb\":[\(megabytes.joined(separator: ","))],\"restart_catch_up_s\":\(seconds(catchUp))\(parts)}"
            )
        } else {
            let parts =
                recovery.map { " (of which opening the log \($0.logOpen) ms, restoring the table \($0.restore) ms)" }
                ?? ""
            print(
                "\(held) locks in \(sessions) sessions, loaded in \(seconds(loaded)) s; resident memory per node: "
                    + "\(megabytes.joined(separator: " / ")) MB; node \(follower) restarted and caught up in \(seconds(catchUp)) s\(parts)"
            )
        }
    }
}

/// Sends batches to whichever node leads, following leader changes: operations answered "not the leader" or
/// lost with a connection are sent again to the new leader. Every operation is safe to repeat (opens carry a
/// nonce, acquires a request id), so a retry is applied at most once.
final class Loader {
    private let ports: [Int]
    private var connection: PipelinedConnection?

    init(ports: [Int]) { self.ports = ports }

    func apply(_ operations: [ClientOperation]) throws -> [Result<ClientResult, ClientFailure>] {
        var answers = [Result<ClientResult, ClientFailure>?](repeating: nil, count: operations.count)
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let pending = answers.indices.filter { answers[$0] == nil }
            guard !pending.isEmpty else { return answers.map { $0! } }
            guard let leader = try? leaderConnection(),
                let replies = try? leader.exchange(pending.map { operations[$0] })
            else {
                connection = nil
                usleep(100_000)
                continue
            }
            for (slot, reply) in zip(pending, replies) {
                if case .failure(.notLeader) = reply { connection = nil } else { answers[slot] = reply }
            }
        }
        throw ValidationFailure("no leader served a batch within 60 s")
    }

    /// The connection to the node that says it leads.
    private func leaderConnection() throws -> PipelinedConnection {
        if let connection { return connection }
        for port in ports {
            guard let candidate = try? PipelinedConnection(host: "127.0.0.1", port: port),
                let answer = try? candidate.exchange([.status]).first,
                case .success(.status(let status)) = answer, status.role == .leader
            else { continue }
            connection = candidate
            return candidate
        }
        throw ValidationFailure("no node leads")
    }
}

import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Finding 7 of issue 18: `padlock lock KEY -- CMD` must be able to stop its command. The command used to start
/// with almost every signal blocked (Foundation's `Process`, started from a worker thread, passes that
/// thread's mask on), so the SIGTERM sent on Ctrl-C or on a lost lock never arrived, and the CLI spun in
/// `waitUntilExit`. `sleep` is the test command because it never touches its signal mask itself.
@Suite(.serialized) struct LockCommandTests {
    @Test("SIGTERM to `padlock lock KEY -- sleep 600` ends the sleep at once and releases the lock")
    func sigtermStopsTheCommand() async throws {
        let cluster = try LocalCluster(nodes: 1)
        defer { cluster.stop() }
        let cli = try StartedCLI(
            cluster, ["lock", "it/cli/sigterm", "--owner", "tester@it", "--grace", "120s", "--", "sleep", "600"])
        defer { cli.kill() }
        try cli.waitForOutput("locked it/cli/sigterm")
        let sleeper = try cli.child(named: "sleep")
        let status = try String(contentsOfFile: "/proc/\(sleeper)/status", encoding: .utf8)
        #expect(field("SigBlk", in: status) == 0, "the command starts with no signal blocked:\n\(status)")
        // Signals 1-31 (bits 0-30); glibc keeps 32 and 33 for itself, and no program may set them.
        #expect(field("SigIgn", in: status).map { $0 & 0x7fff_ffff } == 0, "and no signal ignored:\n\(status)")

        kill(cli.process.processIdentifier, SIGTERM)
        let stopped = ContinuousClock.now
        while isAlive(sleeper) && ContinuousClock.now - stopped < .seconds(2) { usleep(10_000) }
        #expect(!isAlive(sleeper), "sleep (pid \(sleeper)) still runs 2 s after SIGTERM to padlock")
        let exit = cli.waitForExit(timeout: 30)
        #expect(exit == 128 + SIGTERM, "padlock exits with the command's status: \(exit.map(String.init) ?? "running")")
        #expect(cli.output.contains("released it/cli/sigterm"), "\(cli.output)\n\(cli.errors)")
        let inspect = try await cluster.cli(["inspect", "it/cli/sigterm"])
        #expect(inspect.output.contains("it/cli/sigterm is free"), "\(inspect.output)\(inspect.errors)")
    }

    @Test("A lost lock (its session revoked) sends SIGTERM to a command that never unblocks signals")
    func lostLockStopsTheCommand() async throws {
        let cluster = try LocalCluster(nodes: 1)
        defer { cluster.stop() }
        let cli = try StartedCLI(
            cluster,
            ["lock", "it/cli/lost", "--owner", "tester@it", "--ttl", "2s", "--grace", "120s", "--", "sleep", "600"])
        defer { cli.kill() }
        let line = try cli.waitForOutput("locked it/cli/lost")
        let session = try #require(
            line.split(separator: " ").last.map { String($0.filter(\.isNumber)) }, "no session in \(line)")
        let sleeper = try cli.child(named: "sleep")

        let revoke = try await cluster.cli(["revoke-session", session, "--reason", "finding 7 regression test"])
        #expect(revoke.status == 0, "\(revoke.output)\(revoke.errors)")
        let exit = cli.waitForExit(timeout: 30)
        #expect(
            exit == 7, "padlock exits 7 when the lock is lost: \(exit.map(String.init) ?? "running")\n\(cli.errors)")
        #expect(!isAlive(sleeper), "sleep (pid \(sleeper)) survived the lost lock")
        #expect(cli.errors.contains("was lost"), "\(cli.errors)")
        #expect(!cli.errors.contains("SIGKILL"), "SIGTERM alone ended it (the grace is 120 s): \(cli.errors)")
    }

    @Test("`padlock lock KEY --takeover REASON` is granted at once with a fence above the previous holder's")
    func takeoverGrantsAtOnceWithAHigherFence() async throws {
        let cluster = try LocalCluster(nodes: 1)
        defer { cluster.stop() }
        let holder = try StartedCLI(
            cluster, ["lock", "it/cli/takeover", "--owner", "alice@it", "--grace", "120s", "--", "sleep", "600"])
        defer { holder.kill() }
        let line = try holder.waitForOutput("locked it/cli/takeover")
        let before = try #require(Self.fence(in: line), "no fence in \(line)")
        let sleeper = try holder.child(named: "sleep")

        let taken = try await cluster.cli([
            "lock", "it/cli/takeover", "--owner", "manager@it", "--takeover", "alice is on leave", "--", "true",
        ])
        #expect(taken.status == 0, "\(taken.output)\(taken.errors)")
        let granted = try #require(
            taken.output.split(separator: "\n").first { $0.hasPrefix("took over it/cli/takeover") },
            "\(taken.output)\(taken.errors)")
        let after = try #require(Self.fence(in: String(granted)), "no fence in \(granted)")
        #expect(after > before, "the takeover's fence \(after) is above the previous holder's \(before)")
        #expect(taken.output.contains("from alice@it"), "it says whom it took over from: \(taken.output)")
        // The previous holder is told at once: its command is stopped and it exits 7, naming who and why.
        let exit = holder.waitForExit(timeout: 60)
        #expect(exit == 7, "the previous holder exits 7: \(exit.map(String.init) ?? "running")\n\(holder.errors)")
        #expect(!isAlive(sleeper), "the previous holder's command (pid \(sleeper)) was stopped")
        #expect(holder.errors.contains("taken over by manager@it"), "\(holder.errors)")
        #expect(holder.errors.contains("alice is on leave"), "\(holder.errors)")

        let audit = try await cluster.cli(["audit"])
        #expect(audit.output.contains("takeover by manager@it"), "\(audit.output)\(audit.errors)")
        #expect(audit.output.contains("took it/cli/takeover from alice@it"), "\(audit.output)")
        #expect(audit.output.contains("alice is on leave"), "\(audit.output)")
    }

    /// The number after `fence ` in a line of `padlock lock`'s output.
    private static func fence(in line: String) -> UInt64? {
        guard let range = line.range(of: "fence ") else { return nil }
        return UInt64(line[range.upperBound...].prefix { $0.isNumber })
    }

    @Test("A command that cannot be started is reported with exit status 127, and the lock is released")
    func missingCommand() async throws {
        let cluster = try LocalCluster(nodes: 1)
        defer { cluster.stop() }
        let result = try await cluster.cli(["lock", "it/cli/missing", "--", "padlock-no-such-command-\(getpid())"])
        #expect(result.status == 127, "\(result.output)\(result.errors)")
        #expect(result.errors.contains("cannot run padlock-no-such-command"), "\(result.errors)")
        #expect(result.output.contains("released it/cli/missing"), "\(result.output)")
    }

    private func field(_ name: String, in status: String) -> UInt64? {
        let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
        return line.flatMap { UInt64($0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces), radix: 16) }
    }
}

/// Whether `pid` names a process that has not ended (a zombie counts as ended).
func isAlive(_ pid: pid_t) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    guard let close = stat.lastIndex(of: ")") else { return false }
    return !stat[close...].hasPrefix(") Z")
}

/// The `padlock` CLI running in the background against a cluster, its output collected as it comes.
final class StartedCLI: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var collected = ["", ""]
    /// Children found with ``child(named:)``, killed with the CLI when a test ends early.
    private var children: [pid_t] = []

    init(_ cluster: LocalCluster, _ arguments: [String]) throws {
        process.executableURL = Binaries.padlock
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PADLOCK_ENDPOINTS"] = cluster.endpointList
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        for (index, pipe) in [Pipe(), Pipe()].enumerated() {
            if index == 0 { process.standardOutput = pipe } else { process.standardError = pipe }
            pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let text = String(decoding: handle.availableData, as: UTF8.self)
                guard let self else { return }
                self.lock.lock()
                self.collected[index] += text
                self.lock.unlock()
            }
        }
        try process.run()
    }

    var output: String { lock.lock(); defer { lock.unlock() }; return collected[0] }
    var errors: String { lock.lock(); defer { lock.unlock() }; return collected[1] }

    /// Waits (up to 60 s) for a line of output containing `text`, after the line `after` when given; returns
    /// the line.
    @discardableResult
    func waitForOutput(_ text: String, after: String? = nil) throws -> String {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            var lines = output.split(separator: "\n").map(String.init)
            if let after { lines = lines.firstIndex(of: after).map { Array(lines[($0 + 1)...]) } ?? [] }
            if let line = lines.first(where: { $0.contains(text) }) { return line }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        throw ClusterError("padlock did not print \"\(text)\": \(output)\n\(errors)")
    }

    /// The pid of this process's child whose command name is `name`, waiting up to 30 s for it to appear.
    func child(named name: String) throws -> pid_t {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
                guard let pid = pid_t(entry),
                    let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                    let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
                else { continue }
                let command = stat[stat.index(after: open)..<close]
                let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
                if command == name, fields.count > 1, pid_t(fields[1]) == process.processIdentifier {
                    lock.lock()
                    children.append(pid)
                    lock.unlock()
                    return pid
                }
            }
            usleep(20_000)
        }
        throw ClusterError("padlock (pid \(process.processIdentifier)) has no child named \(name)")
    }

    /// The exit status once the process has ended, nil if it still runs after `timeout` seconds.
    func waitForExit(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        lock.lock()
        let found = children
        lock.unlock()
        for pid in found where isAlive(pid) { Glibc.kill(pid, SIGKILL) }
    }
}

/// The grace period: a command that ignores SIGTERM gets SIGKILL once it is over.
@Suite(.serialized) struct LockCommandGraceTests {
    @Test("A command that ignores SIGTERM is killed after --grace, and padlock still releases the lock")
    func stubbornCommandIsKilled() async throws {
        let cluster = try LocalCluster(nodes: 1)
        defer { cluster.stop() }
        // The shell ignores TERM and waits on a `sleep` it started, which is killed with it.
        let cli = try StartedCLI(
            cluster,
            [
                "lock", "it/cli/stubborn", "--grace", "1s", "--", "sh", "-c",
                "trap '' TERM; echo ready; while :; do sleep 1; done",
            ])
        defer { cli.kill() }
        try cli.waitForOutput("ready")
        let shell = try cli.child(named: "sh")
        kill(cli.process.processIdentifier, SIGTERM)
        let exit = cli.waitForExit(timeout: 30)
        #expect(exit == 128 + SIGKILL, "\(exit.map(String.init) ?? "running"): \(cli.errors)")
        #expect(!isAlive(shell))
        #expect(cli.errors.contains("sending SIGKILL"), "\(cli.errors)")
        #expect(cli.output.contains("released it/cli/stubborn"), "\(cli.output)")
    }
}

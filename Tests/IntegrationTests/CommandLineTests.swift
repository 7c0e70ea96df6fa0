import Foundation
import PadlockTypes
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 18, finding 6 and the CLI items: the commands the docs show parse, `padlock status` names a node
/// that does not answer and says so in its exit status, `padlock dev` notices a node that died, and runtime
/// failures print a message rather than a usage text.
@Suite(.serialized) struct CommandLineTests {
    @Test("Every `padlock …` command in README.md, docs/ and deploy/ parses (global options before the command too)")
    func documentedCommandsParse() async throws {
        let commands = try Self.documentedCommands()
        #expect(commands.contains { $0.first == "--endpoints" }, "the docs' `padlock --endpoints … status` is checked")
        #expect(commands.count >= 10, "\(commands)")
        for command in commands {
            let result = try await runCommand(Binaries.padlock, command, environment: ["PADLOCK_CHECK_ARGUMENTS": "1"])
            #expect(result.status == 0, "padlock \(command.joined(separator: " ")): \(result.output)\(result.errors)")
        }
    }

    @Test("Connection options go before or after the command, down to member's subcommands")
    func globalOptionsAreMoved() async throws {
        for command in [
            ["--endpoints", "127.0.0.1:1", "status"],
            ["--endpoints=127.0.0.1:1", "--timeout", "1s", "status", "--json"],
            ["--token", "t", "member"], ["--token", "t", "member", "list"],
            ["--tls-ca", "ca.pem", "lock", "k", "--", "true"],
            ["status", "--endpoints", "127.0.0.1:1"],
        ] {
            let result = try await runCommand(Binaries.padlock, command, environment: ["PADLOCK_CHECK_ARGUMENTS": "1"])
            #expect(result.status == 0, "padlock \(command.joined(separator: " ")): \(result.errors)")
        }
        let wrong = try await runCommand(Binaries.padlock, ["--endpoints", "127.0.0.1:1", "dev"])
        #expect(wrong.status == 64 && wrong.errors.contains("Usage"), "dev takes no --endpoints: \(wrong.errors)")
    }

    @Test("padlock --version prints the release")
    func version() async throws {
        let result = try await runCommand(Binaries.padlock, ["--version"])
        #expect(result.status == 0)
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == PadlockRelease.version)
    }

    @Test("padlock --help and a subcommand's --help print the help and exit 0")
    func helpIsPrinted() async throws {
        let root = try await runCommand(Binaries.padlock, ["--help"])
        #expect(root.status == 0, "\(root.errors)")
        #expect(root.output.contains("OVERVIEW: Take, inspect and administer"), "\(root.output)\(root.errors)")
        #expect(!root.errors.contains("CommandError"), "\(root.errors)")
        let hold = try await runCommand(Binaries.padlock, ["hold", "place", "--help"])
        #expect(hold.status == 0, "\(hold.errors)")
        #expect(hold.output.contains("--exempt-role"), "\(hold.output)\(hold.errors)")
    }

    @Test("A failure while running prints a message and exits non-zero, without the usage text")
    func runtimeErrorsAreMessages() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "padlock-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let failed = try await runCommand(
            Binaries.padlock,
            [
                "dev", "--dir", directory.path, "--nodes", "1", "--base-port", "\(Ports.base())", "--padlockd",
                "/bin/false",
            ])
        #expect(failed.status == 1, "\(failed.errors)")
        #expect(failed.errors.contains("node 1") && failed.errors.contains("exited with status 1"), "\(failed.errors)")
        #expect(!failed.errors.contains("USAGE") && !failed.errors.contains("Usage"), "\(failed.errors)")
        let unreachable = try await runCommand(
            Binaries.padlock, ["inspect", "acme/x", "--endpoints", "127.0.0.1:1", "--timeout", "1s"])
        #expect(unreachable.status == 4, "\(unreachable.errors)")
        #expect(!unreachable.errors.contains("Usage"), "\(unreachable.errors)")
        let badToken = directory.appendingPathComponent("token")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "secret-token\n".write(to: badToken, atomically: true, encoding: .utf8)
        #expect(chmod(badToken.path, 0o644) == 0)
        let refused = try await runCommand(
            Binaries.padlock, ["status", "--endpoints", "127.0.0.1:1", "--token-file", badToken.path])
        #expect(refused.status == 5, "\(refused.errors)")
        #expect(refused.errors.contains("chmod 600 \(badToken.path)"), "\(refused.errors)")
    }

    @Test("padlock status names the node that does not answer and exits 10; 0 when all answer")
    func statusNamesASilentNode() async throws {
        let cluster = try LocalCluster()
        defer { cluster.stop() }
        let healthy = try await cluster.cli(["status"])
        #expect(healthy.status == 0, "\(healthy.output)\(healthy.errors)")
        #expect(healthy.output.contains("leader"), "\(healthy.output)")
        cluster.signal(3, SIGKILL)
        #expect(cluster.waitForExit(3))
        // Until the two others agree on a leader (node 3 may have led): then exit 10 names node 3.
        var degraded = try await cluster.cli(["status", "--timeout", "2s"])
        let deadline = Date().addingTimeInterval(30)
        while degraded.status != 10 && Date() < deadline {
            usleep(200_000)
            degraded = try await cluster.cli(["status", "--timeout", "2s"])
        }
        #expect(degraded.status == 10, "\(degraded.output)\(degraded.errors)")
        #expect(
            degraded.errors.contains("node 3 at 127.0.0.1:\(cluster.clientPort(3)) did not answer"),
            "\(degraded.errors)")
        #expect(degraded.output.contains("leader"), "the nodes that answered are still shown: \(degraded.output)")
    }

    @Test("padlock dev's hints name the padlock it ran as, so each works as printed from where it was started")
    func devHintsWorkAsPrinted() async throws {
        let cluster = try LocalCluster()
        defer { cluster.stop() }
        var hints: [Substring] = []
        let deadline = Date().addingTimeInterval(30)
        while hints.isEmpty && Date() < deadline {
            let log = cluster.log("dev.log")
            if let start = log.range(of: "Try, in another terminal:\n") {
                let lines = log[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
                hints = Array(lines.prefix { !$0.isEmpty })
            } else {
                usleep(100_000)
            }
        }
        #expect(hints.count >= 5, "\(cluster.log("dev.log"))")
        for hint in hints {
            let program = hint.split(separator: " ").first.map(String.init) ?? ""
            #expect(program == Binaries.padlock.path, "a hint that would not run as printed: \(hint)")
        }
        // Not on the PATH here, so the hints name the path it was started by; `padlock` alone after `make install`.
        let status = try await cluster.cli(["status"])
        #expect(status.status == 0, "\(status.output)\(status.errors)")
    }

    @Test("padlock dev notices a node that died: the end of its log, the others stopped, exit status 1")
    func devNoticesADeadNode() throws {
        let run = try DevRun(nodes: 3)
        defer { run.stop() }
        let pids = (1...3).compactMap(run.pid)
        #expect(pids.count == 3)
        kill(pids[1], SIGKILL)
        let status = run.waitForExit(timeout: 60)
        #expect(status == 1, "padlock dev exited \(status.map(String.init) ?? "(still running)"): \(run.errors)")
        #expect(run.errors.contains("node 2 (pid \(pids[1])) was killed by signal 9"), "\(run.errors)")
        #expect(run.errors.contains("node 2 | "), "the end of node 2's log is shown: \(run.errors)")
        for pid in [pids[0], pids[2]] { #expect(!isAlive(pid), "node pid \(pid) still runs") }
    }

    @Test("padlock dev gives an existing directory without a cluster secret one, and the cluster starts")
    func devAddsASecretToAnOldDirectory() throws {
        let first = try DevRun(nodes: 3)
        first.stop()
        let secret = first.directory.appendingPathComponent("cluster-secret")
        try FileManager.default.removeItem(at: secret)
        for node in 1...3 {
            let file = first.directory.appendingPathComponent("node-\(node)/padlockd.toml")
            let text = try String(contentsOf: file, encoding: .utf8)
            let old = text.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("[security]") && !$0.hasPrefix("cluster-secret-file") }
            try old.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        }
        let second = try DevRun(nodes: 3, directory: first.directory, basePort: first.basePort)
        defer {
            second.stop()
            try? FileManager.default.removeItem(at: first.directory)
        }
        var info = stat()
        #expect(stat(secret.path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        for node in 1...3 {
            let text = try String(
                contentsOf: first.directory.appendingPathComponent("node-\(node)/padlockd.toml"), encoding: .utf8)
            #expect(text.contains("cluster-secret-file = \"\(secret.path)\""), "\(text)")
        }
    }

    /// Every command line `padlock …` in the fenced blocks of README.md, docs/*.md and deploy/README.md, and
    /// every inline one with an option (synopses with `[…]` left out), as arguments after `padlock`.
    static func documentedCommands() throws -> [[String]] {
        let root = Binaries.packageRoot
        var files = [root.appendingPathComponent("README.md"), root.appendingPathComponent("deploy/README.md")]
        let docs = root.appendingPathComponent("docs")
        for name in try FileManager.default.contentsOfDirectory(atPath: docs.path) where name.hasSuffix(".md") {
            files.append(docs.appendingPathComponent(name))
        }
        var commands: [[String]] = []
        for file in files {
            var fenced = false
            for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("```") {
                    fenced.toggle()
                    continue
                }
                if fenced, trimmed.hasPrefix("padlock ") {
                    commands.append(Array(shellWords(trimmed).dropFirst()))
                } else if !fenced {
                    for span in trimmed.split(separator: "`", omittingEmptySubsequences: false).enumerated()
                    where span.offset % 2 == 1 && span.element.hasPrefix("padlock ") && span.element.contains(" --")
                        && !span.element.contains("[")
                    {
                        commands.append(Array(shellWords(String(span.element)).dropFirst()))
                    }
                }
            }
        }
        return commands
    }

    /// Words as a shell splits them: spaces separate, double and single quotes group, `#` starts a comment.
    static func shellWords(_ text: String) -> [String] {
        var words: [String] = []
        var word = ""
        var quote: Character?
        var inWord = false
        for character in text {
            if let open = quote {
                if character == open { quote = nil } else { word.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
                inWord = true
            } else if character == " " {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else if character == "#" && !inWord {
                break
            } else {
                word.append(character)
                inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }
}

/// `padlock dev` run directly (not through LocalCluster, which passes --keep-going), its errors collected.
final class DevRun: @unchecked Sendable {
    let directory: URL
    let basePort: Int
    private let process = Process()
    private let errorsFile: URL

    init(nodes: Int, directory: URL? = nil, basePort: Int? = nil) throws {
        self.directory =
            directory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("padlock-devrun-\(UUID().uuidString)")
        self.basePort = basePort ?? Ports.base()
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        errorsFile = self.directory.appendingPathComponent("dev-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: errorsFile.path, contents: nil)
        process.executableURL = Binaries.padlock
        process.arguments = [
            "dev", "--dir", self.directory.path, "--nodes", "\(nodes)", "--base-port", "\(self.basePort)",
            "--padlockd", Binaries.padlockd.path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errorsFile)
        try process.run()
        let endpoints = self.directory.appendingPathComponent("endpoints")
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: endpoints.path) {
            guard process.isRunning, Date() < deadline else {
                throw ClusterError("padlock dev did not publish endpoints: \(errors)")
            }
            usleep(50_000)
        }
    }

    var errors: String { (try? String(contentsOf: errorsFile, encoding: .utf8)) ?? "" }

    func pid(_ node: Int) -> pid_t? {
        let text = try? String(contentsOf: directory.appendingPathComponent("node-\(node)/pid"), encoding: .utf8)
        return text.flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    func waitForExit(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// SIGTERM to padlock dev (which stops its nodes), and waits for it.
    func stop() {
        terminate([process])
    }
}

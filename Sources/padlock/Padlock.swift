// padlock: the operator's and developer's command line for a Padlock cluster (docs/operations.md).
import ArgumentParser
import Foundation
import Logging
import PadlockClient
import PadlockSecurity
import PadlockTypes

/// Exit codes a script can act on; each failure code of the client library has its own.
enum ExitStatus: Int32 {
    case ok = 0
    case failure = 1
    case held = 3
    case unavailable = 4
    case invalidArgument = 5
    case permissionDenied = 6
    case lockLost = 7
    case outcomeUnknown = 8
    case cancelled = 9
    /// `padlock status`: a node did not answer, though a leader is known.
    case degraded = 10

    init(_ error: PadlockError) {
        switch error.code {
        // A hold refuses like a holder does: someone else decides when the key is free again.
        case .held, .restricted: self = .held
        case .unavailable: self = .unavailable
        case .invalidArgument: self = .invalidArgument
        case .permissionDenied: self = .permissionDenied
        case .lockLost, .sessionExpired: self = .lockLost
        case .outcomeUnknown: self = .outcomeUnknown
        case .cancelled: self = .cancelled
        }
    }
}

@main
struct Padlock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "padlock",
        abstract: "Take, inspect and administer fenced locks on a Padlock cluster.",
        discussion: """
            Endpoints come from --endpoints, else PADLOCK_ENDPOINTS, else .padlock-dev/endpoints (written by \
            `padlock dev`), else 127.0.0.1:7401,127.0.0.1:7402,127.0.0.1:7403.
            The client token comes from --token or --token-file, else PADLOCK_TOKEN or PADLOCK_TOKEN_FILE (none \
            for an open development cluster); a token file must not be readable by group or others.
            TLS is used when --tls-ca (else PADLOCK_TLS_CA) names the CA bundle the nodes' certificates are \
            checked against; --tls-cert and --tls-key (else PADLOCK_TLS_CERT, PADLOCK_TLS_KEY) give a client \
            certificate when the cluster asks for one. Without them the connection is plaintext.
            These connection options may come before the command (padlock --endpoints A,B,C status) or after it.
            Exit codes: 0 ok, 1 other failure, 3 held by another or refused by a hold, 4 unavailable, 5 invalid input, \
            6 permission denied, 7 lock lost or session expired, 8 outcome unknown, 9 cancelled, \
            10 a node did not answer (status), 64 wrong arguments.
            """,
        version: PadlockRelease.version,
        subcommands: [
            Dev.self, Status.self, LockCommand.self, Watch.self, Inspect.self, List.self, CheckFence.self,
            Unlock.self, RevokeSession.self, Audit.self, HoldCommand.self, Member.self, Token.self,
            BackupCommand.self,
        ])

    /// Parses the arguments (wrong ones print the usage), then runs the command; a failure while running
    /// prints its message, never the usage. With PADLOCK_CHECK_ARGUMENTS=1 it only parses, and prints the
    /// command it would run (for the test that checks every command the docs show).
    static func main() async {
        // Ctrl-C and SIGTERM must reach us even when a parent started us with them blocked.
        SignalLatch.unblock([SIGINT, SIGTERM])
        let arguments = GlobalOptions.reordered(Array(CommandLine.arguments.dropFirst()))
        let command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            exit(withError: error)
        }
        if ProcessInfo.processInfo.environment["PADLOCK_CHECK_ARGUMENTS"] == "1" {
            print("parsed \(type(of: command)._commandName)")
            return
        }
        do {
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                var synchronous = command
                try synchronous.run()
            }
        } catch let exit as ExitCode {
            Self.exit(withError: exit)
        } catch  where type(of: command)._commandName == "help" {
            // `--help` parses as the parser's own help command, which reports the help it was asked for as an
            // error: the parser prints it as usage, with exit status 0.
            Self.exit(withError: error)
        } catch {
            FileHandle.standardError.write(Data("padlock: \(error)\n".utf8))
            Self.exit(withError: ExitCode.failure)
        }
    }
}

/// The connection options a command takes, accepted before the command's name too: `padlock --endpoints
/// A,B,C status` is read as `padlock status --endpoints A,B,C`, as docs/operations.md writes it.
enum GlobalOptions {
    /// The options of ``ConnectionOptions``; each takes a value.
    static let names: Set<String> = [
        "--endpoints", "--cluster", "--timeout", "--token", "--token-file", "--tls-ca", "--tls-cert", "--tls-key",
    ]

    /// `arguments` with the connection options that come before the command moved to just after its full
    /// name (`member list`, say); unchanged when none comes first.
    static func reordered(_ arguments: [String], root: ParsableCommand.Type = Padlock.self) -> [String] {
        var moved: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            guard names.contains(name) else { break }
            moved.append(argument)
            let takesNext = !argument.contains("=") && index + 1 < arguments.count
            if takesNext { moved.append(arguments[index + 1]) }
            index += takesNext ? 2 : 1
        }
        guard !moved.isEmpty else { return arguments }
        let rest = Array(arguments[index...])
        var depth = 0
        var command = root
        while depth < rest.count,
            let next = command.configuration.subcommands.first(where: { $0._commandName == rest[depth] })
        {
            command = next
            depth += 1
        }
        var head = Array(rest[..<depth])
        // `padlock --endpoints … member` means its default subcommand, which is the one taking the options.
        if depth == rest.count, let standard = command.configuration.defaultSubcommand {
            head.append(standard._commandName)
        }
        return head + moved + Array(rest[depth...])
    }
}

/// Options every command that talks to the cluster shares.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Comma-separated host:port list of the nodes' client ports.")
    var endpoints: String?
    @Option(help: "Cluster id the nodes were configured with (0: do not check).")
    var cluster: UInt64 = 0
    @Option(help: "Overall deadline of each call, such as 5s.")
    var timeout: String = "5s"
    @Option(help: "The client token, when the cluster asks for one (else PADLOCK_TOKEN; see docs/security.md).")
    var token: String?
    @Option(help: "A file holding the client token, mode 600 (else PADLOCK_TOKEN_FILE); safer than --token.")
    var tokenFile: String?
    @Option(help: "CA bundle (PEM) to verify the nodes' TLS certificates; turns TLS on (else PADLOCK_TLS_CA).")
    var tlsCA: String?
    @Option(help: "Client certificate chain (PEM) for clusters that ask for one (else PADLOCK_TLS_CERT).")
    var tlsCert: String?
    @Option(help: "Private key (PEM) of --tls-cert (else PADLOCK_TLS_KEY).")
    var tlsKey: String?

    func validate() throws {
        guard parseDuration(timeout) != nil else {
            throw ValidationError("--timeout takes a duration such as 500ms, 5s or 1m; got \(timeout)")
        }
    }

    /// TLS settings from the flags, else the environment; nil (plaintext) when none is given.
    var tls: PadlockClient.TLSConfiguration? {
        tlsConfiguration(caFile: tlsCA, certificateFile: tlsCert, keyFile: tlsKey)
    }

    /// The token's bytes for the handshake: --token, else --token-file, else PADLOCK_TOKEN, else
    /// PADLOCK_TOKEN_FILE, else none (an open cluster). A token file readable by group or others is refused.
    func credentials() throws(PadlockError) -> [UInt8] {
        let environment = ProcessInfo.processInfo.environment
        if let token { return Array(token.utf8) }
        if let tokenFile { return try Self.readToken(tokenFile) }
        if let token = environment["PADLOCK_TOKEN"], !token.isEmpty { return Array(token.utf8) }
        if let file = environment["PADLOCK_TOKEN_FILE"], !file.isEmpty { return try Self.readToken(file) }
        return []
    }

    /// The token in `path`, without a trailing newline.
    static func readToken(_ path: String) throws(PadlockError) -> [UInt8] {
        do {
            var bytes = try SecretFile.read(path, what: "token file", sizeMax: 4_096)
            while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
            return bytes
        } catch {
            throw PadlockError(.invalidArgument, error.description)
        }
    }

    var endpointList: [String] {
        if let endpoints { return Self.split(endpoints) }
        if let environment = ProcessInfo.processInfo.environment["PADLOCK_ENDPOINTS"], !environment.isEmpty {
            return Self.split(environment)
        }
        if let text = try? String(contentsOfFile: ".padlock-dev/endpoints", encoding: .utf8) {
            let found = Self.split(text)
            if !found.isEmpty { return found }
        }
        return ["127.0.0.1:7401", "127.0.0.1:7402", "127.0.0.1:7403"]
    }

    static func split(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
    }

    /// A client for these endpoints, quiet unless PADLOCK_LOG_LEVEL asks for more.
    func client(
        owner: String, ttl: Duration? = nil, attemptTimeout: Duration? = nil
    ) async throws(PadlockError) -> PadlockClient {
        var configuration = PadlockClient.Configuration()
        if let deadline = parseDuration(timeout) { configuration.callDeadline = deadline }
        if let attemptTimeout {
            // One long attempt (a backup's answer waits for the encoding): the call's deadline is the same.
            configuration.attemptTimeout = attemptTimeout
            configuration.callDeadline = max(configuration.callDeadline, attemptTimeout)
        }
        if let ttl { configuration.sessionTTL = ttl }
        configuration.tls = tls
        var logger = Logger(label: "padlock.cli")
        logger.logLevel =
            ProcessInfo.processInfo.environment["PADLOCK_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .error
        return try await PadlockClient(
            endpoints: endpointList, owner: owner, credentials: try credentials(), cluster: cluster,
            configuration: configuration, logger: logger)
    }
}

/// TLS settings from the given flags, else PADLOCK_TLS_CA, PADLOCK_TLS_CERT and PADLOCK_TLS_KEY; nil
/// (plaintext) when none of the three is set.
func tlsConfiguration(
    caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil
)
    -> PadlockClient.TLSConfiguration?
{
    let environment = ProcessInfo.processInfo.environment
    func pick(_ flag: String?, _ name: String) -> String? {
        if let flag, !flag.isEmpty { return flag }
        if let value = environment[name], !value.isEmpty { return value }
        return nil
    }
    let ca = pick(caFile, "PADLOCK_TLS_CA")
    let certificate = pick(certificateFile, "PADLOCK_TLS_CERT")
    let key = pick(keyFile, "PADLOCK_TLS_KEY")
    guard ca != nil || certificate != nil || key != nil else { return nil }
    return PadlockClient.TLSConfiguration(caFile: ca, certificateFile: certificate, keyFile: key)
}

/// The owner label a command acts under by default: `user@host`.
var defaultOwner: String {
    let user = ProcessInfo.processInfo.environment["USER"] ?? "operator"
    return "\(user)@\(ProcessInfo.processInfo.hostName)"
}

/// `500ms`, `2s`, `1m`, `1h` (or a bare number of seconds).
func parseDuration(_ text: String) -> Duration? {
    let units: [(String, Int64)] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000)]
    for (suffix, milliseconds) in units where text.hasSuffix(suffix) {
        guard let value = Int64(text.dropLast(suffix.count)), value >= 0 else { return nil }
        return .milliseconds(value * milliseconds)
    }
    return Int64(text).map { .seconds($0) }
}

/// Runs `body` with a client, closes the client on every path, and turns a failure into its message on
/// standard error and its exit status.
func withClient(
    _ connection: ConnectionOptions, owner: String = defaultOwner, ttl: Duration? = nil,
    attemptTimeout: Duration? = nil, _ body: (PadlockClient) async throws(PadlockError) -> Void
) async throws {
    let failure: PadlockError?
    do {
        let client = try await connection.client(owner: owner, ttl: ttl, attemptTimeout: attemptTimeout)
        do {
            try await body(client)
            failure = nil
        } catch {
            failure = error
        }
        await client.close()
    } catch {
        failure = error
    }
    if let failure {
        let text: String
        if case .held = failure.code, !failure.conflicts.isEmpty {
            text = Formatting.held(failure)
        } else if case .restricted(let hold) = failure.code {
            text =
                failure.message + "\nto edit it anyway: lock with --role of an exempt role, or ask an administrator "
                + "to lift the hold (padlock hold lift \(hold.key) --rule '\(hold.rule)' --reason TEXT)"
        } else {
            text = failure.message
        }
        FileHandle.standardError.write(Data("padlock: \(text)\n".utf8))
        throw ExitCode(ExitStatus(failure).rawValue)
    }
}

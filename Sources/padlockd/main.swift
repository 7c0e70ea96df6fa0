// padlockd: one node of a Padlock cluster. Reads its configuration file (docs/configuration.md), applies
// command-line overrides, and serves until SIGTERM or SIGINT.
//
// Exit codes: 0 after a clean shutdown, 1 when storage failed or the data could not be recovered (fail-stop),
// 2 when the configuration is invalid (the message names the field) or the data directory cannot be used (an
// empty one without --bootstrap or join = true among them).
import ArgumentParser
import Foundation
import LockTable
import Logging
import PadlockConfig
import PadlockSecurity
import Server

struct Padlockd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "padlockd", abstract: "Run one node of a Padlock cluster.",
        discussion: "Exit status: 0 clean shutdown, 1 storage failure (fail-stop), 2 invalid configuration or "
            + "unusable data directory (an empty one starts only with --bootstrap or join = true).",
        subcommands: [Restore.self, Recover.self])

    @Option(help: "The configuration file (TOML; see docs/configuration.md); PADLOCK_CONFIG when not given.")
    var config: String?
    @Option(help: "Override node-id.") var nodeID: String?
    @Option(help: "Override data-dir.") var dataDir: String?
    @Option(help: "Override client-listen (host:port).") var clientListen: String?
    @Option(help: "Override peer-listen (host:port).") var peerListen: String?
    @Option(help: "Override admin-listen (host:port).") var adminListen: String?
    @Option(help: "Override log-level (trace, debug, info, notice, warning, error, critical).") var logLevel: String?
    @Flag(help: "Start as a new node waiting to be added with `padlock member add` (no bootstrap).") var join = false
    @Flag(help: ArgumentHelp(Self.bootstrapHelp)) var bootstrap = false

    static let bootstrapHelp =
        "This is the first start of a brand-new cluster: initialise an empty data directory as one of its founding "
        + "members. Ignored when the directory already holds data. Never use it for a node that lost its data "
        + "(remove it and add it back with join = true)."

    /// The configuration file's path: `--config`, else the environment's `PADLOCK_CONFIG`. The variable is for
    /// launchers that cannot pass arguments, such as a program started under libfaketime's LD_PRELOAD, where a
    /// Swift executable sees no command line (chaos/README.md).
    var configPath: String {
        config ?? ProcessInfo.processInfo.environment["PADLOCK_CONFIG"] ?? ""
    }

    func settings() throws(ConfigError) -> PadlockdSettings {
        let config = configPath
        guard !config.isEmpty else {
            throw ConfigError(
                code: .missingField, field: "--config", message: "give --config FILE or set PADLOCK_CONFIG")
        }
        guard let data = FileManager.default.contents(atPath: config) else {
            throw ConfigError(code: .missingField, field: "--config", message: "cannot read \(config)")
        }
        var settings = try PadlockdSettings.parse(tomlUTF8: Array(data))
        try settings.apply(
            overrides: .init(
                nodeID: nodeID, dataDirectory: dataDir, clientListen: clientListen, peerListen: peerListen,
                adminListen: adminListen, logLevel: logLevel, join: join ? true : nil))
        return settings
    }

    /// The settings, checked by `check` as well; an invalid configuration is reported on standard error and
    /// ends the command with status 2, for a start as for `restore` and `recover`.
    func settingsOrExit(_ check: (PadlockdSettings) throws -> Void = { _ in }) throws -> PadlockdSettings {
        do {
            let settings = try self.settings()
            try check(settings)
            return settings
        } catch {
            FileHandle.standardError.write(Data("padlockd: invalid configuration \(configPath): \(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    /// Now in milliseconds since the Unix epoch: what a restored or recovered node counts its leases from (the
    /// state machine itself reads no clock).
    static var nowMilliseconds: UInt64 { UInt64(max(0, Date().timeIntervalSince1970 * 1_000)) }

    func run() throws {
        let settings = try settingsOrExit { try $0.checkPeerAuthentication() }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: settings.logLevel.rawValue) ?? .info
            return handler
        }
        var logger = Logger(label: "padlockd")
        logger[metadataKey: "node"] = "\(settings.nodeID)"
        var server = ServerSettings(settings)
        server.bootstrap = bootstrap
        do {
            server.clusterSecret = try settings.security.clusterSecretFile.map(Self.readSecret)
            if let key = settings.tls?.keyFile {
                try Self.checkSecretMode(key, field: "tls.key-file", what: "TLS private key")
            }
            server.tls = try settings.tls.map(ServerTLS.init)
        } catch {
            FileHandle.standardError.write(Data("padlockd: invalid configuration \(configPath): \(error)\n".utf8))
            throw ExitCode(2)
        }
        let reread = self
        server.reloadClients = { () -> Result<ClientDirectory, ReloadError> in
            do {
                return .success(ClientDirectory(try reread.settings().security))
            } catch {
                return .failure(ReloadError("\(reread.configPath): \(error)"))
            }
        }
        let code = ServerHost.run(settings: server, logger: logger)
        if code != 0 { throw ExitCode(code) }
    }
}

extension Padlockd {
    /// The cluster secret file's bytes: at least 32 of them, so that the secret cannot be guessed, in a file
    /// only its owner can read.
    static func readSecret(_ path: String) throws(ConfigError) -> [UInt8] {
        let field = "security.cluster-secret-file"
        let minimum = PadlockdSettings.Security.clusterSecretByteCountMin
        let maximum = PadlockdSettings.Security.clusterSecretByteCountMax
        let bytes: [UInt8]
        do {
            bytes = try SecretFile.read(path, what: "cluster secret file", sizeMax: maximum)
        } catch {
            throw ConfigError(code: .invalidValue, field: field, message: "`\(field)`: \(error)")
        }
        guard bytes.count >= minimum else {
            throw ConfigError(
                code: .invalidValue, field: field,
                message: "`\(field)` \(path) holds \(bytes.count) bytes; a cluster secret must "
                    + "be \(minimum) to \(maximum) bytes (e.g. `head -c 32 /dev/urandom > \(path)`)")
        }
        return bytes
    }

    /// Refuses a secret file (a TLS private key) that group or others can read.
    static func checkSecretMode(_ path: String, field: String, what: String) throws(ConfigError) {
        do {
            try SecretFile.checkMode(path, what: what)
        } catch {
            throw ConfigError(code: .invalidValue, field: field, message: "`\(field)`: \(error)")
        }
    }
}

extension ClientDirectory {
    /// The node's view of the `[[clients]]` entries.
    init(_ security: PadlockdSettings.Security) {
        self.init(
            security.clients.map { client in
                let namespaces: Set<String>? = client.namespaces == ["*"] ? nil : Set(client.namespaces)
                let identity = ClientIdentity(
                    name: client.name, role: client.role, namespaces: namespaces, enabled: client.enabled,
                    sessionsMax: client.sessionsMax,
                    takeoverNamespaces: client.takeover == ["*"] ? nil : Set(client.takeover),
                    holdNamespaces: client.holds == ["*"] ? nil : Set(client.holds))
                return (identity, client.tokenSHA256)
            })
    }
}

extension ServerSettings {
    /// The runtime's settings from the checked configuration.
    init(_ file: PadlockdSettings) {
        self.init(
            clusterID: file.clusterID, nodeID: file.nodeID, dataDirectory: file.dataDirectory,
            clientListen: file.clientListen, peerListen: file.peerListen, adminListen: file.adminListen,
            join: file.join,
            members: file.members)
        node.sessionTTLMillisecondsMin = file.sessions.ttlMillisecondsMin
        node.sessionTTLMillisecondsMax = file.sessions.ttlMillisecondsMax
        node.lockTable = LockTableConfiguration(
            sessionCountMax: file.limits.sessionCountMax, locksPerSessionMax: file.limits.locksPerSessionMax,
            heldLockCountMax: file.limits.heldLockCountMax, waitersPerKeyMax: file.limits.waitersPerKeyMax,
            waiterCountMax: file.limits.waiterCountMax, auditRecordCountMax: file.limits.auditRecordCountMax,
            lockDelayMillisecondsDefault: file.lockDelay.millisecondsDefault,
            lockDelayMillisecondsByNamespace: file.lockDelay.millisecondsByNamespace)
        node.pendingRequestsMax = file.limits.pendingRequestsMax
        node.watchesPerConnectionMax = file.limits.watchesPerConnectionMax
        node.lossRingCapacity = file.limits.lossRingCapacity
        clientConnectionsMax = file.limits.clientConnectionsMax
        node.tickMilliseconds = file.raft.tickMilliseconds
        node.raft.electionTicks = file.raft.electionTicks
        node.raft.heartbeatTicks = file.raft.heartbeatTicks
        node.snapshotEntryThreshold = file.raft.snapshotEntryThreshold
        peerRoutes = file.peerRoutes
        clients = ClientDirectory(file.security)
        quotas = file.quotas
        connections.handshakeTimeout = .milliseconds(Int64(file.connections.handshakeTimeoutMilliseconds))
        let idle = file.connections.clientIdleTimeoutMilliseconds
        connections.clientIdleTimeout = idle == 0 ? nil : .milliseconds(Int64(idle))
        connections.clientPendingMax = file.connections.pendingClients
        connections.clientPendingPerAddressMax = file.connections.pendingClientsPerAddress
        connections.adminRequestTimeout = .milliseconds(Int64(file.connections.adminRequestTimeoutMilliseconds))
    }
}

Padlockd.main()

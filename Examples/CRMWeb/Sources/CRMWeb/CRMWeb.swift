import Foundation
import Hummingbird
import Logging
import PadlockClient
import ServiceLifecycle

/// The CRM in a browser: a Hummingbird app server whose reps edit contacts and deals under Padlock locks, with
/// live padlocks over Server-Sent Events. See README.md.
@main
struct CRMWeb {
    static func main() async {
        let options: Options
        do {
            options = try Options(CommandLine.arguments.dropFirst())
        } catch {
            FileHandle.standardError.write(Data("crm-web: \(error)\n\n\(Options.usage)\n".utf8))
            exit(2)
        }
        if options.help {
            print(Options.usage)
            return
        }
        do {
            try await run(options)
        } catch {
            FileHandle.standardError.write(Data("crm-web: \(error)\n".utf8))
            exit(1)
        }
    }

    /// The app server as a production one is put together: the `PadlockClient` is a service of the same
    /// `ServiceGroup` as the HTTP server, listed first so that it closes last: on SIGTERM or SIGINT the server
    /// stops taking requests, then the client closes its sessions and every rep's lock is released at once.
    static func run(_ options: Options) async throws {
        var logger = Logger(label: "crm-web")
        logger.logLevel = Logger.Level(rawValue: ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "") ?? .info
        // `--database postgres://…` keeps the records in PostgreSQL, anything else names a SQLite file.
        var postgres: PostgresStore?
        let store: any Store
        if options.isPostgres {
            let opened = try await PostgresStore.open(url: options.database, logger: logger)
            postgres = opened
            store = opened
        } else {
            store = try SQLiteStore.open(path: options.database)
        }
        var clientLogger = logger
        clientLogger.logLevel = .warning
        let padlock = try await PadlockClient(
            endpoints: options.endpoints, owner: "crm-web@\(options.serverName)", token: nil, cluster: options.cluster,
            logger: clientLogger)
        let admins = AdminDesk(endpoints: options.endpoints, cluster: options.cluster, logger: clientLogger)
        let crm = CRM(padlock: padlock, admins: admins, store: store, options: options, logger: logger)
        let app = Application(
            router: Routes(crm: crm).router(),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "CRMWeb"),
            onServerRunning: { _ in
                let line =
                    "CRMWeb serving http://\(options.host):\(options.port)/ (cluster \(options.endpoints.joined(separator: ",")))\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            },
            logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                // The PostgreSQL pool, when there is one, comes first, so it closes after the server and client.
                services: (postgres.map { [ServiceGroupConfiguration.ServiceConfiguration(service: $0.client)] } ?? [])
                    + [.init(service: padlock), .init(service: SessionReaper(crm: crm)), .init(service: app)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await admins.closeAll()
    }
}

/// Ends the sessions of reps whose browser is gone: every open page holds an event stream that marks its rep
/// as seen every 5 s, so a rep is unseen only when no page of theirs is open (`--session-lapse`, 30 s).
struct SessionReaper: Service {
    let crm: CRM

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: .seconds(2))
            await crm.endLapsedSessions()
        }
    }
}

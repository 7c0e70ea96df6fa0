import Foundation
import Logging
import PadlockClient
import PadlockSQLite
import ServiceLifecycle

/// A small CRM editor: several simulated front ends edit contacts in a SQLite database under Padlock locks,
/// writing through `FencedRecords`, against a running cluster (`make run`). See README.md.
@main
struct CRMEditor {
    static func main() async {
        let options: Options
        do {
            options = try Options(CommandLine.arguments.dropFirst())
        } catch {
            FileHandle.standardError.write(Data("crm-editor: \(error)\n\n\(Options.usage)\n".utf8))
            exit(2)
        }
        if options.help {
            print(Options.usage)
            return
        }
        do {
            try await run(options)
        } catch {
            FileHandle.standardError.write(Data("crm-editor: \(error)\n".utf8))
            exit(1)
        }
    }

    /// The app server as a production one is put together: its `PadlockClient`s are services of one
    /// `ServiceGroup` beside the work they serve (here the simulated reps; in a real app server, the HTTP server).
    /// SIGINT or SIGTERM starts a graceful shutdown: the reps' work stops first, then each client closes its
    /// sessions, so every lock still held is released at once rather than expiring a TTL later. The same happens
    /// when the work ends on its own.
    static func run(_ options: Options) async throws {
        let store = try ContactStore.open(path: options.databasePath, count: options.contactCount)
        print("contacts database: \(options.databasePath)")
        print("cluster endpoints: \(options.endpoints.joined(separator: ","))\n")
        // The admin console is another program, so another client; the app server has one for all its reps.
        let admin = try await connect("admin@crm-console", options)
        let app: PadlockClient
        do {
            app = try await connect("crm-app@server-1", options)
        } catch {
            await admin.close()
            throw error
        }
        let work = RepsAtWork(app: app, admin: admin, store: store, options: options)
        var logger = Logger(label: "crm-editor")
        logger.logLevel = .error
        // Services shut down in reverse order: the work first, then the clients it uses.
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: admin), .init(service: app),
                    .init(
                        service: work, successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        if let failure = await work.failure { throw failure }
    }

    static func play(
        frontEnds: [FrontEnd], admin: PadlockClient, store: ContactStore, summary: Summary, options: Options
    ) async throws {
        print("== \(frontEnds.count) front ends edit \(options.contactCount) contacts at once")
        await withTaskGroup(of: Void.self) { group in
            for (index, frontEnd) in frontEnds.enumerated() {
                group.addTask {
                    await frontEnd.editSession(
                        rounds: options.rounds, contacts: options.contactCount, seed: options.seed &+ UInt64(index))
                }
            }
        }
        // Ctrl-C during the edits cancels them; the scenarios then do not start.
        try Task.checkCancellation()
        let scenarios = Scenarios(frontEnds: frontEnds, admin: admin, store: store, summary: summary)
        print("\n== a forgotten record, an administrator, and a stale save")
        try await scenarios.forgottenRecord("1")
        print("\n== field locks on one contact, then a whole-record edit")
        try await scenarios.fieldLocks("2")
        print("\n== a rep navigates away while waiting")
        try await scenarios.navigateAway("3")
        print("\n== an administrator logs a rep out")
        try await scenarios.revokedSession("3")
        print("\n== a CRM bug: an empty contact id")
        await scenarios.badInput()

        print("\n== summary")
        print(await summary.report())
        print("\n== contacts")
        for contact in try await store.all() {
            let fence = contact.fence.map { "\($0)" } ?? "never fenced"
            print(
                "  \(contact.id)  \(contact.name) | \(contact.phone) | \(contact.email) | \(contact.edits) edits, "
                    + "last by \(contact.editedBy.isEmpty ? "nobody" : contact.editedBy), \(fence)")
        }
    }

    /// A client whose default owner label is `owner`; the app server's passes each rep's label per call.
    static func connect(_ owner: String, _ options: Options) async throws(PadlockError) -> PadlockClient {
        var logger = Logger(label: "crm-editor.\(owner)")
        let level = ProcessInfo.processInfo.environment["PADLOCK_LOG_LEVEL"] ?? ""
        logger.logLevel = Logger.Level(rawValue: level) ?? .error
        return try await PadlockClient(endpoints: options.endpoints, owner: owner, logger: logger)
    }
}

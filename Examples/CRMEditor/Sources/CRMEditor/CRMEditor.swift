import Foundation
import Logging
import PadlockClient
import PadlockSQLite

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

    static func run(_ options: Options) async throws {
        let store = try ContactStore.open(path: options.databasePath, count: options.contactCount)
        print("contacts database: \(options.databasePath)")
        print("cluster endpoints: \(options.endpoints.joined(separator: ","))\n")
        let users = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
        let summary = Summary()
        var clients: [PadlockClient] = []
        do {
            // The admin console is another program, so another client; the app server has one for all its reps.
            let admin = try await connect("admin@crm-console", options)
            clients.append(admin)
            let app = try await connect("crm-app@server-1", options)
            clients.append(app)
            let frontEnds = users.prefix(options.editorCount).enumerated().map { index, user in
                FrontEnd(
                    user: user, owner: "\(user)@frontend-\(index + 1)", client: app, store: store,
                    tenant: options.tenant, summary: summary)
            }
            try await play(frontEnds: frontEnds, admin: admin, store: store, summary: summary, options: options)
            print("\n== the reps sign out")
            for frontEnd in frontEnds {
                let released = try await app.releaseAll(owner: frontEnd.owner)
                frontEnd.say("signed out, releasing \(released) lock(s)")
            }
        } catch {
            for client in clients { await client.close() }
            throw error
        }
        for client in clients { await client.close() }
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

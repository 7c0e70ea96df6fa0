import PadlockClient
import PadlockSQLite
import ServiceLifecycle

/// The simulated reps as one service of the app server's `ServiceGroup`: they edit, the scenarios play, and
/// the reps sign out (`releaseAll(owner:)`). A graceful shutdown (Ctrl-C) cancels the work where it stands;
/// the clients, shut down after it, then close their sessions and so release whatever was still held.
actor RepsAtWork: Service {
    let app: PadlockClient
    let admin: PadlockClient
    let store: ContactStore
    let options: Options
    /// What ended the work early, if anything; `run` reports it after the group has shut down cleanly.
    private(set) var failure: (any Error)?

    init(app: PadlockClient, admin: PadlockClient, store: ContactStore, options: Options) {
        self.app = app
        self.admin = admin
        self.store = store
        self.options = options
    }

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await self.work() }
        } catch is CancellationError {
            print("\n== shutting down: the clients close their sessions, releasing every lock still held")
        } catch let error as PadlockError where error.code == .cancelled {
            print("\n== shutting down: the clients close their sessions, releasing every lock still held")
        } catch {
            failure = error
        }
    }

    private func work() async throws {
        let users = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
        let summary = Summary()
        let frontEnds = users.prefix(options.editorCount).enumerated().map { index, user in
            FrontEnd(
                user: user, owner: "\(user)@frontend-\(index + 1)", client: app, store: store,
                tenant: options.tenant, summary: summary)
        }
        try await CRMEditor.play(frontEnds: frontEnds, admin: admin, store: store, summary: summary, options: options)
        print("\n== the reps sign out")
        for frontEnd in frontEnds {
            let released = try await app.releaseAll(owner: frontEnd.owner)
            frontEnd.say("signed out, releasing \(released) lock(s)")
        }
    }
}

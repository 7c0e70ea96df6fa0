import Foundation
import PadlockClient
import PadlockSQLite

/// One simulated front end: a user signed in to the app server, whose one `PadlockClient` it shares with every
/// other rep, passing its own owner label on each call, editing contacts the way a CRM screen does — open the
/// record under a lock, read it, let the user type, save with the lock's fence, release.
struct FrontEnd: Sendable {
    let user: String
    /// The rep's owner label, such as `alice@frontend-1`: what other reps see as the holder.
    let owner: String
    let client: PadlockClient
    let store: ContactStore
    let tenant: String
    let summary: Summary

    var name: String { owner }

    func key(_ id: String) -> String { "\(tenant)/contacts/\(id)" }

    /// Acquires `key` for this rep, through the shared client.
    func acquire(_ key: String, wait: Duration = .zero, note: String) async throws(PadlockError) -> Lock {
        try await client.acquire(key, owner: owner, wait: wait, note: note)
    }

    /// Runs `body` under this rep's lock on `key`, through the shared client.
    func withLock<T: Sendable>(
        _ key: String, wait: Duration = .zero, note: String, _ body: (Lock) async throws -> T
    ) async throws -> T {
        try await client.withLock(key, owner: owner, wait: wait, note: note, body)
    }

    /// `rounds` edits of random fields of random contacts, each under the record's lock.
    func editSession(rounds: Int, contacts: Int, seed: UInt64) async {
        var random = SplitMix64(state: seed)
        for round in 1...rounds {
            let id = "\(Int.random(in: 1...contacts, using: &random))"
            let field = ["name", "phone", "email"].randomElement(using: &random)!
            let think = Duration.milliseconds(Int.random(in: 30...150, using: &random))
            let wait: Duration = round % 3 == 0 ? .zero : .milliseconds(200)
            await edit(id, field: field, value: "\(user) #\(round)", think: think, wait: wait)
        }
    }

    /// Opens contact `id` under its lock, lets the user type for `think`, and saves `field`.
    func edit(_ id: String, field: String, value: String, think: Duration, wait: Duration) async {
        let record = "contact \(id)"
        do {
            try await withLock(key(id), wait: wait, note: "editing \(field)") { lock in
                guard try await store.read(id) != nil else { return say("\(record) no longer exists") }
                try await Task.sleep(for: think)  // the user types; the lock is renewed in the background
                let outcome = try await store.save(id, field: field, value: value, by: name, fence: lock.fence)
                await summary.stored(outcome)
                say(
                    UserMessages.text(for: outcome, record: record, fence: lock.fence)
                        ?? "saved \(record) \(field) = \"\(value)\" (\(lock.fence))")
            }
        } catch let error as PadlockError {
            await report(error, record: record)
        } catch {
            say("\(record): \(error)")
        }
    }

    /// Shows the user what a refused lock call means, and counts it.
    func report(_ error: PadlockError, record: String) async {
        await summary.refused(error)
        say(UserMessages.text(for: error, record: record) ?? "(\(error.code.name): nothing shown)")
    }

    func say(_ line: String) {
        let padded = name.padding(toLength: 20, withPad: " ", startingAt: 0)
        print("\(padded) \(line)")
    }
}

/// A small seeded generator, so a run can be replayed with `--seed`.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

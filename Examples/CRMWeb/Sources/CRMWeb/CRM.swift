import Foundation
import Logging
import PadlockClient
import PadlockSQLite

/// The app server's state and what a rep's clicks do: one `PadlockClient` for every signed-in rep (each call
/// names the rep as owner and passes the rep's roles), the store, the sessions and open edits.
final class CRM: Sendable {
    let padlock: PadlockClient
    let admins: AdminDesk
    let store: any Store
    let reps = Reps()
    let desk = Desk()
    let options: Options
    let logger: Logger

    init(padlock: PadlockClient, admins: AdminDesk, store: any Store, options: Options, logger: Logger) {
        self.padlock = padlock
        self.admins = admins
        self.store = store
        self.options = options
        self.logger = logger
    }

    var tenant: String { options.tenant }

    func key(_ kind: RecordKind, _ id: String, field: String? = nil) -> String {
        "\(tenant)/\(kind.name)/\(id)" + (field.map { "/\($0)" } ?? "")
    }

    /// Opens a record (or one field) for editing: acquires its lock with the rep's note and roles, or takes
    /// it over with a reason, then writes the new fence to the store so that older holders can no longer save.
    func open(
        rep: Rep, kind: RecordKind, id: String, field: String?, note: String, takeover: String? = nil
    ) async -> Result<Edit, Refusal> {
        let lockKey = key(kind, id, field: field)
        do {
            let lock = try await padlock.acquire(
                lockKey, owner: rep.owner, roles: takeover == nil ? rep.roles : [], note: note, takeover: takeover)
            return await started(rep: rep, kind: kind, id: id, field: field, lock: lock)
        } catch {
            return .failure(Refusal(Wording.error(error, record: Wording.recordName(lockKey)) ?? "Cancelled."))
        }
    }

    /// Queues for a record: the acquire waits up to two minutes, telling its place in line as it moves.
    func waitInLine(rep: Rep, kind: RecordKind, id: String, field: String?, note: String) async -> WaitTicket {
        let ticket = WaitTicket(rep: rep)
        await desk.add(ticket)
        let lockKey = key(kind, id, field: field)
        let task = Task {
            defer { ticket.continuation.finish() }
            do {
                let lock = try await padlock.acquire(
                    lockKey, owner: rep.owner, roles: rep.roles, wait: .seconds(120), note: note,
                    onQueuePosition: { place in ticket.continuation.yield(.position(place)) })
                _ = await desk.removeWait(ticket.id)
                if Task.isCancelled {
                    try? await lock.release()
                    return
                }
                switch await started(rep: rep, kind: kind, id: id, field: field, lock: lock) {
                case .success(let edit): ticket.continuation.yield(.granted(editID: edit.id))
                case .failure(let refusal): ticket.continuation.yield(.failed(refusal.message))
                }
            } catch {
                _ = await desk.removeWait(ticket.id)
                let text = Wording.error(error, record: Wording.recordName(lockKey)) ?? "You left the line."
                ticket.continuation.yield(.failed(text))
            }
        }
        ticket.task.withLock { $0 = task }
        return ticket
    }

    private func started(
        rep: Rep, kind: RecordKind, id: String, field: String?, lock: Lock
    ) async -> Result<Edit, Refusal> {
        do {
            _ = try await store.claim(kind, id: id, field: field, fence: lock.fence)
        } catch {
            try? await lock.release()
            return .failure(Refusal("The store could not be written: \(error)"))
        }
        let edit = Edit(id: UUID().uuidString, rep: rep, kind: kind, recordID: id, field: field, lock: lock)
        await desk.add(edit)
        return .success(edit)
    }

    /// Saves with the lock's fence; the store refuses a fence older than the one it has (someone opened or
    /// saved the record under a newer lock), and the page keeps the rep's text.
    func save(_ edit: Edit, values: [String: String]) async -> (ok: Bool, message: String) {
        let name = Wording.recordName(key(edit.kind, edit.recordID, field: edit.field))
        let fence = edit.lock.fence
        do {
            let outcome = try await store.save(
                edit.kind, id: edit.recordID, field: edit.field, values: values, by: edit.rep.name, fence: fence)
            if let refusal = Wording.write(outcome, record: name, fence: fence) { return (false, refusal) }
            let caveat = edit.lock.state == .safe ? "" : " (your lock had ended, but nobody newer had opened it)"
            return (true, "Saved at \(Wording.clock(Date())) with fence \(fence.rawValue)\(caveat).")
        } catch {
            return (false, "The store could not save \(name): \(error). Your text is kept below.")
        }
    }

    /// Releases the lock of an edit the rep left (Done, navigating away, closing the tab).
    func release(editID: String) async {
        guard let edit = await desk.removeEdit(editID) else { return }
        do {
            try await edit.lock.release()
        } catch {
            logger.debug("release of \(edit.lock.key) after leaving the page: \(error.message)")
        }
    }

    /// Signs a rep out: cancels the rep's waits and releases every lock of the rep's owner label at once.
    func signOut(_ rep: Rep) async -> Int {
        _ = await desk.forget(owner: rep.owner)
        guard !(await reps.ownerInUse(rep.owner)) else { return 0 }
        do {
            return try await padlock.releaseAll(owner: rep.owner)
        } catch {
            logger.warning("releaseAll(owner: \(rep.owner)) failed: \(error.message)")
            return 0
        }
    }

    /// Ends the sessions of reps whose browsers are gone (no request and no open page for the lapse time).
    func endLapsedSessions() async {
        for rep in await reps.lapsed(after: options.sessionLapse) {
            let released = await signOut(rep)
            logger.info("session of \(rep.owner) lapsed: \(released) locks released")
        }
    }
}

/// A refusal in words, for the page.
struct Refusal: Error, Sendable {
    let message: String
    init(_ message: String) { self.message = message }
}

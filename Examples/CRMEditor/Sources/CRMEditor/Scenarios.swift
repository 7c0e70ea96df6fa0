import Foundation
import PadlockClient
import PadlockSQLite

/// The situations a CRM meets besides ordinary edits, each played out against the real cluster.
struct Scenarios {
    let frontEnds: [FrontEnd]
    let admin: PadlockClient
    let store: ContactStore
    let summary: Summary

    /// A rep opens a contact and goes quiet ("forgot to exit the record"). Another rep is refused and told who
    /// holds it; an administrator releases it by force; the other rep gets it after the lock-delay with a newer
    /// fence and saves. When the first rep's app server wakes up, its save carries the old fence and is
    /// refused by the store, and its release reports the lock lost.
    func forgottenRecord(_ id: String) async throws {
        let (quiet, other) = (frontEnds[0], frontEnds[1])
        let record = "contact \(id)"
        quiet.say("opens \(record) and goes quiet (laptop closed)")
        let stale = try await quiet.acquire(quiet.key(id), note: "editing notes")
        await other.edit(id, field: "phone", value: "+41 44 555 01 02", think: .zero, wait: .milliseconds(300))

        let inspection = try await admin.inspect(quiet.key(id))
        for info in inspection.holders {
            say(
                "admin",
                "\(record) is held by \(info.holder.owner) (\(info.holder.fence)), since "
                    + "\(UserMessages.clock(info.holder.sinceDate)): \"\(info.holder.note)\"")
        }
        let released = try await admin.forceUnlock(quiet.key(id), reason: "forgot to exit the record")
        say("admin", "force-unlocked \(record), releasing \(released.map(\.owner)) (reason kept in the audit trail)")

        try await retryUntilGranted(other, id)
        let outcome = try await store.save(id, field: "name", value: "stale draft", by: quiet.name, fence: stale.fence)
        await summary.stored(outcome)
        let banner = UserMessages.text(for: outcome, record: record, fence: stale.fence) ?? "saved"
        quiet.say("wakes up and saves: \(banner)")
        let check = try await admin.checkFence(quiet.key(id), stale.fence)
        quiet.say("checkFence(\(stale.fence)): current \(check.isCurrent), the current fence is "
            + (check.currentFence.map { "\($0)" } ?? "none"))
        do {
            try await stale.release()
        } catch {
            await quiet.report(error, record: record)
        }
    }

    /// Retries an edit while the record is under lock-delay, as a CRM screen would after "try again".
    private func retryUntilGranted(_ frontEnd: FrontEnd, _ id: String) async throws {
        for attempt in 1...20 {
            do {
                try await frontEnd.withLock(frontEnd.key(id), note: "editing phone") { lock in
                    let outcome = try await store.save(
                        id, field: "phone", value: "+41 44 555 01 03", by: frontEnd.name, fence: lock.fence)
                    await summary.stored(outcome)
                    frontEnd.say("saved contact \(id) phone on attempt \(attempt) (\(lock.fence))")
                }
                return
            } catch let error as PadlockError where error.code == .unavailable {
                if attempt == 1 { await frontEnd.report(error, record: "contact \(id)") }
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// Two reps edit different fields of one contact at once under field locks (`…/phone`, `…/email`), each
    /// checked against its own field fence; a whole-record edit then waits for both and advances every field
    /// fence, so a late save under the old phone lock is refused.
    func fieldLocks(_ id: String) async throws {
        let (phoneEditor, emailEditor, recordEditor) = (frontEnds[0], frontEnds[1], frontEnds[2])
        let phone = try await phoneEditor.acquire(phoneEditor.key(id) + "/phone", note: "editing phone")
        let email = try await emailEditor.acquire(emailEditor.key(id) + "/email", note: "editing e-mail")
        for (editor, lock, field) in [(phoneEditor, phone, "phone"), (emailEditor, email, "email")] {
            let value = "\(editor.user)'s \(field)"
            let outcome = try await store.saveField(id, field: field, value: value, fence: lock.fence)
            await summary.stored(outcome)
            editor.say("saved contact \(id) \(field) under \(lock.key) (\(lock.fence)): \(outcome)")
        }
        let whole = Task {
            await recordEditor.edit(id, field: "name", value: "Dana Example", think: .zero, wait: .seconds(3))
        }
        try await Task.sleep(for: .milliseconds(300))  // the whole-record acquire queues behind both field locks
        try await phone.release()
        try await email.release()
        await whole.value
        let late = try await store.saveField(id, field: "phone", value: "late", fence: phone.fence)
        await summary.stored(late)
        let banner = UserMessages.text(for: late, record: "contact \(id)", fence: phone.fence) ?? "saved"
        phoneEditor.say("late phone save with \(phone.fence): \(banner)")
    }

    /// A rep opens a record someone else holds with a long wait, then navigates away: the wait is cancelled and
    /// nothing is shown (the library withdraws the queued acquire, so no grant leaks).
    func navigateAway(_ id: String) async throws {
        let (holder, leaver) = (frontEnds[1], frontEnds[2])
        let lock = try await holder.acquire(holder.key(id), note: "approving")
        let waiting = Task { await leaver.edit(id, field: "name", value: "never", think: .zero, wait: .seconds(10)) }
        try await Task.sleep(for: .milliseconds(300))
        leaver.say("navigates away from contact \(id)")
        waiting.cancel()
        await waiting.value
        try await lock.release()
    }

    /// A rep's session is revoked by an administrator ("log the user out"); the rep's release then learns it.
    func revokedSession(_ id: String) async throws {
        let rep = frontEnds[3 % frontEnds.count]
        let lock = try await rep.acquire(rep.key(id), note: "editing e-mail")
        try await admin.revokeSession(lock.holder.session, reason: "log the user out")
        say("admin", "revoked \(rep.name)'s session \(lock.holder.session)")
        do {
            try await lock.release()
            rep.say("released contact \(id)")
        } catch {
            await rep.report(error, record: "contact \(id)")
        }
    }

    /// The CRM builds a key from an empty contact id: a bug, refused before anything is sent.
    func badInput() async {
        await frontEnds[0].edit("", field: "name", value: "x", think: .zero, wait: .zero)
    }

    private func say(_ who: String, _ line: String) {
        print("\(who.padding(toLength: 20, withPad: " ", startingAt: 0)) \(line)")
    }
}

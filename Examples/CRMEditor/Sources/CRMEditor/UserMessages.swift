import Foundation
import PadlockClient
import PadlockSQLite

/// What the CRM shows its user for each outcome, following the failure table of docs/client.md.
enum UserMessages {
    /// The banner for a failed lock call on `record` (such as "contact 42"), or nil when nothing should be
    /// shown. Every code is handled; the switch has no default, so a new code would not compile unhandled.
    static func text(for error: PadlockError, record: String) -> String? {
        switch error.code {
        case .held(let holders):
            // Not retried by the library: the user decides whether to wait. Every conflicting holder is named
            // (a whole-record edit is blocked by each field being edited); the caller's own are marked.
            let names = holders.map { holder in
                let doing = holder.note.isEmpty ? (holder.mode == .shared ? "viewing it" : "editing it") : holder.note
                let who = error.isOwn(holder) ? "you (in another tab)" : holder.owner
                return "\(who) since \(clock(holder.sinceDate)), \(doing)"
            }
            let more = error.holdersTruncated ? ", and others" : ""
            return "\(record) is locked by " + names.joined(separator: "; and by ") + more
        case .restricted(let hold):
            // A rule lock (docs/holds.md): not retried, and waiting does not help; only its lifting does.
            let editable =
                hold.editableFields.isEmpty ? "" : "; you may still edit " + hold.editableFields.joined(separator: ", ")
            return "\(record) is locked by rule '\(hold.rule)' since \(clock(hold.since.date)) (\(hold.reason))"
                + editable
        case .unavailable:
            // Retried by the library until its deadline (no leader, overloaded), or not retryable right now
            // (lock-delay after a forced or expired release, earlier waiters, a wait that ran out).
            if error.message.contains("lock-delay"), let wait = error.retryAfter {
                let free = clock(Date().addingTimeInterval(Double(wait.components.seconds) + 1))
                return "\(record) was just unlocked by an administrator or after a timeout; it is free again at \(free)"
            }
            if error.message.contains("earlier request") {
                return "someone else is about to edit \(record); try again shortly"
            }
            if error.message.contains("wait for") { return "\(record) did not become free in time; try again" }
            return "record locking is unavailable right now; try again shortly"
        case .outcomeUnknown:
            // Retried with the same request id until the deadline; the library settles it in the background.
            return "we could not confirm the lock on \(record); please retry (no lock is left behind)"
        case .invalidArgument:
            // A bug in the CRM, not the user's fault; log the message for the developers.
            return "this request could not be made (a CRM bug has been logged): \(error.message)"
        case .permissionDenied:
            return "you may not do this; ask an administrator (\(error.message))"
        case .sessionExpired:
            return "your editing session expired; reopen \(record)"
        case .lockLost:
            return "your lock on \(record) expired or was released by an administrator; your last changes may not "
                + "have been saved"
        case .cancelled:
            return nil  // the user navigated away: nothing to show
        }
    }

    /// The banner for a save the store refused or could not place.
    static func text(for write: FencedWrite, record: String, fence: FenceToken) -> String? {
        switch write {
        case .applied:
            return nil
        case .rejected(let stored):
            return "\(record) was changed by someone else under a newer lock (\(stored) > \(fence)); your save was "
                + "refused, reload it"
        case .missing:
            return "\(record) no longer exists"
        }
    }

    /// A time (a holder's `sinceDate`, a lock-delay's end) as local wall-clock time, such as `10:02:03`.
    static func clock(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: date)
    }
}

/// Counts what happened, for the summary at the end.
actor Summary {
    private(set) var edits = 0
    private(set) var staleWritesRejected = 0
    private(set) var missing = 0
    private(set) var refusals: [String: Int] = [:]

    func applied() { edits += 1 }
    func refused(_ error: PadlockError) { refusals[error.code.name, default: 0] += 1 }

    func stored(_ write: FencedWrite) {
        switch write {
        case .applied: edits += 1
        case .rejected: staleWritesRejected += 1
        case .missing: missing += 1
        }
    }

    func report() -> String {
        let codes = refusals.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return """
            edits saved:              \(edits)
            lock calls refused:       \(refusals.values.reduce(0, +))\(codes.isEmpty ? "" : " (\(codes))")
            stale writes rejected:    \(staleWritesRejected)
            saves of missing records: \(missing)
            """
    }
}

import Foundation
import PadlockClient
import PadlockSQLite

/// What the pages say, following the failure table of docs/client.md: who, since when, why, and what to do.
enum Wording {
    /// An owner label as a person reads it: `Alice@frontend-1` → `Alice (frontend-1)`. An administrator's
    /// identity as the cluster audits it (`client crm: Carol@frontend-1`) reads the same.
    static func person(_ owner: String) -> String {
        var label = owner
        if label.hasPrefix("client "), let colon = label.range(of: ": ") { label = String(label[colon.upperBound...]) }
        guard let at = label.lastIndex(of: "@") else { return label }
        return "\(label[..<at]) (\(label[label.index(after: at)...]))"
    }

    /// A time of day, such as `17:40:02` (the app server's time zone).
    static func clock(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: date)
    }

    /// `Contact 1`, `Contact 1 (phone)`, or a key outside the CRM's records as is.
    static func recordName(_ key: String) -> String {
        let parts = key.split(separator: "/").map(String.init)
        guard parts.count >= 3, let kind = RecordKind.named(parts[1]) else {
            return parts.count == 1 ? "every record of \(key)" : key
        }
        let field = parts.count > 3 ? " (\(parts[3...].joined(separator: "/")))" : ""
        return "\(kind.singular) \(parts[2])\(field)"
    }

    /// "Locked by Alice (frontend-1) since 17:40:02 — editing phone", naming the field when the lock is on one.
    static func locked(_ holder: Holder, key: LockKey, record: String) -> String {
        let field = key.string == record ? "" : " (\(recordName(key.string)))"
        let note = holder.note.isEmpty ? "" : " — \(holder.note)"
        return "Locked by \(person(holder.owner)) since \(clock(holder.sinceDate))\(note)\(field)"
    }

    /// "Hold “Deal closed” by Carol (frontend-1) since 17:50:01: stage closed-won. Exempt: finance-admin.
    /// Still editable: notes."
    static func hold(_ hold: Hold) -> String {
        let scope = hold.key.string.contains("/") ? "" : " on every record of \(hold.key)"
        var text =
            "Hold “\(hold.rule)”\(scope) by \(person(hold.placedBy)) since \(clock(hold.since.date)): "
            + hold.reason + "."
        if !hold.exemptRoles.isEmpty { text += " Exempt: \(hold.exemptRoles.joined(separator: ", "))." }
        if !hold.editableFields.isEmpty { text += " Still editable: \(hold.editableFields.joined(separator: ", "))." }
        return text
    }

    /// Why the rep's lock ended, for the edit page's banner.
    static func loss(_ reason: LockLossReason?, record: String) -> String {
        let tail = " Save is disabled: copy your text, then reopen the record."
        switch reason {
        case .cluster(.forceUnlocked(let by, let reason)):
            return "\(person(by)) force-unlocked \(record): “\(reason)”." + tail
        case .cluster(.takenOver(let by, let reason)):
            return "\(person(by.owner)) took \(record) over: “\(reason)”." + tail
        case .cluster(.sessionRevoked(let by, let reason)):
            return "\(person(by)) ended your session: “\(reason)”." + tail
        case .cluster(.expired), .leaseRanOut:
            return "Your lock on \(record) ran out (the app server could not renew it in time)." + tail
        case .endedWithoutNotice:
            return "Your lock on \(record) was ended while the app server could not be told; the audit trail says "
                + "who and why." + tail
        case .sessionEnded(let why):
            return "Your editing session ended (\(why))." + tail
        case nil:
            return "Your lock on \(record) has ended." + tail
        }
    }

    /// A refused or failed lock call on `record`, as the rep needs it; nil when nothing should be shown.
    static func error(_ error: PadlockError, record: String) -> String? {
        switch error.code {
        case .held(let holders):
            let names = holders.map { (holder) -> String in
                let who = error.isOwn(holder) ? "you (in another tab)" : person(holder.owner)
                let note = holder.note.isEmpty ? "" : " — \(holder.note)"
                return "\(who) since \(clock(holder.sinceDate))\(note)"
            }
            return "\(record) is locked by " + names.joined(separator: "; and by ")
                + (error.holdersTruncated ? ", and others" : "") + "."
        case .restricted(let hold):
            return "\(record) cannot be edited: \(self.hold(hold))"
        case .unavailable:
            if error.message.contains("lock-delay"), let wait = error.retryAfter {
                let free = clock(Date().addingTimeInterval(Double(wait.components.seconds) + 1))
                return
                    "\(record) was just unlocked by an administrator or after a timeout; it is free again at \(free)."
            }
            if error.message.contains("earlier request") {
                return "Someone else is about to edit \(record); try again shortly."
            }
            if error.message.contains("wait for") { return "\(record) did not become free in time; try again." }
            return "Record locking is unavailable right now; try again shortly."
        case .outcomeUnknown:
            return "We could not confirm the lock on \(record); please retry (no lock is left behind)."
        case .invalidArgument:
            return "This request could not be made (a CRM bug): \(error.message)"
        case .permissionDenied:
            return "You may not do this; ask an administrator (\(error.message))."
        case .sessionExpired:
            return "Your editing session expired; reopen \(record)."
        case .lockLost:
            return "Your lock on \(record) expired or was released by an administrator; your last changes may not "
                + "have been saved."
        case .cancelled:
            return nil
        }
    }

    /// A save the store refused, or nil when it applied.
    static func write(_ write: FencedWrite, record: String, fence: FenceToken) -> String? {
        switch write {
        case .applied:
            return nil
        case .rejected(let stored):
            return "Refused by the store: \(record) was opened or saved by someone else under a newer lock (fence "
                + "\(stored.rawValue), yours is \(fence.rawValue)). Your text is kept below; reopen the record to "
                + "edit it again."
        case .missing:
            return "\(record) no longer exists."
        }
    }
}

extension Wording {
    /// Any error of a lock call, in words.
    static func error(_ error: any Error, record: String) -> String? {
        if let failure = error as? PadlockError { return self.error(failure, record: record) }
        return "Something failed: \(error)"
    }
}

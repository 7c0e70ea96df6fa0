import Foundation
import Wire

/// The one table from wire failures to the client's codes (`docs/client.md`, "Failures"). `notLeader`,
/// `unavailable` and `overloaded` never get here: the exchange retries them until the deadline.
extension ClientCore {
    /// The error for a final failure answered to `label` (an operation's name) about `key`, if any; `owner`
    /// is the caller's owner label (the client's default when nil), whose locks a `held` marks as its own.
    func error(
        for failure: ClientFailure, in label: String, key: LockKey? = nil, owner: String? = nil
    )
        -> PadlockError
    {
        let caller = owner ?? self.owner
        let subject = key.map { "\($0)" } ?? "the request"
        switch failure {
        case .invalidArgument(let message):
            return .invalid("the cluster refused the \(label) as bad input: \(message)")
        case .permissionDenied(let reason):
            return PadlockError(.permissionDenied, "the cluster does not allow this \(label): \(reason)")
        case .held(let locks, let truncated, let waiterCount):
            let conflicts = locks.map { lock in
                PadlockError.Conflict(
                    key: lock.key, holder: lock.holder,
                    isOwn: sessionsByID[lock.holder.session] != nil && lock.holder.owner == caller)
            }
            return PadlockError(
                .held(by: conflicts.map(\.holder)),
                Self.heldMessage(subject, key: key, conflicts, truncated: truncated, waiterCount: waiterCount),
                conflicts: conflicts, holdersTruncated: truncated)
        case .lockDelayed(let until):
            // Lock-delay has no holder to name: the key is free but not granted again until `until`.
            return .unavailable(
                "\(subject) was released by force or by expiry and is under lock-delay, so that writes of the "
                    + "previous holder cannot interleave: \(Wording.freeAgain(at: until.date)); retry then, or "
                    + "acquire with a wait to queue", retryAfter: Wording.wait(until: until.date))
        case .waitersAhead(let aheadKey, let waiterCount):
            return .unavailable(
                "nobody holds \(subject), but \(waiterCount) earlier request(s) wait for the overlapping key "
                    + "\(aheadKey) and go first; acquire with a wait to queue behind them, or retry later")
        case .timedOut:
            return .unavailable("the wait for \(subject) ended before it was granted; retry, or wait longer")
        case .sessionExpired:
            return PadlockError(
                .sessionExpired, "the session of this \(label) has ended (expired or revoked); its locks are gone")
        case .notHeld, .lockLost:
            return PadlockError(
                .lockLost,
                "\(subject) is no longer held by this lock: it expired or was released by force; "
                    + "stop using its fence")
        case .notLeader, .unavailable, .overloaded:
            return .unavailable("the cluster could not serve the \(label): \(failure)")
        case .restricted(let hold):
            return PadlockError(.restricted(by: hold), Wording.restriction(hold, on: key))
        case .noHold:
            return PadlockError(
                .invalidArgument,
                "there is no hold on \(subject) to lift (of that rule); list the holds to see what "
                    + "is in place")
        case .unknownRequest, .notWaiting, .superseded:
            return .unavailable("the cluster answered the \(label) unexpectedly (\(failure)); retry")
        }
    }

    /// How many holders a `held` message names; the error's `conflicts` has them all.
    static let heldHoldersNamedMax = 3

    /// `acme/contacts/42 is locked by alice@frontend-2 (exclusive, fence-3) since 10:02:03, "editing phone"; …`,
    /// marking the caller's own locks and saying what to do.
    static func heldMessage(
        _ subject: String, key: LockKey?, _ conflicts: [PadlockError.Conflict], truncated: Bool, waiterCount: UInt64
    ) -> String {
        let named = conflicts.prefix(heldHoldersNamedMax).map { conflict in
            let holder = conflict.holder
            let details = "\(holder.mode), \(holder.fence)"
            let who =
                conflict.isOwn
                ? "this client's own lock (\(holder.owner), \(details))" : "\(holder.owner) (\(details))"
            return who + (conflict.key == key ? "" : " on \(conflict.key)")
                + " since \(Wording.timeOfDay(holder.sinceDate, roundingUp: false))"
                + (holder.note.isEmpty ? "" : ", \"\(holder.note)\"")
        }
        var text = "\(subject) is locked by " + named.joined(separator: "; and by ")
        let unnamed = conflicts.count - named.count
        if unnamed > 0 && truncated {
            text += "; and by \(unnamed) more, and more not listed"
        } else if unnamed > 0 {
            text += "; and by \(unnamed) more"
        } else if truncated {
            text += "; and by more not listed"
        }
        if waiterCount > 0 { text += "; \(waiterCount) more waiting" }
        if conflicts.contains(where: \.isOwn) {
            return text + "; release this client's own conflicting lock first, or lock only what it does not cover"
        }
        return text + "; try again later or acquire with a wait"
    }
}

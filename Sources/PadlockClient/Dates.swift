// Leader-clock times as `Date`. The cluster stamps holders, waiters, lease deadlines, lock-delays and audit
// records with `Timestamp`s, milliseconds since the Unix epoch on the leader's wall clock; these accessors are
// what an app shows to people ("locked since 10:02"). The leader's clock may differ from this machine's by the
// skew the cluster tolerates (`docs/operations.md`), so compare them with `Date.now` for display, not for safety:
// lease safety is `Lock.state`, kept on this machine's monotonic clock.
import Foundation
import Wire

extension Timestamp {
    /// This time as a `Date` (milliseconds since the Unix epoch on the leader's clock).
    public var date: Date { Date(timeIntervalSince1970: Double(rawValue) / 1000) }
}

extension Holder {
    /// When the lock was granted, on the leader's clock.
    public var sinceDate: Date { since.date }
}

extension Waiter {
    /// When the acquire was queued, on the leader's clock.
    public var sinceDate: Date { since.date }
}

extension LockInfo {
    /// When the holder's session expires without another renewal, on the leader's clock.
    public var leaseDeadlineDate: Date { leaseDeadline.date }
}

extension KeyInspection {
    /// Before when the key is not granted again (lock-delay after a forced or expired release), on the leader's
    /// clock; `nil` when no lock-delay applies.
    public var lockDelayedUntilDate: Date? { lockDelayedUntil?.date }
}

extension SessionGrant {
    /// When the session expires without another renewal, on the leader's clock. `package`: a session grant is
    /// part of the wire codec, which the client library does not export.
    package var renewalDeadlineDate: Date { renewalDeadline.date }
}

extension AuditRecord {
    /// When it happened, on the leader's clock.
    public var timeDate: Date { time.date }
}

extension ClientEnvironment {
    /// This machine's wall clock, in milliseconds since the Unix epoch.
    package func wallTime() -> Timestamp {
        Timestamp(millisecondsSinceEpoch: UInt64(max(0, Date().timeIntervalSince1970 * 1000)))
    }
}

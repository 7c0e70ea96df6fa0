import PadlockTypes

/// The answer to one applied command: always an expected outcome, never a thrown error.
package enum CommandResult: Hashable, Sendable {
    /// A new session (or, for a retried open, the one the first attempt created).
    case sessionOpened(SessionID, leaseDeadline: Timestamp)
    /// The requesting session ended cleanly.
    case sessionClosed
    /// The lock is held by the requester; `fence` equals `holder.fence`.
    case granted(FenceToken, Holder)
    /// The acquire waits; `position` is 1 for the head of the key's queue.
    case queued(position: Int)
    /// Refused (or, for a waiter, timed out): `holder` holds `key`, which overlaps the requested key.
    case held(by: Holder, key: LockKey)
    /// No holder conflicts, but an earlier waiter on the overlapping `key` goes first.
    case waitersAhead(key: LockKey)
    /// The key (or an overlapping one) was force- or expiry-released and is not granted before `until`.
    case lockDelayed(until: Timestamp)
    /// The lock was released.
    case released
    /// The session holds no lock on that key with that fence.
    case notHeld
    /// The session's waiter was withdrawn.
    case waitCancelled
    /// The session has no waiter on that key.
    case notWaiting
    /// Every previous holder of the key, now released.
    case forcedUnlock(previous: [Holder])
    /// The target session was ended by an administrator.
    case sessionRevoked(SessionID)
    /// The leader's expiry was applied: the session ended.
    case sessionExpiredNow(SessionID)
    /// The leader's waiter expiry was applied: the waiter was answered "timed out".
    case waiterExpired
    /// Number of checkpoints recorded (stale ones are skipped and not counted).
    case leasesCheckpointed(count: Int)
    /// A housekeeping command that changed nothing.
    case skipped(SkipReason)
    /// The requesting session has expired or was revoked; its locks are gone.
    case sessionExpired
    /// The requesting session does not exist (never opened, closed, or forgotten).
    case sessionUnknown
    /// The request's sequence is lower than the session's last applied one: an old retry, answered once already.
    case stale(lastSequence: UInt64)
    /// The request was resolved before it was applied: it never took effect and never will.
    case abandoned
    /// Bad input; nothing changed.
    case invalid(InvalidReason)
    /// A limit would be exceeded; nothing changed.
    case overloaded(Limit)
    /// The per-namespace quotas were set.
    case quotasSet
    /// A hold on `hold.key` (or on a key overlapping the requested one) refuses the request to this requester:
    /// it is not exempt and the key is not an editable field.
    case restricted(by: Hold)
    /// Every key of an all-or-nothing acquire is held by the requester, under one fence; `holders` follow the
    /// request's key order.
    case grantedKeys(FenceToken, [Holder])
    /// The hold is in place (placed, or replacing the key's hold of the same rule); `ended` are the holders it
    /// ended (`endsHolders`).
    case holdPlaced(Hold, ended: [HeldLock])
    /// The holds lifted, as they were: the key's hold of the named rule, or every hold on the key.
    case holdsLifted([Hold])
    /// No hold on that key (of that rule).
    case noHold
}

/// Why a request was refused as bad input.
package enum InvalidReason: UInt8, Hashable, Sendable, CaseIterable {
    case ownerEmpty = 1, ownerTooLong, noteTooLong, reasonTooLong, adminTooLong
    case ttlOutOfRange, waitTooLong
    /// The session already has a waiter on that key.
    case alreadyWaiting
    /// The entry's bytes did not decode as a command.
    case malformedCommand
    /// A hold placement, the roles of an acquire or the keys of an all-or-nothing acquire are bad input.
    case ruleEmpty, ruleTooLong, reasonEmpty, exemptRolesTooMany, roleInvalid, editableFieldsTooMany
    case fieldInvalid, rolesTooMany, keysEmpty, keysTooMany, keysOverlap
    /// A mode change to the mode the lock already has.
    case sameMode
}

extension InvalidReason {
    /// The table's reason for a hold input problem.
    package init(_ problem: HoldInputProblem) {
        switch problem {
        case .ruleEmpty: self = .ruleEmpty
        case .ruleTooLong: self = .ruleTooLong
        case .reasonEmpty: self = .reasonEmpty
        case .reasonTooLong: self = .reasonTooLong
        case .exemptRolesTooMany: self = .exemptRolesTooMany
        case .roleInvalid: self = .roleInvalid
        case .editableFieldsTooMany: self = .editableFieldsTooMany
        case .fieldInvalid: self = .fieldInvalid
        case .rolesTooMany: self = .rolesTooMany
        case .keysEmpty: self = .keysEmpty
        case .keysTooMany: self = .keysTooMany
        case .keysOverlap: self = .keysOverlap
        }
    }
}

/// Which bound a request would have exceeded.
package enum Limit: UInt8, Hashable, Sendable, CaseIterable {
    case sessions = 1, locksPerSession, heldLocks, waitersPerKey, waiters
    /// The namespace's quota of locks held plus waiters queued.
    case namespaceHeldLocks
    /// The namespace's quota of waiters.
    case namespaceWaiters
    /// The client's quota of open sessions.
    case clientSessions
    /// The table's bound on holds in place.
    case holds
    /// The namespace's bound on holds in place.
    case namespaceHolds
    /// The bound on holds of different rules on one key.
    case holdsPerKey
}

/// Why a housekeeping command changed nothing.
package enum SkipReason: Hashable, Sendable {
    /// No such session or waiter (already ended, granted or expired).
    case unknownTarget
    /// The session was renewed after the leader decided to expire it.
    case renewedSince(generation: UInt64)
    /// The table's own deadline has not passed yet.
    case notDue(until: Timestamp)
}

/// Something the shell must act on after applying a command: answer a waiting request, notify a holder.
package enum Event: Hashable, Sendable {
    /// A queued acquire got the lock; answer the request. For a queued upgrade, `holder` is the exclusive grant
    /// that replaced the session's shared one.
    case waiterGranted(RequestID, key: LockKey, holder: Holder)
    /// A queued all-or-nothing acquire got every key (`holders` in the request's key order); answer the request.
    case waiterGrantedKeys(RequestID, keys: [LockKey], holders: [Holder])
    /// A holder's lock on `key` changed mode in place (upgrade or downgrade): `previous` is gone, `holder`
    /// holds it now, with a new fence. Not a loss.
    case modeChanged(key: LockKey, previous: Holder, holder: Holder)
    /// `key`'s state changed in a way no other event names: the other keys of an all-or-nothing waiter that
    /// left the queues without a grant. (A hold placed or lifted changes its key, which the command names.)
    case keyChanged(key: LockKey)
    /// A queued acquire was answered "timed out" with `answer`; it can never be granted afterwards.
    case waiterTimedOut(RequestID, key: LockKey, answer: CommandResult)
    /// A queued acquire was withdrawn because it was cancelled or its session ended.
    case waiterDropped(RequestID, key: LockKey, reason: WaiterDropReason)
    /// A holder lost a lock.
    case lockReleased(key: LockKey, previous: Holder, reason: ReleaseReason)
    /// A session ended.
    case sessionEnded(SessionID, reason: SessionEndReason)
}

/// Why a lock was released: by its holder, or lost (force-unlocked, taken over, revoked, expired) with the
/// actor and reason the holder is told (`docs/events.md`).
package enum ReleaseReason: Hashable, Sendable {
    /// By its holder (release or close session).
    case clean
    /// Not by its holder: why, and who did it.
    case lost(LockLoss)
}

/// Why a waiter was withdrawn without an answer of its own.
package enum WaiterDropReason: UInt8, Hashable, Sendable {
    case cancelled = 1, sessionEnded
}

/// How a session ended.
package enum SessionEndReason: UInt8, Hashable, Sendable {
    case closed = 1, expired, revoked
}

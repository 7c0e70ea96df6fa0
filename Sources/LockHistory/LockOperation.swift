import PadlockTypes

/// One lock operation a client performed, as recorded by the simulator or the chaos harness.
///
/// `invoke` and `complete` are real-time instants in nanoseconds on one clock shared by every process of the
/// history. An operation whose outcome is unknown (a timeout, a cut connection) has `complete == nil` and
/// `outcome == nil`: it may have taken effect at any instant after `invoke`, or never.
package struct LockOperation: Hashable, Sendable, CustomStringConvertible {
    /// Unique within one history; reports name operations by it.
    package let id: Int
    /// The client process that performed the operation (reports only; never used to order operations).
    package let process: Int
    /// When the request was sent, in nanoseconds.
    package let invoke: UInt64
    /// When the answer arrived, in nanoseconds; `nil` when the outcome is unknown.
    package let complete: UInt64?
    /// What was asked.
    package let action: LockAction
    /// What was answered; `nil` exactly when `complete` is `nil`.
    package let outcome: LockOutcome?

    /// Records one operation. A known outcome needs a completion instant and an unknown one must have none,
    /// and an operation cannot complete before it was invoked: both are programmer errors of the recorder.
    package init(
        id: Int, process: Int, invoke: UInt64, complete: UInt64?, action: LockAction, outcome: LockOutcome?
    ) {
        precondition(
            (complete == nil) == (outcome == nil),
            "operation \(id): complete (\(String(describing: complete))) and outcome "
                + "(\(String(describing: outcome))) must be both known or both unknown")
        precondition(
            complete.map { $0 >= invoke } ?? true,
            "operation \(id) completes at \(complete ?? 0) ns, before its invoke at \(invoke) ns")
        self.id = id
        self.process = process
        self.invoke = invoke
        self.complete = complete
        self.action = action
        self.outcome = outcome
    }

    /// Whether the answer never arrived, so the operation may or may not have taken effect.
    package var isOutcomeUnknown: Bool { complete == nil }

    /// One line: id, process, time window, action and outcome, e.g.
    /// `#7 p2 [1000, 2000] acquire session-3 acme/1 exclusive → granted fence-9`.
    package var description: String {
        let end = complete.map(String.init) ?? "?"
        let answer = outcome.map(\.description) ?? "unknown outcome"
        return "#\(id) p\(process) [\(invoke), \(end)] \(action) → \(answer)"
    }
}

/// What a client asked the lock service to do.
package enum LockAction: Hashable, Sendable, CustomStringConvertible {
    /// Acquire `key` in `mode` for `session` (try-lock or with a wait time: the history does not care).
    case acquire(session: SessionID, key: LockKey, mode: LockMode)
    /// Release the session's lock on exactly `key`, granted with `fence`.
    case release(session: SessionID, key: LockKey, fence: FenceToken)
    /// Ask whether `fence` is the fence of a current holder of exactly `key`.
    case checkFence(key: LockKey, fence: FenceToken)
    /// The session ended (close, expiry or revocation): every lock it holds is released.
    case endSession(session: SessionID)
    /// An administrator released every holder of exactly `key`.
    case forceUnlock(key: LockKey)

    /// The key the action names, if any (`endSession` names none).
    package var key: LockKey? {
        switch self {
        case let .acquire(_, key, _), let .release(_, key, _), let .checkFence(key, _), let .forceUnlock(key):
            key
        case .endSession: nil
        }
    }

    /// The session the action is performed for, if any (`checkFence` and `forceUnlock` have none).
    package var session: SessionID? {
        switch self {
        case let .acquire(session, _, _), let .release(session, _, _), let .endSession(session): session
        case .checkFence, .forceUnlock: nil
        }
    }

    /// Words, e.g. `acquire session-3 acme/1 exclusive`.
    package var description: String {
        switch self {
        case let .acquire(session, key, mode): "acquire \(session) \(key) \(mode)"
        case let .release(session, key, fence): "release \(session) \(key) \(fence)"
        case let .checkFence(key, fence): "checkFence \(key) \(fence)"
        case let .endSession(session): "endSession \(session)"
        case let .forceUnlock(key): "forceUnlock \(key)"
        }
    }
}

/// A current holder named by a refusal: the session and the fence of its grant.
package struct HolderRef: Hashable, Sendable, CustomStringConvertible {
    /// The session holding the conflicting lock.
    package var session: SessionID
    /// The fence of that lock's grant.
    package var fence: FenceToken

    /// Names the holder `session` whose conflicting lock was granted with `fence`.
    package init(session: SessionID, fence: FenceToken) {
        self.session = session
        self.fence = fence
    }

    /// Words, e.g. `session-2 (fence-4)`.
    package var description: String { "\(session) (\(fence))" }
}

/// What the lock service answered.
package enum LockOutcome: Hashable, Sendable, CustomStringConvertible {
    /// The acquire was granted with this fence (or, reentrantly, returned the existing grant's fence).
    case granted(FenceToken)
    /// The acquire was refused. `holder` names a current conflicting holder; `nil` means the refusal is not
    /// tied to a holder (lock-delay, waiters ahead, timed out behind a waiter) and constrains nothing.
    case refused(holder: HolderRef?)
    /// The release removed the session's lock.
    case released
    /// The release or force-unlock found nothing to remove.
    case notHeld
    /// The answer to `checkFence`: whether the fence belongs to a current holder of the key.
    case fenceCurrent(Bool)
    /// `endSession` happened, or `forceUnlock` released at least one holder.
    case done
    /// The operation had no effect at all (the session had expired, the input was invalid, …).
    case failed

    /// Words, e.g. `granted fence-9` or `refused by session-2 (fence-4)`.
    package var description: String {
        switch self {
        case let .granted(fence): "granted \(fence)"
        case let .refused(holder?): "refused by \(holder)"
        case .refused(nil): "refused (no holder named)"
        case .released: "released"
        case .notHeld: "not held"
        case let .fenceCurrent(current): current ? "fence current" : "fence not current"
        case .done: "done"
        case .failed: "failed"
        }
    }
}

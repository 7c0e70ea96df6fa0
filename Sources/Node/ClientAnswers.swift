import LockTable
import PadlockTypes
import Wire

/// Maps the lock table's answers to what a client is told.
enum ClientAnswers {
    /// An answer now, or the request whose grant (or timeout) will answer later.
    struct Answer {
        var reply: Result<ClientResult, ClientFailure>?
        var waitsFor: RequestID?
    }

    /// The keys and mode an acquire asked for: what a `held` answer lists the conflicting holders of.
    struct Requested: Hashable {
        var keys: [LockKey]
        var mode: LockMode
        /// For an upgrade, the upgrading session: its own lock on the key is the one being changed, never a
        /// conflict to name.
        var upgrader: SessionID? = nil

        /// The requested key a refusal on `key` concerns: the first in request order that overlaps it.
        func key(overlapping key: LockKey) -> LockKey? { keys.first { $0.overlaps(key) } }
    }

    /// `requested` is the acquire's key and mode when known (an answer replayed for `resolve` does not know
    /// it); a `held` answer then names every conflicting holder, not only the one the table decided on.
    static func outcome(
        of result: CommandResult, kind: ClientCommandKind, table: LockTable, events: [Event] = [],
        request: RequestID? = nil, requested: Requested? = nil
    ) -> Answer {
        switch result {
        case .sessionOpened(let session, let deadline):
            let ttl = table.session(session)?.ttlMilliseconds ?? 0
            return Answer(
                reply: .success(
                    .sessionOpened(SessionGrant(session: session, ttlMilliseconds: ttl, renewalDeadline: deadline))))
        case .sessionClosed:
            return Answer(reply: .success(.sessionClosed))
        case .granted(_, let holder):
            return Answer(reply: .success(.granted(holder)))
        case .grantedKeys(_, let holders):
            return Answer(reply: .success(granted(holders)))
        case .queued:
            return Answer(reply: nil, waitsFor: request)
        case .held(let holder, let key):
            let waiting = UInt64(table.inspect(key).waiters.count)
            let (holders, truncated) = heldHolders(holder, on: key, requested: requested, table: table)
            return Answer(reply: .failure(.held(by: holders, truncated: truncated, waiterCount: waiting)))
        case .waitersAhead(let key):
            let waiting = UInt64(table.inspect(key).waiters.count)
            return Answer(reply: .failure(.waitersAhead(key: key, waiterCount: waiting)))
        case .lockDelayed(let until):
            return Answer(reply: .failure(.lockDelayed(until: until)))
        case .released:
            return Answer(reply: .success(.released))
        case .notHeld:
            return Answer(reply: .failure(.notHeld))
        case .waitCancelled:
            return Answer(reply: .success(.waitCancelled))
        case .notWaiting:
            return Answer(reply: .failure(.notWaiting))
        case .forcedUnlock(let previous):
            return Answer(
                reply: .success(.forceUnlocked(previous: Array(previous.prefix(WireLimits.inspectionEntriesMax)))))
        case .sessionRevoked:
            let released = events.filter { event in
                if case .lockReleased(_, _, .lost(.sessionRevoked)) = event { return true }
                return false
            }
            return Answer(reply: .success(.sessionRevoked(releasedLockCount: UInt64(released.count))))
        case .sessionExpired:
            return Answer(reply: .failure(.sessionExpired))
        case .sessionUnknown:
            // Either the requester's own session or, for a revocation, its target has ended: both are
            // "that session has ended" to the caller (its own session would also fail its renewals).
            return Answer(reply: .failure(.sessionExpired))
        case .stale:
            return Answer(reply: .failure(.superseded))
        case .abandoned:
            return Answer(reply: .failure(.unknownRequest))
        case .invalid(let reason):
            return Answer(reply: .failure(.invalidArgument(message: message(for: reason))))
        case .overloaded(let limit):
            return Answer(reply: .failure(.overloaded(reason: message(for: limit))))
        case .restricted, .holdPlaced, .holdsLifted, .noHold:
            return Answer(reply: holdReply(result))
        case .sessionExpiredNow, .waiterExpired, .leasesCheckpointed, .skipped, .quotasSet:
            return Answer(
                reply: .failure(.invalidArgument(message: "housekeeping result \(result) for a client request")))
        }
    }

    /// What a client is told of a hold's refusal, placement or lifting (`docs/holds.md`).
    private static func holdReply(_ result: CommandResult) -> Result<ClientResult, ClientFailure> {
        switch result {
        case .restricted(let hold):
            return .failure(.restricted(by: hold))
        case .holdPlaced(let hold, let ended):
            let infos = ended.prefix(WireLimits.inspectionEntriesMax).map {
                LockInfo(key: $0.key, holder: $0.holder, leaseDeadline: $0.leaseDeadline)
            }
            return .success(.holdPlaced(hold, ended: infos))
        case .holdsLifted(let holds):
            return .success(.holdsLifted(holds))
        case .noHold:
            return .failure(.noHold)
        default:
            return .failure(.invalidArgument(message: "result \(result) is not about holds"))
        }
    }

    /// The holders a `held` answer names: the one the table decided on first, then every other holder whose
    /// lock conflicts with the request, in key order; at most `WireLimits.heldHoldersMax`, and whether more
    /// conflict than are named.
    static func heldHolders(
        _ first: Holder, on key: LockKey, requested: Requested?, table: LockTable
    )
        -> (holders: [LockInfo], truncated: Bool)
    {
        let deadline = table.session(first.session)?.leaseDeadline ?? first.since
        var holders = [LockInfo(key: key, holder: first, leaseDeadline: deadline)]
        guard let requested, let asked = requested.key(overlapping: key) else { return (holders, false) }
        let others = table.conflictingHolders(of: asked, mode: requested.mode, limit: WireLimits.heldHoldersMax)
        for other in others.holders where other.holder.session != first.session || other.holder.fence != first.fence {
            if other.holder.session == requested.upgrader && other.key == asked { continue }
            guard holders.count < WireLimits.heldHoldersMax else { return (holders, true) }
            holders.append(LockInfo(key: other.key, holder: other.holder, leaseDeadline: other.leaseDeadline))
        }
        return (holders, others.truncated)
    }

    static func message(for reason: InvalidReason) -> String {
        switch reason {
        case .ownerEmpty: "the owner label is empty; use a name such as alice@frontend-2"
        case .ownerTooLong: "the owner label is longer than \(InputLimits.ownerByteCountMax) bytes"
        case .noteTooLong: "the note is longer than \(InputLimits.noteByteCountMax) bytes"
        case .reasonTooLong: "the reason is longer than \(InputLimits.reasonByteCountMax) bytes"
        case .adminTooLong: "the administrator's identity is longer than \(InputLimits.ownerByteCountMax) bytes"
        case .ttlOutOfRange:
            "the session TTL must be between \(InputLimits.sessionTTLMillisecondsMin) and "
                + "\(InputLimits.sessionTTLMillisecondsMax) ms"
        case .waitTooLong: "the wait may be at most \(InputLimits.waitMillisecondsMax) ms"
        case .alreadyWaiting: "this session already waits for that key; cancel that wait or wait for its answer"
        case .malformedCommand: "the request could not be decoded"
        case .ruleEmpty: HoldInputProblem.ruleEmpty.description
        case .ruleTooLong: HoldInputProblem.ruleTooLong.description
        case .reasonEmpty: HoldInputProblem.reasonEmpty.description
        case .exemptRolesTooMany: HoldInputProblem.exemptRolesTooMany.description
        case .roleInvalid: HoldInputProblem.roleInvalid.description
        case .editableFieldsTooMany: HoldInputProblem.editableFieldsTooMany.description
        case .fieldInvalid: HoldInputProblem.fieldInvalid.description
        case .rolesTooMany: HoldInputProblem.rolesTooMany.description
        case .keysEmpty: HoldInputProblem.keysEmpty.description
        case .keysTooMany: HoldInputProblem.keysTooMany.description
        case .keysOverlap: HoldInputProblem.keysOverlap.description
        case .sameMode: "the lock already has that mode; nothing to change"
        }
    }

    static func message(for limit: Limit) -> String {
        switch limit {
        case .sessions: "the cluster holds as many sessions as it allows; close unused sessions or retry later"
        case .locksPerSession: "this session holds or waits for as many locks as one session may"
        case .heldLocks: "the cluster holds as many locks as it allows; retry later"
        case .waitersPerKey: "too many requests already wait for this key; retry later"
        case .waiters: "the cluster holds as many waiting requests as it allows; retry later"
        case .namespaceHeldLocks:
            "quota exceeded: this key's namespace holds (or waits for) as many locks as its quota allows; "
                + "release some or ask an operator to raise [quotas]"
        case .namespaceWaiters:
            "quota exceeded: as many requests wait in this key's namespace as its quota allows; retry later"
        case .clientSessions:
            "quota exceeded: this client has as many sessions open as its `sessions` quota allows; close unused "
                + "sessions or ask an operator to raise it"
        case .holds: "the cluster holds as many holds as it allows; lift holds that no longer apply"
        case .namespaceHolds:
            "this key's namespace has as many holds as it allows; lift holds that no longer apply"
        case .holdsPerKey:
            "this key has as many holds of different rules as one key may (\(HoldLimits.holdsPerKeyMax)); lift one"
        }
    }
}

extension ClientAnswers {
    /// What a client is told of a grant of `holders`, one per key of its request: `granted` for one key (as a
    /// plain acquire is answered), `grantedKeys` for several.
    static func granted(_ holders: [Holder]) -> ClientResult {
        holders.count == 1 ? .granted(holders[0]) : .grantedKeys(holders)
    }
}

extension ClientAnswers.Requested {
    /// The acquire's keys and mode; nil for any other command. (An upgrade refused `held` names only the
    /// holder the table names: the conflicting holders of an exclusive lock would include its own shared one.)
    init?(_ command: Command) {
        switch command {
        case .acquire(_, let key, let mode, _, _):
            self.init(keys: [key], mode: mode)
        case .acquireKeys(_, let keys, let mode, _, _, _):
            self.init(keys: keys, mode: mode)
        case .changeMode(let request, let key, _, let mode, _, _):
            self.init(keys: [key], mode: mode, upgrader: request.session)
        default:
            return nil
        }
    }
}

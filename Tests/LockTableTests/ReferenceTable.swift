import LockTable
import PadlockTypes

// The table's own audit types, not the client's of the same names in PadlockTypes (a scoped import wins).
import enum LockTable.AuditAction
import struct LockTable.AuditRecord

/// A deliberately naive model of the lock table for randomized comparison: flat arrays, every conflict found
/// by scanning every holder and waiter, and every waiter reconsidered after every command. It shares only the
/// public vocabulary with `LockTable`, none of its code.
struct ReferenceTable {
    struct Session {
        var owner: String
        var client: String?
        var nonce: UInt64
        var ttl: UInt64
        var generation: UInt64 = 0
        var deadline: Timestamp
        var checkpointRemaining: UInt64
        var lastSequence: UInt64 = 0
        var lastResult: CommandResult?
    }

    struct Hold {
        var key: LockKey
        var session: SessionID
        var mode: LockMode
        var fence: FenceToken
        var since: Timestamp
        var note: String
    }

    struct Wait {
        var request: RequestID
        var key: LockKey
        var mode: LockMode
        var note: String
        var arrival: UInt64
        var enqueuedAt: Timestamp
        var deadline: Timestamp
        /// The keys of an all-or-nothing acquire, in the request's order (`key` is the first); nil for a single
        /// acquire or a queued upgrade.
        var batch: [LockKey]? = nil
        /// The roles the requester claimed (none for a plain acquire).
        var roles: [String] = []
        /// For a queued upgrade: the fence of the shared grant it upgrades.
        var upgrade: FenceToken? = nil

        /// Every key it stands in the queue of.
        var keys: [LockKey] { batch ?? [key] }
    }

    let configuration: LockTableConfiguration
    var sessions: [SessionID: Session] = [:]
    var holds: [Hold] = []
    /// The rule holds in place, in placement order (every output sorts them first).
    var rules: [RuleHold] = []
    /// How many records of each action were audited, for the random runs' coverage checks.
    var auditedActions: [AuditAction: Int] = [:]
    var waits: [Wait] = []
    var delays: [(key: LockKey, until: Timestamp)] = []
    var ended: [(SessionID, SessionEndReason)] = []
    var audit: [AuditRecord] = []
    var nextAudit: UInt64 = 1
    var index: UInt64 = 0
    var now = Timestamp(rawValue: 0)
    var events: [Event] = []

    init(configuration: LockTableConfiguration) { self.configuration = configuration }

    mutating func apply(_ command: Command, at index: UInt64, time: Timestamp) -> LockTable.Applied {
        self.index = index
        now = max(now, time)
        events = []
        delays.removeAll { $0.until <= now }
        let result = dispatch(command)
        promote()
        return LockTable.Applied(result: result, events: events)
    }

    private mutating func dispatch(_ command: Command) -> CommandResult {
        switch command {
        case let .acquireKeys(request, keys, mode, wait, note, roles):
            return once(request) { $0.acquireKeys(request, keys, mode, wait, note, roles) }
        case let .changeMode(request, key, fence, mode, wait, roles):
            return once(request) { $0.changeMode(request, key, fence, mode, wait, roles) }
        case let .placeHold(request, placement, actor):
            return once(request) { $0.place(placement, request.session, actor) }
        case let .liftHold(request, key, rule, reason, actor):
            return once(request) { $0.lift(key, rule, reason, request.session, actor) }
        case let .openSession(owner, nonce, ttl): return open(owner, nonce, ttl)
        case let .openClientSession(owner, nonce, ttl, client, sessionsMax):
            return open(owner, nonce, ttl, client: client, sessionsMax: sessionsMax)
        case let .closeSession(request):
            return once(request, closing: true) {
                $0.end(request.session, .closed, "", ""); return .sessionClosed
            }
        case let .acquire(request, key, mode, wait, note):
            return once(request) { $0.acquire(request, key, mode, wait, note) }
        case let .release(request, key, fence):
            return once(request) { model in
                guard
                    let position = model.holds.firstIndex(where: {
                        $0.key == key && $0.session == request.session && $0.fence == fence
                    })
                else { return .notHeld }
                let hold = model.holds[position]
                model.answerOrphanedUpgrade(of: hold)
                model.holds.remove(at: position)
                model.events.append(.lockReleased(key: key, previous: model.holder(hold), reason: .clean))
                return .released
            }
        case let .cancelWait(request, key):
            return once(request) { model in
                guard
                    let position = model.waits.firstIndex(where: {
                        $0.keys.contains(key) && $0.request.session == request.session
                    })
                else { return .notWaiting }
                let wait = model.waits.remove(at: position)
                model.events.append(.waiterDropped(wait.request, key: key, reason: .cancelled))
                model.announceOtherKeys(of: wait, than: key)
                return .waitCancelled
            }
        case let .forceUnlock(request, key, reason, admin):
            return once(request) { $0.force(key, reason, admin) }
        case let .takeover(request, key, mode, note, reason, admin):
            return once(request) { $0.takeover(request.session, key, mode, note, reason, admin) }
        case let .revokeSession(request, target, reason, admin):
            return once(request) { model in
                if reason.utf8.count > InputLimits.reasonByteCountMax { return .invalid(.reasonTooLong) }
                if admin.utf8.count > InputLimits.ownerByteCountMax { return .invalid(.adminTooLong) }
                guard model.sessions[target] != nil else { return .sessionUnknown }
                model.end(target, .revoked, admin, reason)
                return .sessionRevoked(target)
            }
        case let .expireSession(id, generation): return expire(id, generation)
        case let .expireWaiter(request): return expireWaiter(request)
        case let .checkpointLeases(checkpoints): return checkpoint(checkpoints)
        case let .resolve(request): return once(request) { _ in .abandoned }
        // Quotas are not modelled: the random workloads never set any (NamespaceQuotaTests cover them).
        case .setQuotas: return .quotasSet
        }
    }

    private mutating func once(
        _ request: RequestID, closing: Bool = false, _ body: (inout ReferenceTable) -> CommandResult
    ) -> CommandResult {
        guard let session = sessions[request.session] else {
            switch ended.first(where: { $0.0 == request.session })?.1 {
            case .closed?: return closing ? .sessionClosed : .sessionUnknown
            case .expired?, .revoked?: return .sessionExpired
            case nil: return .sessionUnknown
            }
        }
        if request.sequence < session.lastSequence { return .stale(lastSequence: session.lastSequence) }
        if request.sequence == session.lastSequence, let result = session.lastResult { return result }
        let result = body(&self)
        if sessions[request.session] != nil {
            sessions[request.session]!.lastSequence = request.sequence
            sessions[request.session]!.lastResult = result
        }
        return result
    }

    private mutating func open(
        _ owner: String, _ nonce: UInt64, _ ttl: UInt64, client: String? = nil, sessionsMax: UInt64 = 0
    ) -> CommandResult {
        if owner.isEmpty { return .invalid(.ownerEmpty) }
        if owner.utf8.count > InputLimits.ownerByteCountMax { return .invalid(.ownerTooLong) }
        if ttl < InputLimits.sessionTTLMillisecondsMin || ttl > InputLimits.sessionTTLMillisecondsMax {
            return .invalid(.ttlOutOfRange)
        }
        let same = sessions.first { $0.value.client == client && $0.value.owner == owner && $0.value.nonce == nonce }
        if let (id, session) = same {
            return .sessionOpened(id, leaseDeadline: session.deadline)
        }
        if sessions.count >= configuration.sessionCountMax { return .overloaded(.sessions) }
        if let client, sessionsMax > 0, sessions.values.filter({ $0.client == client }).count >= sessionsMax {
            return .overloaded(.clientSessions)
        }
        let deadline = now.adding(milliseconds: ttl)
        sessions[SessionID(index)] = Session(
            owner: owner, client: client, nonce: nonce, ttl: ttl, deadline: deadline, checkpointRemaining: ttl)
        return .sessionOpened(SessionID(index), leaseDeadline: deadline)
    }

    func holder(_ hold: Hold) -> Holder {
        Holder(
            session: hold.session, owner: sessions[hold.session]!.owner, mode: hold.mode, fence: hold.fence,
            since: hold.since, note: hold.note)
    }

    /// Segment-wise order of keys: the order in which a conflicting holder is reported.
    static func segmentOrder(_ lhs: LockKey, _ rhs: LockKey) -> Bool {
        let left = lhs.segments.map { Array($0.utf8) }
        let right = rhs.segments.map { Array($0.utf8) }
        return left.lexicographicallyPrecedes(right) { $0.lexicographicallyPrecedes($1) }
    }

    /// Why `mode` on `key` cannot be granted to a requester claiming `roles`: a refusing hold first, then a
    /// conflicting holder, a lock-delay, an earlier conflicting waiter.
    func refusal(
        _ key: LockKey, _ mode: LockMode, roles: [String], before arrival: UInt64
    ) -> CommandResult? {
        if let rule = refusingRule(key, mode, roles) { return .restricted(by: rule) }
        let conflicting = holds.filter { $0.key.overlaps(key) && !$0.mode.isCompatible(with: mode) }
        // `min` keeps the first of equal keys: the earliest grant, since holds are in grant order.
        if let first = conflicting.min(by: { Self.segmentOrder($0.key, $1.key) }) {
            return .held(by: holder(first), key: first.key)
        }
        if let until = delays.filter({ $0.key.overlaps(key) }).map(\.until).max() { return .lockDelayed(until: until) }
        // Waits are in arrival order; a batch is named by its overlapping key of lowest bytes (docs/holds.md).
        if let wait = waits.first(where: {
            $0.arrival < arrival && !$0.mode.isCompatible(with: mode) && $0.keys.contains { $0.overlaps(key) }
        }) {
            let named = wait.keys.filter { $0.overlaps(key) }.min { $0.string.utf8.lexicographicallyPrecedes($1.string.utf8) }!
            return .waitersAhead(key: named)
        }
        return nil
    }
}

/// A rule hold (the name `Hold` is the model's holder record).
typealias RuleHold = PadlockTypes.Hold

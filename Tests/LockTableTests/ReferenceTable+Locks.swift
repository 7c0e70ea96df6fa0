import LockTable
import PadlockTypes

// The table's own audit types, not the client's of the same names in PadlockTypes (a scoped import wins).
import enum LockTable.AuditAction
import struct LockTable.AuditRecord

extension ReferenceTable {
    mutating func acquire(
        _ request: RequestID, _ key: LockKey, _ mode: LockMode, _ wait: UInt64, _ note: String,
        roles: [String] = []
    ) -> CommandResult {
        if note.utf8.count > InputLimits.noteByteCountMax { return .invalid(.noteTooLong) }
        if wait > InputLimits.waitMillisecondsMax { return .invalid(.waitTooLong) }
        if let hold = holds.first(where: { $0.key == key && $0.session == request.session && $0.mode == mode }) {
            return .granted(hold.fence, holder(hold))
        }
        // Only reentrancy comes before a hold's refusal (docs/holds.md).
        if let rule = refusingRule(key, mode, roles) { return .restricted(by: rule) }
        if waits.contains(where: { $0.keys.contains(key) && $0.request.session == request.session }) {
            return .invalid(.alreadyWaiting)
        }
        let mine = holds.filter { $0.session == request.session }.count + waitEntries(of: request.session)
        if mine >= configuration.locksPerSessionMax { return .overloaded(.locksPerSession) }
        let full = holds.count + waitEntries >= configuration.heldLockCountMax
        guard let refused = refusal(key, mode, roles: roles, before: .max) else {
            if full { return .overloaded(.heldLocks) }
            let hold = Hold(
                key: key, session: request.session, mode: mode, fence: FenceToken(index), since: now, note: note)
            holds.append(hold)
            auditBypasses(hold, roles: roles)
            return .granted(hold.fence, holder(hold))
        }
        if wait == 0 { return refused }
        if waits.filter({ $0.keys.contains(key) }).count >= configuration.waitersPerKeyMax {
            return .overloaded(.waitersPerKey)
        }
        if waitEntries >= configuration.waiterCountMax { return .overloaded(.waiters) }
        if full { return .overloaded(.heldLocks) }
        waits.append(
            Wait(
                request: request, key: key, mode: mode, note: note, arrival: index, enqueuedAt: now,
                deadline: now.adding(milliseconds: wait), roles: roles))
        return .queued(position: waits.filter { $0.keys.contains(key) }.count)
    }

    mutating func force(_ key: LockKey, _ reason: String, _ admin: String) -> CommandResult {
        if reason.utf8.count > InputLimits.reasonByteCountMax { return .invalid(.reasonTooLong) }
        if admin.utf8.count > InputLimits.ownerByteCountMax { return .invalid(.adminTooLong) }
        let released = holds.filter { $0.key == key }
        if released.isEmpty { return .notHeld }
        holds.removeAll { $0.key == key }
        for hold in released {
            answerOrphanedUpgrade(of: hold)
            events.append(
                .lockReleased(
                    key: key, previous: holder(hold), reason: .lost(.forceUnlocked(by: admin, reason: reason))))
            record(.forceUnlock, admin, hold.session, key, holder(hold), reason)
        }
        delay(key)
        return .forcedUnlock(previous: released.map(holder))
    }

    /// Ends every conflicting holder (key bytes order, grant order within a key) and grants at once.
    mutating func takeover(
        _ session: SessionID, _ key: LockKey, _ mode: LockMode, _ note: String, _ reason: String, _ admin: String
    ) -> CommandResult {
        if note.utf8.count > InputLimits.noteByteCountMax { return .invalid(.noteTooLong) }
        if reason.utf8.count > InputLimits.reasonByteCountMax { return .invalid(.reasonTooLong) }
        if admin.utf8.count > InputLimits.ownerByteCountMax { return .invalid(.adminTooLong) }
        if let hold = holds.first(where: { $0.key == key && $0.session == session && $0.mode == mode }) {
            return .granted(hold.fence, holder(hold))
        }
        // A takeover claims no roles: every hold restricting its mode refuses it.
        if let rule = refusingRule(key, mode, []) { return .restricted(by: rule) }
        if waits.contains(where: { $0.keys.contains(key) && $0.request.session == session }) {
            return .invalid(.alreadyWaiting)
        }
        let conflicting = holds.indices.filter {
            holds[$0].key.overlaps(key) && !holds[$0].mode.isCompatible(with: mode)
        }
        .sorted { left, right in
            let (a, b) = (holds[left].key.string.utf8, holds[right].key.string.utf8)
            if a.lexicographicallyPrecedes(b) { return true }
            if b.lexicographicallyPrecedes(a) { return false }
            return left < right
        }
        let mine =
            holds.filter { $0.session == session }.count + waitEntries(of: session)
            - conflicting.filter { holds[$0].session == session }.count
        if mine >= configuration.locksPerSessionMax { return .overloaded(.locksPerSession) }
        if conflicting.isEmpty && holds.count + waitEntries >= configuration.heldLockCountMax {
            return .overloaded(.heldLocks)
        }
        let taken = Hold(key: key, session: session, mode: mode, fence: FenceToken(index), since: now, note: note)
        let taker = holder(taken)
        for position in conflicting {
            let hold = holds[position]
            answerOrphanedUpgrade(of: hold)
            events.append(
                .lockReleased(
                    key: hold.key, previous: holder(hold), reason: .lost(.takenOver(by: taker, reason: reason))))
            record(.takeover, admin, hold.session, hold.key, holder(hold), reason)
        }
        let ended = Set(conflicting)
        holds = holds.indices.filter { !ended.contains($0) }.map { holds[$0] }
        holds.append(taken)
        return .granted(taken.fence, taker)
    }

    mutating func end(_ id: SessionID, _ reason: SessionEndReason, _ actor: String, _ why: String) {
        let byKey: (LockKey, LockKey) -> Bool = { $0.string.utf8.lexicographicallyPrecedes($1.string.utf8) }
        // A batch is named by its first key in byte order, its other keys announced after it.
        let named: (Wait) -> LockKey = { $0.keys.min(by: byKey)! }
        for wait in waits.filter({ $0.request.session == id }).sorted(by: { byKey(named($0), named($1)) }) {
            events.append(.waiterDropped(wait.request, key: named(wait), reason: .sessionEnded))
            announceOtherKeys(of: wait, than: named(wait))
        }
        waits.removeAll { $0.request.session == id }
        let action: AuditAction = reason == .expired ? .expireSession : .revokeSession
        if reason != .closed { record(action, actor, id, nil, nil, why) }
        let releaseReason: ReleaseReason =
            switch reason {
            case .closed: .clean
            case .expired: .lost(.expired)
            case .revoked: .lost(.sessionRevoked(by: actor, reason: why))
            }
        for hold in holds.filter({ $0.session == id }).sorted(by: { byKey($0.key, $1.key) }) {
            events.append(.lockReleased(key: hold.key, previous: holder(hold), reason: releaseReason))
            if reason != .closed {
                record(action, actor, id, hold.key, holder(hold), why)
                delay(hold.key)
            }
        }
        holds.removeAll { $0.session == id }
        sessions[id] = nil
        events.append(.sessionEnded(id, reason: reason))
        if configuration.endedSessionMemoryMax > 0 {
            ended.append((id, reason))
            if ended.count > configuration.endedSessionMemoryMax { ended.removeFirst() }
        }
    }

    mutating func expire(_ id: SessionID, _ generation: UInt64) -> CommandResult {
        guard let session = sessions[id] else { return .skipped(.unknownTarget) }
        if generation < session.generation { return .skipped(.renewedSince(generation: session.generation)) }
        if now < session.deadline { return .skipped(.notDue(until: session.deadline)) }
        end(id, .expired, "leader", "lock lease expired")
        return .sessionExpiredNow(id)
    }

    mutating func expireWaiter(_ request: RequestID) -> CommandResult {
        guard let position = waits.firstIndex(where: { $0.request == request }) else { return .skipped(.unknownTarget) }
        let wait = waits[position]
        if now < wait.deadline { return .skipped(.notDue(until: wait.deadline)) }
        waits.remove(at: position)
        let refused = timeoutAnswer(wait)
        events.append(.waiterTimedOut(request, key: wait.key, answer: refused))
        announceOtherKeys(of: wait, than: wait.key)
        answer(wait.request, refused)
        return .waiterExpired
    }

    mutating func checkpoint(_ checkpoints: [LeaseCheckpoint]) -> CommandResult {
        var count = 0
        for checkpoint in checkpoints {
            guard let session = sessions[checkpoint.session], checkpoint.renewalGeneration >= session.generation else {
                continue
            }
            let remaining = min(checkpoint.remainingMilliseconds, session.ttl * 2)
            sessions[checkpoint.session]!.generation = checkpoint.renewalGeneration
            sessions[checkpoint.session]!.checkpointRemaining = remaining
            sessions[checkpoint.session]!.deadline = now.adding(milliseconds: remaining)
            count += 1
        }
        return .leasesCheckpointed(count: count)
    }

    /// Reconsiders every waiter, in arrival order, after every command.
    mutating func promote() {
        for wait in waits where waits.contains(where: { $0.request == wait.request }) {
            if wait.upgrade != nil {
                if upgradeRefusal(wait.request.session, wait.key) == nil { grantUpgrade(wait) }
            } else if wait.keys.allSatisfy({ refusal($0, wait.mode, roles: wait.roles, before: wait.arrival) == nil }) {
                grantWait(wait)
            }
        }
    }

    private mutating func grantWait(_ wait: Wait) {
        waits.removeAll { $0.request == wait.request }
        var granted: [Hold] = []
        for key in wait.keys {
            let hold = Hold(
                key: key, session: wait.request.session, mode: wait.mode, fence: FenceToken(index), since: now,
                note: wait.note)
            holds.append(hold)
            granted.append(hold)
        }
        let holders = granted.map(holder)
        if let keys = wait.batch {
            events.append(.waiterGrantedKeys(wait.request, keys: keys, holders: holders))
            answer(wait.request, .grantedKeys(FenceToken(index), holders))
        } else {
            events.append(.waiterGranted(wait.request, key: wait.key, holder: holders[0]))
            answer(wait.request, .granted(holders[0].fence, holders[0]))
        }
        for hold in granted { auditBypasses(hold, roles: wait.roles) }
    }

    /// Records `result` as the answer to `request` if it is still its session's last request.
    mutating func answer(_ request: RequestID, _ result: CommandResult) {
        if sessions[request.session]?.lastSequence == request.sequence {
            sessions[request.session]!.lastResult = result
        }
    }

    /// Why a waiter timed out: the first refusal of its keys in request order at its arrival.
    func timeoutAnswer(_ wait: Wait) -> CommandResult {
        if wait.upgrade != nil { return upgradeRefusal(wait.request.session, wait.key) ?? .waitersAhead(key: wait.key) }
        for key in wait.keys {
            if let refused = refusal(key, wait.mode, roles: wait.roles, before: wait.arrival) { return refused }
        }
        return .waitersAhead(key: wait.key)
    }

    /// `keyChanged` for the keys of a batch waiter that the event naming it did not name.
    mutating func announceOtherKeys(of wait: Wait, than named: LockKey) {
        guard let keys = wait.batch else { return }
        for key in keys where key != named { events.append(.keyChanged(key: key)) }
    }

    mutating func delay(_ key: LockKey) {
        let milliseconds = configuration.lockDelayMilliseconds(for: key)
        guard milliseconds > 0 else { return }
        let until = now.adding(milliseconds: milliseconds)
        if let position = delays.firstIndex(where: { $0.key == key }) {
            delays[position].until = max(delays[position].until, until)
        } else {
            delays.append((key, until))
        }
    }

    mutating func record(
        _ action: AuditAction, _ actor: String, _ session: SessionID, _ key: LockKey?, _ previous: Holder?,
        _ reason: String, hold: RuleHold? = nil
    ) {
        auditedActions[action, default: 0] += 1
        audit.append(
            AuditRecord(
                sequence: nextAudit, index: index, time: now, action: action, actor: actor, session: session, key: key,
                previous: previous, reason: reason, hold: hold))
        nextAudit += 1
        if audit.count > configuration.auditRecordCountMax { audit.removeFirst() }
    }
}

extension ReferenceTable {
    /// The naive overlap query: every holder and every waiter whose key overlaps `key`, sorted by key bytes
    /// (a stable sort, so grant order and queue order survive within a key), cut to `limit` (1 to the page size).
    func overlapping(_ key: LockKey, limit requested: Int) -> OverlapModel {
        let limit = max(1, min(requested, configuration.pageSizeMax))
        let byKey: (LockKey, LockKey) -> Bool = { $0.string.utf8.lexicographicallyPrecedes($1.string.utf8) }
        let holders = stableSorted(holds.filter { $0.key.overlaps(key) }, by: { byKey($0.key, $1.key) })
        let entries = waits.flatMap { wait in wait.keys.map { (key: $0, request: wait.request) } }
        let waiters = stableSorted(entries.filter { $0.key.overlaps(key) }, by: { byKey($0.key, $1.key) })
        return OverlapModel(
            holders: holders.prefix(limit).map { ($0.key, holder($0), sessions[$0.session]!.deadline) },
            holdersTruncated: holders.count > limit, waiters: waiters.prefix(limit).map { ($0.key, $0.request) },
            waitersTruncated: waiters.count > limit,
            lockDelayedUntil: delays.filter { $0.key.overlaps(key) }.map(\.until).max())
    }

    private func stableSorted<T>(_ items: [T], by precedes: (T, T) -> Bool) -> [T] {
        items.indices.sorted { left, right in
            if precedes(items[left], items[right]) { return true }
            if precedes(items[right], items[left]) { return false }
            return left < right
        }.map { items[$0] }
    }

    struct OverlapModel {
        var holders: [(key: LockKey, holder: Holder, deadline: Timestamp)]
        var holdersTruncated: Bool
        var waiters: [(key: LockKey, request: RequestID)]
        var waitersTruncated: Bool
        var lockDelayedUntil: Timestamp?

        /// Whether the table's answer says exactly this.
        func matches(_ inspection: OverlapInspection) -> Bool {
            inspection.holders.map(\.key) == holders.map(\.key)
                && inspection.holders.map(\.holder) == holders.map(\.holder)
                && inspection.holders.map(\.leaseDeadline) == holders.map(\.deadline)
                && inspection.holdersTruncated == holdersTruncated
                && inspection.waiters.map(\.key) == waiters.map(\.key)
                && inspection.waiters.map(\.request) == waiters.map(\.request)
                && inspection.waitersTruncated == waitersTruncated && inspection.lockDelayedUntil == lockDelayedUntil
        }
    }
}

import LockTable
import PadlockTypes

/// All-or-nothing acquires and mode changes in the naive model (`docs/holds.md`).
extension ReferenceTable {
    /// Queue entries: a batch waiter stands in the queue of each of its keys.
    var waitEntries: Int { waits.map(\.keys.count).reduce(0, +) }

    func waitEntries(of session: SessionID) -> Int {
        waits.filter { $0.request.session == session }.map(\.keys.count).reduce(0, +)
    }

    static func problem(roles: [String]) -> InvalidReason? {
        if roles.count > 16 { return .rolesTooMany }
        let valid = roles.allSatisfy { role in
            !role.isEmpty && role.utf8.count <= 64
                && !role.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
        }
        return valid ? nil : .roleInvalid
    }

    static func problem(keys: [LockKey]) -> InvalidReason? {
        if keys.isEmpty { return .keysEmpty }
        if keys.count > 64 { return .keysTooMany }
        for first in keys.indices {
            for second in keys.indices where second > first && keys[first].overlaps(keys[second]) {
                return .keysOverlap
            }
        }
        return nil
    }

    mutating func acquireKeys(
        _ request: RequestID, _ keys: [LockKey], _ mode: LockMode, _ wait: UInt64, _ note: String, _ roles: [String]
    ) -> CommandResult {
        if note.utf8.count > InputLimits.noteByteCountMax { return .invalid(.noteTooLong) }
        if wait > InputLimits.waitMillisecondsMax { return .invalid(.waitTooLong) }
        if let problem = Self.problem(keys: keys) ?? Self.problem(roles: roles) { return .invalid(problem) }
        // One key is a plain acquire with roles (the table's reading of "equals in effect").
        if keys.count == 1 { return acquire(request, keys[0], mode, wait, note, roles: roles) }
        let session = request.session
        // A batch never holds a key twice: a key the session holds already, in either mode, refuses it.
        for key in keys {
            if let own = holds.first(where: { $0.key == key && $0.session == session }) {
                return .held(by: holder(own), key: key)
            }
        }
        // Then holds, then the session's own waits, as for one key.
        for key in keys {
            if let rule = refusingRule(key, mode, roles) { return .restricted(by: rule) }
        }
        for key in keys where waits.contains(where: { $0.request.session == session && $0.keys.contains(key) }) {
            return .invalid(.alreadyWaiting)
        }
        if holds.filter({ $0.session == session }).count + waitEntries(of: session) + keys.count
            > configuration.locksPerSessionMax
        {
            return .overloaded(.locksPerSession)
        }
        let full = holds.count + waitEntries + keys.count > configuration.heldLockCountMax
        let model = self
        guard let refused = keys.lazy.compactMap({ model.refusal($0, mode, roles: roles, before: .max) }).first else {
            if full { return .overloaded(.heldLocks) }
            let granted = keys.map {
                Hold(key: $0, session: session, mode: mode, fence: FenceToken(index), since: now, note: note)
            }
            holds += granted
            for hold in granted { auditBypasses(hold, roles: roles) }
            return .grantedKeys(FenceToken(index), granted.map(holder))
        }
        if wait == 0 { return refused }
        if keys.contains(where: { key in waits.filter { $0.keys.contains(key) }.count >= configuration.waitersPerKeyMax
        }) {
            return .overloaded(.waitersPerKey)
        }
        if waitEntries + keys.count > configuration.waiterCountMax { return .overloaded(.waiters) }
        if full { return .overloaded(.heldLocks) }
        waits.append(
            Wait(
                request: request, key: keys[0], mode: mode, note: note, arrival: index, enqueuedAt: now,
                deadline: now.adding(milliseconds: wait), batch: keys, roles: roles))
        // The position furthest from the head among its queues (the table's choice).
        return .queued(position: keys.map { key in waits.filter { $0.keys.contains(key) }.count }.max()!)
    }

    mutating func changeMode(
        _ request: RequestID, _ key: LockKey, _ fence: FenceToken, _ mode: LockMode, _ wait: UInt64, _ roles: [String]
    ) -> CommandResult {
        if wait > InputLimits.waitMillisecondsMax { return .invalid(.waitTooLong) }
        if let problem = Self.problem(roles: roles) { return .invalid(problem) }
        let session = request.session
        guard let position = holds.firstIndex(where: { $0.key == key && $0.session == session && $0.fence == fence })
        else { return .notHeld }
        if holds[position].mode == mode { return .invalid(.sameMode) }
        if waits.contains(where: { $0.request.session == session && $0.keys.contains(key) }) {
            return .invalid(.alreadyWaiting)
        }
        if mode == .shared {
            let changed = changeGrant(at: position, to: .shared)
            return .granted(changed.fence, holder(changed))
        }
        if let rule = refusingRule(key, .exclusive, roles) { return .restricted(by: rule) }
        guard let refused = upgradeRefusal(session, key) else {
            let changed = changeGrant(at: position, to: .exclusive)
            auditBypasses(changed, roles: roles)
            return .granted(changed.fence, holder(changed))
        }
        if wait == 0 { return refused }
        // Two upgraders waiting for each other would wait forever. The table looks at other sessions' holders
        // only, in key byte order (`HoldScenarioTests`: the session's own queued upgrade is a known issue).
        let blockers = upgradeBlockers(session, key).filter {
            Self.ownQueuedUpgradesRefuse || $0.session != session
        }
        if let blocker = Self.byteOrderedHolds(blockers).first(where: hasQueuedUpgrade) {
            return .held(by: holder(blocker), key: blocker.key)
        }
        // A queued upgrade takes the bounds' slots like any waiter (the table's choice).
        if holds.filter({ $0.session == session }).count + waitEntries(of: session) >= configuration.locksPerSessionMax
        {
            return .overloaded(.locksPerSession)
        }
        if waits.filter({ $0.keys.contains(key) }).count >= configuration.waitersPerKeyMax {
            return .overloaded(.waitersPerKey)
        }
        if waitEntries >= configuration.waiterCountMax { return .overloaded(.waiters) }
        if holds.count + waitEntries >= configuration.heldLockCountMax { return .overloaded(.heldLocks) }
        waits.append(
            Wait(
                request: request, key: key, mode: .exclusive, note: holds[position].note, arrival: index,
                enqueuedAt: now, deadline: now.adding(milliseconds: wait), roles: roles, upgrade: fence))
        return .queued(position: waits.filter { $0.keys.contains(key) }.count)
    }

    /// Other grants (the session's own on other keys included) that conflict with an exclusive lock on `key`,
    /// in segment order, grant order within a key.
    func upgradeBlockers(_ session: SessionID, _ key: LockKey) -> [Hold] {
        let others = holds.filter { $0.key.overlaps(key) && !($0.key == key && $0.session == session) }
        return others.indices.sorted { left, right in
            if Self.segmentOrder(others[left].key, others[right].key) { return true }
            if Self.segmentOrder(others[right].key, others[left].key) { return false }
            return left < right
        }.map { others[$0] }
    }

    /// docs/holds.md refuses an upgrade that would wait for a holder with a queued upgrade, the session's own
    /// other locks included; the table skips the session's own. The random runs follow the table.
    static let ownQueuedUpgradesRefuse = true

    /// Holders in key byte order, grant order within a key.
    static func byteOrderedHolds(_ holds: [Hold]) -> [Hold] {
        holds.indices.sorted { left, right in
            let (a, b) = (holds[left].key.string.utf8, holds[right].key.string.utf8)
            return a.elementsEqual(b) ? left < right : a.lexicographicallyPrecedes(b)
        }.map { holds[$0] }
    }

    /// Why an upgrade of `session`'s shared grant on `key` cannot be granted now (waiters do not count).
    func upgradeRefusal(_ session: SessionID, _ key: LockKey) -> CommandResult? {
        if let first = upgradeBlockers(session, key).first { return .held(by: holder(first), key: first.key) }
        if let until = delays.filter({ $0.key.overlaps(key) }).map(\.until).max() { return .lockDelayed(until: until) }
        return nil
    }

    func hasQueuedUpgrade(_ hold: Hold) -> Bool {
        waits.contains { $0.upgrade == hold.fence && $0.key == hold.key && $0.request.session == hold.session }
    }

    /// Replaces the grant at `position` by one in `mode` with this entry's fence and time.
    @discardableResult
    mutating func changeGrant(at position: Int, to mode: LockMode) -> Hold {
        let previous = holds[position]
        var changed = previous
        changed.mode = mode
        changed.fence = FenceToken(index)
        changed.since = now
        holds[position] = changed
        events.append(.modeChanged(key: changed.key, previous: holder(previous), holder: holder(changed)))
        return changed
    }

    mutating func grantUpgrade(_ wait: Wait) {
        guard
            let position = holds.firstIndex(where: {
                $0.key == wait.key && $0.session == wait.request.session && $0.fence == wait.upgrade
            })
        else { preconditionFailure("queued upgrade \(wait.request) lost its grant without an answer") }
        waits.removeAll { $0.request == wait.request }
        let changed = changeGrant(at: position, to: .exclusive)
        events.append(.waiterGranted(wait.request, key: wait.key, holder: holder(changed)))
        answer(wait.request, .granted(changed.fence, holder(changed)))
        auditBypasses(changed, roles: wait.roles)
    }

    /// A queued upgrade whose shared grant ended is answered `notHeld`.
    mutating func answerOrphanedUpgrade(of hold: Hold) {
        guard
            let position = waits.firstIndex(where: {
                $0.upgrade == hold.fence && $0.key == hold.key && $0.request.session == hold.session
            })
        else { return }
        let wait = waits.remove(at: position)
        events.append(.waiterTimedOut(wait.request, key: wait.key, answer: .notHeld))
        answer(wait.request, .notHeld)
    }
}

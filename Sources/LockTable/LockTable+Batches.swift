import PadlockTypes

// All-or-nothing acquires: every key in one entry under one fence, or none; queued as one waiter standing in
// every key's queue (`docs/holds.md`).

extension LockTable {
    mutating func acquireKeys(
        _ request: RequestID, keys: [LockKey], mode: LockMode, wait: UInt64, note: String, roles: [String]
    ) -> CommandResult {
        if note.utf8.count > InputLimits.noteByteCountMax { return .invalid(.noteTooLong) }
        if wait > InputLimits.waitMillisecondsMax { return .invalid(.waitTooLong) }
        if let problem = HoldLimits.problem(keys: keys) ?? HoldLimits.problem(roles: roles) {
            return .invalid(InvalidReason(problem))
        }
        if keys.count == 1 { return acquire(request, key: keys[0], mode: mode, wait: wait, note: note, roles: roles) }
        let sessionID = request.session
        guard let session = sessions[sessionID] else { preconditionFailure("acquire by unknown \(sessionID)") }
        // As for one key: the session's own grant first (a batch never re-grants one), then holds, then its
        // own waits.
        for key in keys {
            if let holding = holding(key.string), let own = holding.grant(of: sessionID) {
                return .held(by: holder(of: own, mode: holding.mode), key: key)
            }
        }
        for key in keys {
            if let hold = refusingHold(for: key, mode: mode, roles: roles) { return .restricted(by: hold) }
        }
        if keys.contains(where: session.waitingKeys.contains) { return .invalid(.alreadyWaiting) }
        if session.heldKeys.count + session.waitingKeys.count + keys.count > configuration.locksPerSessionMax {
            return .overloaded(.locksPerSession)
        }
        let lockBoundReached = heldLockCount + waiterCount + keys.count > configuration.heldLockCountMax
        var refused: CommandResult?
        for key in keys where refused == nil { refused = refusal(for: key, mode: mode, arrivalBefore: .max) }
        guard let refused else {
            if lockBoundReached { return .overloaded(.heldLocks) }
            if let quota = quotaRefusal(for: keys, queueing: false) { return quota }
            let holders = grantBatch(sessionID, keys: keys, mode: mode, note: note, roles: roles)
            return .grantedKeys(FenceToken(currentIndex), holders)
        }
        if wait == 0 { return refused }
        if keys.contains(where: { queues[$0.string, default: []].count >= configuration.waitersPerKeyMax }) {
            return .overloaded(.waitersPerKey)
        }
        if waiterCount + keys.count > configuration.waiterCountMax { return .overloaded(.waiters) }
        if lockBoundReached { return .overloaded(.heldLocks) }
        if let quota = quotaRefusal(for: keys, queueing: true) { return quota }
        let waiter = Waiter(
            request: request, key: keys[0], mode: mode, note: note, arrival: currentIndex, enqueuedAt: now,
            deadline: now.adding(milliseconds: wait), roles: roles, group: keys)
        return .queued(position: enqueue(waiter))
    }

    /// Grants every key of a batch under this entry's fence and audits the holds it bypassed.
    mutating func grantBatch(
        _ session: SessionID, keys: [LockKey], mode: LockMode, note: String, roles: [String]
    ) -> [Holder] {
        keys.map { key in
            let holder = grant(
                Grant(session: session, fence: FenceToken(currentIndex), since: now, note: note), key: key, mode: mode)
            auditBypasses(of: holder, key: key, roles: roles)
            return holder
        }
    }

    /// Queues `waiter` on each of its keys (an entry per key, each naming its own key) and returns its
    /// position: the furthest from the head among its queues (1 is next in line).
    mutating func enqueue(_ waiter: Waiter) -> Int {
        var position = 0
        for key in waiter.keys {
            var entry = waiter
            entry.key = key
            position = max(position, (queues[key.string]?.count ?? 0) + 1)
            queues[key.string, default: []].append(entry)
            waiterCount += 1
            indexInsert(key.string, .waiter)
            updateOpenSession(
                waiter.request.session, "queueing its \(waiter.mode) acquire of \(key) (\(waiter.request))"
            ) {
                $0.waitingKeys.append(key)
            }
        }
        waiterKeys[waiter.request] = waiter.keys[0].string
        return position
    }
}

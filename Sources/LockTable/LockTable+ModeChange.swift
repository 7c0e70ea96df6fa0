import PadlockTypes

// Upgrade (shared to exclusive) and downgrade (exclusive to shared) of a held lock without releasing it
// (`docs/holds.md`).

extension LockTable {
    mutating func changeMode(
        _ request: RequestID, key: LockKey, fence: FenceToken, mode: LockMode, wait: UInt64, roles: [String]
    ) -> CommandResult {
        if wait > InputLimits.waitMillisecondsMax { return .invalid(.waitTooLong) }
        if let problem = HoldLimits.problem(roles: roles) { return .invalid(InvalidReason(problem)) }
        let sessionID = request.session
        guard let holding = holding(key.string), let grant = holding.grant(of: sessionID), grant.fence == fence else {
            return .notHeld
        }
        if holding.mode == mode { return .invalid(.sameMode) }
        guard let session = sessions[sessionID] else { preconditionFailure("mode change by unknown \(sessionID)") }
        if session.waitingKeys.contains(key) { return .invalid(.alreadyWaiting) }
        if mode == .shared { return replaceGrant(of: sessionID, key: key, mode: .shared, roles: []) }
        if let hold = refusingHold(for: key, mode: .exclusive, roles: roles) { return .restricted(by: hold) }
        guard let conflict = upgradeConflict(sessionID, key: key) else {
            return replaceGrant(of: sessionID, key: key, mode: .exclusive, roles: roles)
        }
        if wait == 0 { return conflict }
        if let deadlock = waitingUpgrader(blocking: sessionID, key: key) { return deadlock }
        if session.heldKeys.count + session.waitingKeys.count >= configuration.locksPerSessionMax {
            return .overloaded(.locksPerSession)
        }
        if queues[key.string, default: []].count >= configuration.waitersPerKeyMax {
            return .overloaded(.waitersPerKey)
        }
        if waiterCount >= configuration.waiterCountMax { return .overloaded(.waiters) }
        if heldLockCount + waiterCount >= configuration.heldLockCountMax { return .overloaded(.heldLocks) }
        if let quota = quotaRefusal(for: [key], queueing: true) { return quota }
        let waiter = Waiter(
            request: request, key: key, mode: .exclusive, note: grant.note, arrival: currentIndex, enqueuedAt: now,
            deadline: now.adding(milliseconds: wait), roles: roles, isUpgrade: true)
        return .queued(position: enqueue(waiter))
    }

    /// Replaces `session`'s grant on `key` by one in `mode` under this entry's fence, without a loss: the
    /// `modeChanged` event says so. Shared waiters a downgrade lets in are granted by this entry's promotion.
    @discardableResult
    mutating func replaceGrant(of session: SessionID, key: LockKey, mode: LockMode, roles: [String]) -> CommandResult {
        let previous = removeGrant(of: session, key: key)
        let holder = grant(
            Grant(session: session, fence: FenceToken(currentIndex), since: now, note: previous.note), key: key,
            mode: mode)
        auditBypasses(of: holder, key: key, roles: roles)
        pendingEvents.append(.modeChanged(key: key, previous: previous, holder: holder))
        return .granted(holder.fence, holder)
    }

    /// Why `session`'s shared lock on `key` cannot become exclusive now, or nil when it can: another holder's
    /// conflicting lock (on the key, an ancestor or a descendant, the session's own others included), then
    /// lock-delay. Waiters do not count: each earlier conflicting waiter is held back by this very lock.
    func upgradeConflict(_ session: SessionID, key: LockKey) -> CommandResult? {
        if let (holderKey, holding) = firstConflictingHolder(key.string, mode: .exclusive, exceptOnKey: session) {
            return .held(by: holder(of: holding.first, mode: holding.mode), key: Self.knownKey(holderKey))
        }
        if !delays.isEmpty, let until = activeLockDelay(key.string) { return .lockDelayed(until: until) }
        return nil
    }

    /// The refusal for an upgrade that would wait for a holder whose own upgrade is queued (another session's,
    /// or this session's own on an overlapping key): each would wait for the other forever.
    private func waitingUpgrader(blocking session: SessionID, key: LockKey) -> CommandResult? {
        // The session's own other locks count too: two upgrades of its overlapping locks wait for each other.
        // (Its lock on `key` itself has no upgrade queued: that request was answered alreadyWaiting.)
        for conflict in conflictingHolders(of: key, mode: .exclusive, limit: .max).holders {
            let waiting = queues[conflict.key.string]?.contains {
                $0.request.session == conflict.holder.session && $0.isUpgrade
            }
            if waiting == true { return .held(by: conflict.holder, key: conflict.key) }
        }
        return nil
    }

    /// Grants a queued upgrade: its shared grant becomes exclusive under this entry's fence.
    mutating func grantUpgrade(_ waiter: Waiter) {
        let session = waiter.request.session
        guard removeWaiter(of: session, key: waiter.key.string) != nil else {
            preconditionFailure(brokenInvariant("upgrade \(waiter.request) vanished before its grant"))
        }
        guard
            case .granted(_, let holder) = replaceGrant(
                of: session, key: waiter.key, mode: .exclusive, roles: waiter.roles)
        else { preconditionFailure(brokenInvariant("upgrade \(waiter.request) was not granted")) }
        pendingEvents.append(.waiterGranted(waiter.request, key: waiter.key, holder: holder))
        updateOpenSession(session, "granting its upgrade \(waiter.request) on \(waiter.key)") {
            if $0.lastSequence == waiter.request.sequence { $0.lastResult = .granted(holder.fence, holder) }
        }
    }
}

import PadlockTypes

extension LockTable {
    mutating func acquire(
        _ request: RequestID, key: LockKey, mode: LockMode, wait: UInt64, note: String, roles: [String]
    ) -> CommandResult {
        if note.utf8.count > InputLimits.noteByteCountMax { return .invalid(.noteTooLong) }
        if wait > InputLimits.waitMillisecondsMax { return .invalid(.waitTooLong) }
        let sessionID = request.session
        guard let session = sessions[sessionID] else { preconditionFailure("acquire by unknown \(sessionID)") }
        // Reentrancy: the same session asking again for the same key in the same mode keeps its grant.
        if let holding = holding(key.string), holding.mode == mode, let grant = holding.grant(of: sessionID) {
            return .granted(grant.fence, holder(of: grant, mode: mode))
        }
        // A hold refuses before anything else, and never queues: it lasts until someone lifts it.
        if let hold = refusingHold(for: key, mode: mode, roles: roles) { return .restricted(by: hold) }
        if session.waitingKeys.contains(key) { return .invalid(.alreadyWaiting) }
        if session.heldKeys.count + session.waitingKeys.count >= configuration.locksPerSessionMax {
            return .overloaded(.locksPerSession)
        }
        // Waiters count against the lock bound too, so promoting a waiter can never exceed it.
        let lockBoundReached = heldLockCount + waiterCount >= configuration.heldLockCountMax
        guard let refused = refusal(for: key, mode: mode, arrivalBefore: .max) else {
            if lockBoundReached { return .overloaded(.heldLocks) }
            if let quota = quotaRefusal(for: [key], queueing: false) { return quota }
            let holder = grant(
                Grant(session: sessionID, fence: FenceToken(currentIndex), since: now, note: note), key: key,
                mode: mode)
            auditBypasses(of: holder, key: key, roles: roles)
            return .granted(holder.fence, holder)
        }
        if wait == 0 { return refused }
        if queues[key.string, default: []].count >= configuration.waitersPerKeyMax {
            return .overloaded(.waitersPerKey)
        }
        if waiterCount >= configuration.waiterCountMax { return .overloaded(.waiters) }
        if lockBoundReached { return .overloaded(.heldLocks) }
        if let quota = quotaRefusal(for: [key], queueing: true) { return quota }
        let waiter = Waiter(
            request: request, key: key, mode: mode, note: note, arrival: currentIndex, enqueuedAt: now,
            deadline: now.adding(milliseconds: wait), roles: roles)
        return .queued(position: enqueue(waiter))
    }

    mutating func release(_ session: SessionID, key: LockKey, fence: FenceToken) -> CommandResult {
        guard let holding = holding(key.string), let grant = holding.grant(of: session), grant.fence == fence else {
            return .notHeld
        }
        let previous = removeGrant(of: session, key: key)
        pendingEvents.append(.lockReleased(key: key, previous: previous, reason: .clean))
        return .released
    }

    mutating func cancelWait(_ session: SessionID, key: LockKey) -> CommandResult {
        guard let waiter = removeWaiter(of: session, key: key.string) else { return .notWaiting }
        pendingEvents.append(.waiterDropped(waiter.request, key: key, reason: .cancelled))
        appendOtherKeysChanged(of: waiter, reported: key)
        return .waitCancelled
    }

    mutating func forceUnlock(_ key: LockKey, reason: String, admin: String) -> CommandResult {
        if let invalid = Self.validateAdministrative(reason: reason, admin: admin) { return invalid }
        guard let holding = holding(key.string) else { return .notHeld }
        var previous: [Holder] = []
        for grant in holding.grants {
            let holder = removeGrant(of: grant.session, key: key)
            previous.append(holder)
            pendingEvents.append(
                .lockReleased(key: key, previous: holder, reason: .lost(.forceUnlocked(by: admin, reason: reason))))
            audit(
                action: .forceUnlock, actor: admin, session: grant.session, key: key, previous: holder, reason: reason)
        }
        addLockDelay(key)
        return .forcedUnlock(previous: previous)
    }

    /// Grants `mode` on `key` to `sessionID` now, ending every holder whose lock conflicts with it (on the key,
    /// an ancestor or a descendant, the requester's own other grants included) with `.takenOver`, each audited.
    /// Lock-delays and waiters do not hold it back, and it never queues; no lock-delay follows, since the taker
    /// holds the key and its fence (this entry's index) is above every fence it ended.
    mutating func takeover(
        _ sessionID: SessionID, key: LockKey, mode: LockMode, note: String, reason: String, admin: String
    ) -> CommandResult {
        if note.utf8.count > InputLimits.noteByteCountMax { return .invalid(.noteTooLong) }
        if let invalid = Self.validateAdministrative(reason: reason, admin: admin) { return invalid }
        guard let session = sessions[sessionID] else { preconditionFailure("takeover by unknown \(sessionID)") }
        // Reentrancy, as for acquire: the same session asking for the same key in the same mode keeps its grant.
        if let holding = holding(key.string), holding.mode == mode, let grant = holding.grant(of: sessionID) {
            return .granted(grant.fence, holder(of: grant, mode: mode))
        }
        // A takeover ends holders, never holds: a rule lock stays until it is lifted.
        if let hold = refusingHold(for: key, mode: mode, roles: []) { return .restricted(by: hold) }
        if session.waitingKeys.contains(key) { return .invalid(.alreadyWaiting) }
        let conflicting = conflictingHolders(of: key, mode: mode, limit: .max).holders
        // Ending a conflicting lock frees at least the one slot the grant takes, in the session, the table and
        // the namespace (overlapping keys share their first segment), except when that lock was the requester's.
        let ownEnded = conflicting.filter { $0.holder.session == sessionID }.count
        if session.heldKeys.count - ownEnded + session.waitingKeys.count >= configuration.locksPerSessionMax {
            return .overloaded(.locksPerSession)
        }
        if conflicting.isEmpty {
            if heldLockCount + waiterCount >= configuration.heldLockCountMax { return .overloaded(.heldLocks) }
            if let quota = quotaRefusal(for: [key], queueing: false) { return quota }
        }
        let taker = Holder(
            session: sessionID, owner: session.owner, mode: mode, fence: FenceToken(currentIndex), since: now,
            note: note)
        for ended in conflicting {
            let previous = removeGrant(of: ended.holder.session, key: ended.key)
            pendingEvents.append(
                .lockReleased(key: ended.key, previous: previous, reason: .lost(.takenOver(by: taker, reason: reason))))
            audit(
                action: .takeover, actor: admin, session: previous.session, key: ended.key, previous: previous,
                reason: reason)
        }
        let holder = grant(Grant(session: sessionID, fence: taker.fence, since: now, note: note), key: key, mode: mode)
        return .granted(holder.fence, holder)
    }

    /// The leader's decision that a waiter waited long enough: it is answered "timed out" with why it could
    /// not be granted, and removed in the same step, so it can never be granted afterwards.
    mutating func expireWaiter(_ request: RequestID) -> CommandResult {
        guard let keyString = waiterKeys[request],
            let waiter = queues[keyString]?.first(where: { $0.request == request })
        else { return .skipped(.unknownTarget) }
        if now < waiter.deadline { return .skipped(.notDue(until: waiter.deadline)) }
        _ = removeWaiter(of: request.session, key: keyString)
        let answer = timeoutAnswer(for: waiter)
        pendingEvents.append(.waiterTimedOut(request, key: waiter.keys[0], answer: answer))
        appendOtherKeysChanged(of: waiter, reported: waiter.keys[0])
        if sessions[request.session]?.lastSequence == request.sequence {
            updateOpenSession(request.session, "expiring its waiter \(request) on \(waiter.key)") {
                $0.lastResult = answer
            }
        }
        return .waiterExpired
    }

    /// Adds a grant; the caller has checked that it conflicts with nothing.
    @discardableResult
    mutating func grant(_ grant: Grant, key: LockKey, mode: LockMode) -> Holder {
        // The session lists the key as the table stores it: a canonically equal spelling of a key already
        // held must not reach later events (or differ after a snapshot restore, which rebuilds the lists).
        var storedKey = key
        switch holding(key.string) {
        case nil:
            setHolding(key.string, mode == .exclusive ? .exclusive(grant) : .shared([grant]))
        case var .shared(grants)? where mode == .shared:
            grants.append(grant)
            setHolding(key.string, .shared(grants))
            if let position = sharedGrants.index(forKey: key.string),
                !sharedGrants[position].key.utf8.elementsEqual(key.string.utf8)
            {
                storedKey = Self.knownKey(sharedGrants[position].key)
            }
        case let holding?:
            preconditionFailure("granting \(mode) \(key) over a \(holding.mode) holding")
        }
        heldLockCount += 1
        indexInsert(key.string, IndexItem(mode))
        updateOpenSession(grant.session, "granting it \(mode) \(key) with fence \(grant.fence)") {
            $0.heldKeys.append(storedKey)
        }
        return holder(of: grant, mode: mode)
    }

    /// Removes `session`'s grant on `key` and returns it as it was held; queues the key for promotion.
    mutating func removeGrant(of session: SessionID, key: LockKey) -> Holder {
        guard let holding = removeHolding(key.string) else {
            preconditionFailure("\(session) releases \(key), which is not held")
        }
        let removed: Grant
        switch holding {
        case let .exclusive(grant):
            precondition(grant.session == session, "\(session) releases \(key), held by \(grant.session)")
            removed = grant
        case var .shared(grants):
            guard let position = grants.firstIndex(where: { $0.session == session }) else {
                preconditionFailure("\(session) releases \(key), held by others only")
            }
            removed = grants.remove(at: position)
            if !grants.isEmpty { setHolding(key.string, .shared(grants)) }
        }
        let previous = holder(of: removed, mode: holding.mode)
        heldLockCount -= 1
        indexRemove(key.string, IndexItem(holding.mode))
        updateOpenSession(session, "removing its \(holding.mode) grant on \(key) with fence \(removed.fence)") {
            $0.removeHeld(key)
        }
        pendingPromotion.append(key.string)
        dropUpgrade(of: session, key: key)
        return previous
    }

    /// A queued upgrade of a lock that just ended can never be granted: it is answered `notHeld`.
    private mutating func dropUpgrade(of session: SessionID, key: LockKey) {
        // Every release passes here: with nobody queued there is nothing to look up.
        guard waiterCount > 0, let record = sessions[session], record.waitingKeys.contains(key),
            let waiter = queues[key.string]?.first(where: { $0.request.session == session }), waiter.isUpgrade,
            removeWaiter(of: session, key: key.string) != nil
        else { return }
        pendingEvents.append(.waiterTimedOut(waiter.request, key: key, answer: .notHeld))
        if record.lastSequence == waiter.request.sequence {
            updateOpenSession(session, "answering its upgrade \(waiter.request) notHeld") { $0.lastResult = .notHeld }
        }
    }

    /// Removes `session`'s waiter on `key`, if any, from every queue it stands in (all the keys of an
    /// all-or-nothing acquire), and queues those keys for promotion. Returns the entry found on `key`.
    mutating func removeWaiter(of session: SessionID, key: String) -> Waiter? {
        guard let queue = queues[key], let found = queue.first(where: { $0.request.session == session })
        else { return nil }
        if found.group.isEmpty {
            removeQueueEntry(of: found.request, key: key)
        } else {
            for member in found.group { removeQueueEntry(of: found.request, key: member.string) }
        }
        waiterKeys[found.request] = nil
        return found
    }

    private mutating func removeQueueEntry(of request: RequestID, key: String) {
        guard var queue = queues[key], let position = queue.firstIndex(where: { $0.request == request }) else {
            preconditionFailure(brokenInvariant("waiter \(request) is missing from the queue of \(key)"))
        }
        let waiter = queue.remove(at: position)
        queues[key] = queue.isEmpty ? nil : queue
        waiterCount -= 1
        indexRemove(key, .waiter)
        sessions[request.session]?.removeWaiting(waiter.key)
        pendingPromotion.append(key)
    }

    /// After a batch waiter left every queue through `reported` (the key its event names), the state of each
    /// of its other keys changed too.
    mutating func appendOtherKeysChanged(of waiter: Waiter, reported: LockKey) {
        guard !waiter.group.isEmpty else { return }
        pendingEvents += waiter.group.filter { $0 != reported }.map { .keyChanged(key: $0) }
    }

    /// Why a waiter that waited long enough was not granted: the first refusal among its keys, in its order.
    func timeoutAnswer(for waiter: Waiter) -> CommandResult {
        if waiter.isUpgrade {
            return upgradeConflict(waiter.request.session, key: waiter.key) ?? .waitersAhead(key: waiter.key)
        }
        for key in waiter.keys {
            if let refused = refusal(for: key, mode: waiter.mode, arrivalBefore: waiter.arrival) { return refused }
        }
        return .waitersAhead(key: waiter.keys[0])
    }
}

import PadlockTypes

extension LockTable {
    /// Opens a session; `client` is the authenticated client opening it and its quota of open sessions (0:
    /// none), nil on an open client port. A retried open (same client, owner and nonce) gets the session it
    /// opened; another client's identical owner and nonce open a session of its own.
    mutating func openSession(
        owner: String, nonce: UInt64, ttlMilliseconds: UInt64, client: (name: String, sessionsMax: UInt64)?
    ) -> CommandResult {
        if owner.isEmpty { return .invalid(.ownerEmpty) }
        if owner.utf8.count > InputLimits.ownerByteCountMax { return .invalid(.ownerTooLong) }
        guard (InputLimits.sessionTTLMillisecondsMin...InputLimits.sessionTTLMillisecondsMax).contains(ttlMilliseconds)
        else { return .invalid(.ttlOutOfRange) }
        let openKey = OpenKey(client: client?.name, owner: owner, nonce: nonce)
        if !configuration.injectedBugs.skipsDeduplication, let existing = sessionsByNonce[openKey],
            let session = sessions[existing]
        {
            return .sessionOpened(existing, leaseDeadline: session.leaseDeadline)
        }
        if sessions.count >= configuration.sessionCountMax { return .overloaded(.sessions) }
        if let client, client.sessionsMax > 0, UInt64(sessionsByClient[client.name] ?? 0) >= client.sessionsMax {
            return .overloaded(.clientSessions)
        }
        // The open entry's log index names the session: unique, never reused, the same on every replica.
        let id = SessionID(currentIndex)
        let deadline = now.adding(milliseconds: ttlMilliseconds)
        sessions[id] = SessionRecord(
            id: id, owner: owner, client: client?.name, nonce: nonce, ttlMilliseconds: ttlMilliseconds,
            openedAt: now, leaseDeadline: deadline, checkpointRemainingMilliseconds: ttlMilliseconds)
        sessionsByNonce[openKey] = id
        if let client { sessionsByClient[client.name, default: 0] += 1 }
        return .sessionOpened(id, leaseDeadline: deadline)
    }

    mutating func closeSession(_ id: SessionID) -> CommandResult {
        endSession(id, reason: .closed, actor: "", why: "")
        return .sessionClosed
    }

    mutating func revokeSession(_ target: SessionID, reason: String, admin: String) -> CommandResult {
        if let invalid = Self.validateAdministrative(reason: reason, admin: admin) { return invalid }
        guard sessions[target] != nil else { return .sessionUnknown }
        endSession(target, reason: .revoked, actor: admin, why: reason)
        return .sessionRevoked(target)
    }

    /// Applies the leader's expiry decision unless the session was renewed since or is not yet due by the
    /// table's own deadline; either way the session can only end later than the table's view, never earlier.
    mutating func expireSession(_ id: SessionID, renewalGeneration: UInt64) -> CommandResult {
        guard let session = sessions[id] else { return .skipped(.unknownTarget) }
        if renewalGeneration < session.renewalGeneration {
            return .skipped(.renewedSince(generation: session.renewalGeneration))
        }
        if now < session.leaseDeadline { return .skipped(.notDue(until: session.leaseDeadline)) }
        endSession(id, reason: .expired, actor: "leader", why: "lock lease expired")
        return .sessionExpiredNow(id)
    }

    /// Records renewal generations and the leader's remaining lock-lease time.
    ///
    /// The leader computes a safe remaining time itself (including renewals it may still acknowledge), so a
    /// checkpoint sets the deadline to the entry time plus that remaining time, bounded by twice the TTL:
    /// earlier or later than before. A checkpoint with an older generation than the one recorded is ignored.
    /// Why this never expires a lease before its holder's own deadline is argued in `docs/leases.md`.
    mutating func checkpointLeases(_ checkpoints: [LeaseCheckpoint]) -> CommandResult {
        var count = 0
        for checkpoint in checkpoints {
            guard var session = sessions[checkpoint.session],
                checkpoint.renewalGeneration >= session.renewalGeneration
            else { continue }
            // TTLs are at most an hour (checked at open and on restore), so doubling cannot overflow.
            let remaining = min(checkpoint.remainingMilliseconds, 2 * session.ttlMilliseconds)
            session.renewalGeneration = checkpoint.renewalGeneration
            session.checkpointRemainingMilliseconds = remaining
            session.leaseDeadline = now.adding(milliseconds: remaining)
            sessions[checkpoint.session] = session
            count += 1
        }
        return .leasesCheckpointed(count: count)
    }

    static func validateAdministrative(reason: String, admin: String) -> CommandResult? {
        if reason.utf8.count > InputLimits.reasonByteCountMax { return .invalid(.reasonTooLong) }
        if admin.utf8.count > InputLimits.ownerByteCountMax { return .invalid(.adminTooLong) }
        return nil
    }

    /// Ends a session: drops its waiters and releases its locks (both in key byte order, so the events do not
    /// depend on history), then audits and lock-delays unless it was closed cleanly.
    mutating func endSession(_ id: SessionID, reason: SessionEndReason, actor: String, why: String) {
        guard let record = sessions[id] else { preconditionFailure("ending unknown \(id)") }
        for key in record.waitingKeys.sorted(by: { $0.string.precedesInBytes($1.string) }) {
            // A batch leaves every queue through its first key in byte order; its other keys are gone then.
            guard sessions[id]?.waitingKeys.contains(key) == true else { continue }
            guard let waiter = removeWaiter(of: id, key: key.string) else {
                preconditionFailure("\(id) lists a waiter on \(key) that is not queued")
            }
            pendingEvents.append(.waiterDropped(waiter.request, key: key, reason: .sessionEnded))
            appendOtherKeysChanged(of: waiter, reported: key)
        }
        let releaseReason: ReleaseReason =
            switch reason {
            case .closed: .clean
            case .expired: .lost(.expired)
            case .revoked: .lost(.sessionRevoked(by: actor, reason: why))
            }
        if reason != .closed {
            audit(
                action: reason == .expired ? .expireSession : .revokeSession, actor: actor, session: id,
                key: nil, previous: nil, reason: why)
        }
        for key in record.heldKeys.sorted(by: { $0.string.precedesInBytes($1.string) }) {
            let previous = removeGrant(of: id, key: key)
            pendingEvents.append(.lockReleased(key: key, previous: previous, reason: releaseReason))
            if reason != .closed {
                audit(
                    action: reason == .expired ? .expireSession : .revokeSession, actor: actor, session: id,
                    key: key, previous: previous, reason: why)
                addLockDelay(key)
            }
        }
        sessions[id] = nil
        if let client = record.client { forget(sessionOf: client) }
        // Only `skipsDeduplication` opens two sessions with one open key; the later one owns the entry.
        let openKey = OpenKey(client: record.client, owner: record.owner, nonce: record.nonce)
        if sessionsByNonce[openKey] == id { sessionsByNonce[openKey] = nil }
        pendingEvents.append(.sessionEnded(id, reason: reason))
        rememberEnded(id, reason: reason)
    }

    private mutating func forget(sessionOf client: String) {
        let remaining = (sessionsByClient[client] ?? 0) - 1
        sessionsByClient[client] = remaining > 0 ? remaining : nil
    }

    private mutating func rememberEnded(_ id: SessionID, reason: SessionEndReason) {
        guard configuration.endedSessionMemoryMax > 0 else { return }
        endedSessions[id] = reason
        endedOrder.append(id)
        while endedOrder.count > configuration.endedSessionMemoryMax {
            endedSessions[endedOrder.removeFirst()] = nil
        }
    }
}

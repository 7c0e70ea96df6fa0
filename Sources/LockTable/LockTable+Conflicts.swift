import PadlockTypes

extension LockTable {
    /// Why `mode` on `key` cannot be granted now, or nil when it can.
    ///
    /// Checked in this order: a conflicting holder, an active lock-delay on an overlapping key, an earlier
    /// conflicting waiter (arrival before `arrivalBefore`) on an overlapping key.
    func refusal(for key: LockKey, mode: LockMode, arrivalBefore: UInt64) -> CommandResult? {
        if let (holderKey, holding) = firstConflictingHolder(key.string, mode: mode) {
            return .held(by: holder(of: holding.first, mode: holding.mode), key: Self.knownKey(holderKey))
        }
        if !delays.isEmpty, let until = activeLockDelay(key.string) { return .lockDelayed(until: until) }
        if waiterCount > 0, let waiter = firstConflictingWaiter(key.string, mode: mode, arrivalBefore: arrivalBefore) {
            return .waitersAhead(key: waiter.key)
        }
        return nil
    }

    /// The same decision as ``refusal(for:mode:arrivalBefore:)`` without naming a reason, in O(depth) plus
    /// the (bounded) waiters below `key`: what promotion uses, so that it never scans the held locks.
    func isBlocked(_ key: LockKey, mode: LockMode, arrivalBefore: UInt64) -> Bool {
        let node = prefixes[key.string]
        if let holding = holding(key.string), !holding.mode.isCompatible(with: mode) { return true }
        var blocked = false
        if !configuration.injectedBugs.ignoresOverlappingHolders {
            if node?.holdsConflicting(with: mode) == true { return true }
            Self.forEachPrefix(of: key.string) { prefix in
                if !blocked, let holding = holding(prefix), !holding.mode.isCompatible(with: mode) { blocked = true }
            }
            if blocked { return true }
        }
        if !delays.isEmpty {
            if delays[key.string] != nil || (node?.delaysBelow ?? 0) > 0 { return true }
            Self.forEachPrefix(of: key.string) { prefix in blocked = blocked || delays[prefix] != nil }
            if blocked { return true }
        }
        return firstConflictingWaiter(key.string, mode: mode, arrivalBefore: arrivalBefore) != nil
    }

    /// The public view of a grant.
    func holder(of grant: Grant, mode: LockMode) -> Holder {
        guard let session = sessions[grant.session] else {
            preconditionFailure("grant \(grant) belongs to no open session")
        }
        return Holder(
            session: grant.session, owner: session.owner, mode: mode, fence: grant.fence, since: grant.since,
            note: grant.note)
    }

    /// The conflicting holding whose key comes first in segment order (ancestors, the key, then descendants).
    ///
    /// With the injected `ignoresOverlappingHolders` only the key itself is checked. Restore validates
    /// holders with this function too, so a table with that bug restores the snapshots it writes.
    ///
    /// `exceptOnKey` is a session whose own grant on `key` itself does not count (an upgrade's shared lock).
    func firstConflictingHolder(
        _ key: String, mode: LockMode, exceptOnKey session: SessionID? = nil
    ) -> (String, KeyHolding)? {
        func onKey() -> KeyHolding? {
            guard let holding = holding(key), !holding.mode.isCompatible(with: mode) else { return nil }
            guard let session else { return holding }
            let others = holding.grants.filter { $0.session != session }
            if others.isEmpty { return nil }
            return holding.mode == .exclusive ? .exclusive(others[0]) : .shared(others)
        }
        if configuration.injectedBugs.ignoresOverlappingHolders {
            return onKey().map { (key, $0) }
        }
        var found: (String, KeyHolding)?
        Self.forEachPrefix(of: key) { prefix in
            if found == nil, let holding = holding(prefix), !holding.mode.isCompatible(with: mode) {
                found = (prefix, holding)
            }
        }
        if let found { return found }
        if let holding = onKey() { return (key, holding) }
        guard let node = prefixes[key], node.holdsConflicting(with: mode) else { return nil }
        return firstConflictingDescendant(of: key, mode: mode)
    }

    /// Scans the held keys for the first conflicting descendant. The counts have already proved one exists;
    /// only a refused request on a broad key (a whole namespace or table) pays for this scan.
    private func firstConflictingDescendant(of prefix: String, mode: LockMode) -> (String, KeyHolding)? {
        var best: (String, KeyHolding)?
        func consider(_ key: String, _ holding: @autoclosure () -> KeyHolding) {
            guard Self.isStrictDescendant(key, of: prefix) else { return }
            if let found = best, !Self.precedesInSegmentOrder(key, found.0) { return }
            best = (key, holding())
        }
        for (key, grant) in exclusiveGrants { consider(key, .exclusive(grant)) }
        if mode == .exclusive {
            for (key, grants) in sharedGrants { consider(key, .shared(grants)) }
        }
        return best
    }

    /// The latest end among active lock-delays on keys overlapping `key`, if any.
    func activeLockDelay(_ key: String) -> Timestamp? {
        var latest = delays[key]
        Self.forEachPrefix(of: key) { prefix in
            if let until = delays[prefix] { latest = max(latest ?? until, until) }
        }
        if let node = prefixes[key], node.delaysBelow > 0 {
            for (delayed, until) in delays where Self.isStrictDescendant(delayed, of: key) {
                latest = max(latest ?? until, until)
            }
        }
        return latest
    }

    /// The earliest-arrived waiter on a key overlapping `key` whose mode conflicts with `mode` and which
    /// arrived before `arrivalBefore`.
    func firstConflictingWaiter(_ key: String, mode: LockMode, arrivalBefore: UInt64) -> Waiter? {
        guard waiterCount > 0 else { return nil }
        var earliest: Waiter?
        func consider(_ queueKey: String) {
            guard let queue = queues[queueKey] else { return }
            for waiter in queue {
                // Each queue is in arrival order, so nothing later in it can qualify.
                if waiter.arrival >= arrivalBefore { break }
                if waiter.mode.isCompatible(with: mode) { continue }
                if earliest.map({ waiter.arrival < $0.arrival }) ?? true { earliest = waiter }
                break
            }
        }
        Self.forEachPrefix(of: key) { consider($0) }
        consider(key)
        if let node = prefixes[key], node.waitersBelow > 0 { forEachDescendantQueue(of: key) { consider($0) } }
        return earliest
    }

    /// Calls `body` with every key strictly below `prefix` that has waiters, in no particular order (callers
    /// order by arrival). Waiters are bounded by `waiterCountMax`, so the scan is too.
    func forEachDescendantQueue(of prefix: String, _ body: (String) -> Void) {
        for key in queues.keys where Self.isStrictDescendant(key, of: prefix) { body(key) }
    }
}

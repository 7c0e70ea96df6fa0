import PadlockTypes

extension LockTable {
    /// Why `mode` on `key` cannot be granted now, or nil when it can.
    ///
    /// Checked in this order: a conflicting holder, an active lock-delay on an overlapping key, an earlier
    /// conflicting waiter (arrival before `arrivalBefore`) on an overlapping key.
    func refusal(for key: LockKey, mode: LockMode, arrivalBefore: UInt64) -> CommandResult? {
        if let (holderKey, grant, holderMode) = firstConflictingHolder(key.string, mode: mode) {
            return .held(by: holder(of: grant, mode: holderMode), key: Self.knownKey(holderKey))
        }
        if let until = activeLockDelay(key.string) { return .lockDelayed(until: until) }
        if let waiter = firstConflictingWaiter(key.string, mode: mode, arrivalBefore: arrivalBefore) {
            return .waitersAhead(key: waiter.key)
        }
        return nil
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

    /// The conflicting holder whose key comes first in segment order (ancestors, the key, then descendants);
    /// on a shared key, its earliest remaining grant.
    func firstConflictingHolder(_ key: String, mode: LockMode) -> (String, Grant, LockMode)? {
        var found: (String, Grant, LockMode)?
        Self.forEachPrefix(of: key) { prefix, _ in
            if found == nil, let holding = holdings[prefix], !holding.mode.isCompatible(with: mode) {
                found = (prefix, holding.first, holding.mode)
            }
        }
        if let found { return found }
        if let holding = holdings[key], !holding.mode.isCompatible(with: mode) {
            return (key, holding.first, holding.mode)
        }
        guard let node = prefixes[key], node.holdsConflicting(with: mode) else { return nil }
        return firstConflictingDescendant(of: key, mode: mode)
    }

    private func firstConflictingDescendant(of prefix: String, mode: LockMode) -> (String, Grant, LockMode)? {
        for child in sortedChildren(of: prefix) {
            let key = prefix + "/" + child
            if let holding = holdings[key], !holding.mode.isCompatible(with: mode) {
                return (key, holding.first, holding.mode)
            }
            if let node = prefixes[key], node.holdsConflicting(with: mode),
                let found = firstConflictingDescendant(of: key, mode: mode)
            {
                return found
            }
        }
        return nil
    }

    /// The latest end among active lock-delays on keys overlapping `key`, if any.
    func activeLockDelay(_ key: String) -> Timestamp? {
        var latest = delays[key]
        Self.forEachPrefix(of: key) { prefix, _ in
            if let until = delays[prefix] { latest = max(latest ?? until, until) }
        }
        if let node = prefixes[key], node.delaysBelow > 0 { latestDescendantDelay(of: key, into: &latest) }
        return latest
    }

    private func latestDescendantDelay(of prefix: String, into latest: inout Timestamp?) {
        for child in sortedChildren(of: prefix) {
            let key = prefix + "/" + child
            if let until = delays[key] { latest = max(latest ?? until, until) }
            if let node = prefixes[key], node.delaysBelow > 0 { latestDescendantDelay(of: key, into: &latest) }
        }
    }

    /// The earliest-arrived waiter on a key overlapping `key` whose mode conflicts with `mode` and which
    /// arrived before `arrivalBefore`.
    func firstConflictingWaiter(_ key: String, mode: LockMode, arrivalBefore: UInt64) -> Waiter? {
        var earliest: Waiter?
        func consider(_ queueKey: String) {
            guard let queue = queues[queueKey] else { return }
            for waiter in queue {
                // Each queue is in arrival order, so nothing later in it can qualify.
                if waiter.arrival >= arrivalBefore { break }
                if waiter.mode.isCompatible(with: mode) { continue }
                if earliest == nil || waiter.arrival < earliest!.arrival { earliest = waiter }
                break
            }
        }
        Self.forEachPrefix(of: key) { prefix, _ in consider(prefix) }
        consider(key)
        if let node = prefixes[key], node.waitersBelow > 0 {
            forEachDescendantQueue(of: key) { consider($0) }
        }
        return earliest
    }

    /// Calls `body` with every key below `prefix` that has waiters, in segment order.
    func forEachDescendantQueue(of prefix: String, _ body: (String) -> Void) {
        for child in sortedChildren(of: prefix) {
            let key = prefix + "/" + child
            if queues[key] != nil { body(key) }
            if let node = prefixes[key], node.waitersBelow > 0 { forEachDescendantQueue(of: key, body) }
        }
    }
}

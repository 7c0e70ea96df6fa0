import PadlockTypes

extension LockTable {
    /// Grants every waiter that became grantable during this entry.
    ///
    /// Only waiters on keys overlapping a key that lost a holder, a waiter or a lock-delay can have become
    /// grantable; they are considered in global arrival order, each against the state left by the grants
    /// before it, which is exactly "grant in arrival order among conflicting waiters". Granting never makes
    /// another waiter grantable, so one pass reaches the fixed point.
    mutating func promotePendingWaiters() {
        defer { pendingPromotion.removeAll(keepingCapacity: true) }
        guard waiterCount > 0, !pendingPromotion.isEmpty else { return }
        var seen = Set<RequestID>()
        var candidates: [Waiter] = []
        func collect(_ key: String) {
            for waiter in queues[key] ?? [] where seen.insert(waiter.request).inserted { candidates.append(waiter) }
        }
        for key in pendingPromotion {
            Self.forEachPrefix(of: key) { collect($0) }
            collect(key)
            if let node = prefixes[key], node.waitersBelow > 0 { forEachDescendantQueue(of: key) { collect($0) } }
        }
        candidates.sort { $0.arrival < $1.arrival }
        for waiter in candidates where !isBlocked(waiter) {
            if waiter.isUpgrade {
                grantUpgrade(waiter)
            } else if waiter.group.isEmpty {
                grantWaiter(waiter)
            } else {
                grantBatchWaiter(waiter)
            }
        }
    }

    /// Whether `waiter` must keep waiting: a queued upgrade waits for other holders and lock-delay only; a
    /// batch waits while any of its keys is blocked.
    private func isBlocked(_ waiter: Waiter) -> Bool {
        if waiter.isUpgrade { return upgradeConflict(waiter.request.session, key: waiter.key) != nil }
        if waiter.group.isEmpty { return isBlocked(waiter.key, mode: waiter.mode, arrivalBefore: waiter.arrival) }
        return waiter.group.contains { isBlocked($0, mode: waiter.mode, arrivalBefore: waiter.arrival) }
    }

    /// Grants every key of a queued batch under the fence of the entry that freed the last of them.
    private mutating func grantBatchWaiter(_ waiter: Waiter) {
        let session = waiter.request.session
        guard removeWaiter(of: session, key: waiter.key.string) != nil else {
            preconditionFailure(brokenInvariant("batch waiter \(waiter.request) vanished before its grant"))
        }
        let holders = grantBatch(session, keys: waiter.group, mode: waiter.mode, note: waiter.note, roles: waiter.roles)
        pendingEvents.append(.waiterGrantedKeys(waiter.request, keys: waiter.group, holders: holders))
        let fence = FenceToken(currentIndex)
        updateOpenSession(session, "granting its batch \(waiter.request) fence \(fence)") {
            if $0.lastSequence == waiter.request.sequence { $0.lastResult = .grantedKeys(fence, holders) }
        }
    }

    /// Moves a waiter to the holders; its fence is the index of the entry that freed the key.
    private mutating func grantWaiter(_ waiter: Waiter) {
        let session = waiter.request.session
        guard removeWaiter(of: session, key: waiter.key.string) != nil else {
            preconditionFailure("waiter \(waiter.request) vanished before its grant")
        }
        let holder = grant(
            Grant(session: session, fence: FenceToken(currentIndex), since: now, note: waiter.note), key: waiter.key,
            mode: waiter.mode)
        auditBypasses(of: holder, key: waiter.key, roles: waiter.roles)
        pendingEvents.append(.waiterGranted(waiter.request, key: waiter.key, holder: holder))
        // A retry of the acquire that queued now learns the grant instead of "queued".
        updateOpenSession(session, "granting its waiter \(waiter.request) on \(waiter.key) fence \(holder.fence)") {
            if $0.lastSequence == waiter.request.sequence { $0.lastResult = .granted(holder.fence, holder) }
        }
    }

    /// Starts (or extends) the lock-delay of `key` after a forced or expired release.
    mutating func addLockDelay(_ key: LockKey) {
        let milliseconds = configuration.lockDelayMilliseconds(for: key)
        guard milliseconds > 0 else { return }
        let until = now.adding(milliseconds: milliseconds)
        // Keep the spelling already stored for a canonically equal key, so the ordered marks find it again.
        var storedKey = key.string
        if let position = delays.index(forKey: key.string) {
            let existing = delays[position]
            guard existing.value < until else { return }
            storedKey = existing.key
            removeDelayMark(DelayMark(until: existing.value, key: storedKey))
        } else {
            indexInsert(key.string, .delay)
        }
        delays[storedKey] = until
        let mark = DelayMark(until: until, key: storedKey)
        delayOrder.insert(mark, at: delayInsertionPoint(mark))
    }

    /// Ends every lock-delay whose time has come and queues its key for promotion: waiters held back by a
    /// delay are granted by the first entry applied at or after its end.
    mutating func purgeLockDelays() {
        var ended = 0
        while ended < delayOrder.count, delayOrder[ended].until <= now {
            let key = delayOrder[ended].key
            delays[key] = nil
            indexRemove(key, .delay)
            pendingPromotion.append(key)
            ended += 1
        }
        if ended > 0 { delayOrder.removeFirst(ended) }
    }

    private func delayInsertionPoint(_ mark: DelayMark) -> Int {
        var low = 0
        var high = delayOrder.count
        while low < high {
            let middle = (low + high) / 2
            if delayOrder[middle] < mark { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private mutating func removeDelayMark(_ mark: DelayMark) {
        let position = delayInsertionPoint(mark)
        precondition(position < delayOrder.count && delayOrder[position] == mark, "lock-delay \(mark) is not ordered")
        delayOrder.remove(at: position)
    }
}

import PadlockTypes

/// Everything that overlaps one key (could conflict with a lock on it): the holders and waiters of the key,
/// of its ancestors and of its descendants.
package struct OverlapInspection: Hashable, Sendable {
    /// The inspected key.
    package var key: LockKey
    /// Holders of the key, its ancestors and its descendants: keys in byte order, grant order within a key.
    package var holders: [HeldLock]
    /// Whether more holders overlap the key than `holders` lists.
    package var holdersTruncated: Bool
    /// Waiters queued on the key, its ancestors and its descendants: keys in byte order, queue order within a
    /// key.
    package var waiters: [WaiterInfo]
    /// Whether more waiters overlap the key than `waiters` lists.
    package var waitersTruncated: Bool
    /// The latest end of an active lock-delay on this key or an overlapping one.
    package var lockDelayedUntil: Timestamp?
}

extension LockTable {
    /// Every holder and waiter that overlaps `key`: what ``inspect(_:)`` shows, for the key's ancestors and
    /// descendants too. At most `limit` holders and `limit` waiters (at least one of each, capped by the
    /// configuration's page size); the flags say whether either list was cut short.
    ///
    /// Costs O(depth) when nothing is held or queued below `key`; the held keys (or the queues) are scanned
    /// only when the prefix index shows that some lie below it.
    package func inspectOverlapping(_ key: LockKey, limit: Int) -> OverlapInspection {
        let pageSize = max(1, min(limit, configuration.pageSizeMax))
        var holders: [HeldLock] = []
        var holdersTruncated = false
        holderLoop: for keyString in overlappingHeldKeys(key.string) {
            guard let holding = holding(keyString) else { preconditionFailure("\(keyString) was listed as held") }
            let heldKey = Self.knownKey(keyString)
            for grant in holding.grants {
                guard holders.count < pageSize else {
                    holdersTruncated = true
                    break holderLoop
                }
                holders.append(heldLock(key: heldKey, grant: grant, mode: holding.mode))
            }
        }
        var waiters: [WaiterInfo] = []
        var waitersTruncated = false
        waiterLoop: for queue in overlappingQueues(key.string) {
            for waiter in queue {
                guard waiters.count < pageSize else {
                    waitersTruncated = true
                    break waiterLoop
                }
                waiters.append(waiterInfo(waiter))
            }
        }
        return OverlapInspection(
            key: key, holders: holders, holdersTruncated: holdersTruncated, waiters: waiters,
            waitersTruncated: waitersTruncated, lockDelayedUntil: activeLockDelay(key.string))
    }

    /// Every holder whose lock conflicts with `mode` on `key` (on the key, an ancestor or a descendant), for a
    /// refusal to name them all: keys in byte order, grant order within a key, at most `limit` (at least one);
    /// `truncated` says more conflict than are listed. Empty when `mode` on `key` conflicts with no holder.
    ///
    /// Costs what ``inspectOverlapping(_:limit:)`` costs. With the injected `ignoresOverlappingHolders` only the
    /// key itself is considered, as ``refusal(for:mode:arrivalBefore:)`` does.
    package func conflictingHolders(
        of key: LockKey, mode: LockMode, limit: Int
    )
        -> (holders: [HeldLock], truncated: Bool)
    {
        let bound = max(1, limit)
        let keys = configuration.injectedBugs.ignoresOverlappingHolders ? [key.string] : overlappingHeldKeys(key.string)
        var holders: [HeldLock] = []
        for keyString in keys {
            guard let holding = holding(keyString), !holding.mode.isCompatible(with: mode) else { continue }
            let heldKey = Self.knownKey(keyString)
            for grant in holding.grants {
                guard holders.count < bound else { return (holders, true) }
                holders.append(heldLock(key: heldKey, grant: grant, mode: holding.mode))
            }
        }
        return (holders, false)
    }

    /// The held keys overlapping `key`, spelled as the table stores them, in byte order.
    func overlappingHeldKeys(_ key: String) -> [String] {
        var keys: [String] = []
        func collect(_ candidate: String) {
            if let position = exclusiveGrants.index(forKey: candidate) {
                keys.append(exclusiveGrants[position].key)
            } else if !sharedGrants.isEmpty, let position = sharedGrants.index(forKey: candidate) {
                keys.append(sharedGrants[position].key)
            }
        }
        Self.forEachPrefix(of: key) { collect($0) }
        collect(key)
        if let node = prefixes[key], node.exclusiveBelow > 0 || node.sharedBelow > 0 {
            keys += exclusiveGrants.keys.filter { Self.isStrictDescendant($0, of: key) }
            keys += sharedGrants.keys.filter { Self.isStrictDescendant($0, of: key) }
        }
        // Stored keys are distinct under canonical equivalence, so no two have the same bytes: a total order.
        return keys.sorted { $0.precedesInBytes($1) }
    }

    /// The queues on keys overlapping `key`, ordered by the bytes of their first waiter's key.
    ///
    /// A queue is placed by its head waiter's own key rather than by the dictionary's key, whose spelling
    /// (for canonically equal keys spelled differently) is whichever came first and is not kept by a snapshot.
    func overlappingQueues(_ key: String) -> [[Waiter]] {
        guard waiterCount > 0 else { return [] }
        var found: [[Waiter]] = []
        func collect(_ candidate: String) {
            if let queue = queues[candidate] { found.append(queue) }
        }
        Self.forEachPrefix(of: key) { collect($0) }
        collect(key)
        if let node = prefixes[key], node.waitersBelow > 0 { forEachDescendantQueue(of: key) { collect($0) } }
        return found.sorted { $0[0].key.string.precedesInBytes($1[0].key.string) }
    }
}

import PadlockTypes

/// One holder of one key, with the table's view of its session's lock-lease deadline.
package struct HeldLock: Hashable, Sendable {
    /// The held key.
    package var key: LockKey
    /// Who holds it, how and since when.
    package var holder: Holder
    /// The session's lease deadline as the table knows it: its open time plus its TTL, or the last applied
    /// checkpoint's entry time plus the remaining time it carried.
    package var leaseDeadline: Timestamp
}

/// One queued acquire, as shown by an inspection.
package struct WaiterInfo: Hashable, Sendable {
    /// The queued acquire.
    package var request: RequestID
    /// The key the acquire waits for, as the acquire named it.
    package var key: LockKey
    /// The waiting session's owner label.
    package var owner: String
    /// The mode asked for.
    package var mode: LockMode
    /// The note given with the acquire.
    package var note: String
    /// When the acquire was queued.
    package var enqueuedAt: Timestamp
    /// When the leader may expire the waiter.
    package var deadline: Timestamp
}

/// Everything the table knows about one exact key.
package struct KeyInspection: Hashable, Sendable {
    /// The inspected key.
    package var key: LockKey
    /// Holders in grant order (several only for a shared lock).
    package var holders: [HeldLock]
    /// Waiters in queue order.
    package var waiters: [WaiterInfo]
    /// The end of an active lock-delay on this key or an overlapping one.
    package var lockDelayedUntil: Timestamp?
}

/// One page of a listing; pass `nextAfter` as `after` for the next page (nil when this was the last).
package struct LockPage: Hashable, Sendable {
    /// Holders of up to `limit` keys, in key byte order.
    package var locks: [HeldLock]
    /// The last key of this page when more follow.
    package var nextAfter: LockKey?
}

/// The answer to a fence check.
package enum FenceCheck: Hashable, Sendable {
    /// The fence belongs to a current holder of the key.
    case current(Holder)
    /// It does not; these are the key's current holders (none when the key is free).
    case notCurrent(holders: [Holder])
}

/// A slice of the audit trail.
package struct AuditPage: Hashable, Sendable {
    /// Records in sequence order.
    package var records: [AuditRecord]
    /// The oldest sequence still kept; records before it were dropped to bound the trail.
    package var oldestKept: UInt64
    /// Pass as `since` to continue after this page.
    package var nextSince: UInt64
}

/// Sizes of the table, for monitoring and limits.
package struct TableCounts: Hashable, Sendable {
    /// Open sessions.
    package var sessions: Int
    /// Grants (a shared key counts each holder).
    package var heldLocks: Int
    /// Keys held by anyone.
    package var lockedKeys: Int
    /// Queued acquires.
    package var waiters: Int
    /// Keys under an active lock-delay.
    package var lockDelays: Int
    /// Audit records kept.
    package var auditRecords: Int
}

/// What the table knows about a session; the leader uses it to schedule expiry.
package struct SessionInfo: Hashable, Sendable {
    /// The session.
    package var id: SessionID
    /// Its owner label.
    package var owner: String
    /// The authenticated client that opened it; nil when it was opened on an open client port.
    package var client: String?
    /// Its lock-lease TTL.
    package var ttlMilliseconds: UInt64
    /// When it was opened.
    package var openedAt: Timestamp
    /// The last renewal generation a checkpoint recorded.
    package var renewalGeneration: UInt64
    /// The table's view of its lease deadline: the open time plus the TTL, or the last applied checkpoint's
    /// entry time plus its remaining time.
    package var leaseDeadline: Timestamp
    /// The remaining lock-lease time the last applied checkpoint recorded (bounded by twice the TTL), or the
    /// TTL if no checkpoint has been applied.
    package var checkpointRemainingMilliseconds: UInt64
    /// Locks it holds.
    package var heldLockCount: Int
    /// Acquires it has queued.
    package var waiterCount: Int
}

extension LockTable {
    /// Holder, mode, fence, since, lease deadline, note and waiters of `key`.
    package func inspect(_ key: LockKey) -> KeyInspection {
        let holders =
            holding(key.string).map { holding in
                holding.grants.map { heldLock(key: key, grant: $0, mode: holding.mode) }
            } ?? []
        let waiters = (queues[key.string] ?? []).map(waiterInfo)
        return KeyInspection(
            key: key, holders: holders, waiters: waiters, lockDelayedUntil: activeLockDelay(key.string))
    }

    /// Held locks in key byte order, optionally only in `prefix`'s subtree and only of sessions opened by
    /// `owner`, starting after the key `after`; at most `limit` keys (capped by the configuration) per page.
    ///
    /// Costs a scan of the held keys (or of the owner's sessions): an administrative query, not a hot path.
    package func list(prefix: LockKey? = nil, owner: String? = nil, after: LockKey? = nil, limit: Int) -> LockPage {
        let pageSize = max(1, min(limit, configuration.pageSizeMax))
        var keys: [String]
        if let owner {
            let owned = sessions.values.filter { $0.owner == owner }.flatMap(\.heldKeys)
            keys = Array(Set(owned.map(\.string)))
        } else {
            keys = Array(exclusiveGrants.keys) + Array(sharedGrants.keys)
        }
        keys = keys.filter { key in
            (prefix.map { $0.string == key || Self.isStrictDescendant(key, of: $0.string) } ?? true)
                && (after.map { $0.string.precedesInBytes(key) } ?? true)
        }
        keys = Self.sortedInBytes(keys)
        let page = keys.prefix(pageSize)
        var locks: [HeldLock] = []
        for keyString in page {
            guard let holding = holding(keyString) else { continue }
            let key = Self.knownKey(keyString)
            for grant in holding.grants where owner == nil || sessions[grant.session]?.owner == owner {
                locks.append(heldLock(key: key, grant: grant, mode: holding.mode))
            }
        }
        let nextAfter = keys.count > pageSize ? page.last.map(Self.knownKey) : nil
        return LockPage(locks: locks, nextAfter: nextAfter)
    }

    /// Whether `fence` is the fence of a current holder of `key` (shared co-holders granted by one entry share
    /// a fence; the earliest of them is named).
    ///
    /// A fence below the fence of a hold that covers the key (on it or an ancestor, not leaving it editable) is
    /// not current even while its holder keeps the lock: writes of editors who were at work when the hold was
    /// placed are stale from then on (`docs/holds.md`).
    package func checkFence(_ key: LockKey, _ fence: FenceToken) -> FenceCheck {
        guard let holding = holding(key.string) else { return .notCurrent(holders: []) }
        if let holdFence = coveringHoldFence(key), fence < holdFence {
            return .notCurrent(holders: holding.grants.map { holder(of: $0, mode: holding.mode) })
        }
        if let grant = holding.grants.first(where: { $0.fence == fence }) {
            return .current(holder(of: grant, mode: holding.mode))
        }
        return .notCurrent(holders: holding.grants.map { holder(of: $0, mode: holding.mode) })
    }

    /// Audit records with sequence ≥ `since`, oldest first, at most `limit` (capped by the configuration).
    package func auditTrail(since: UInt64, limit: Int) -> AuditPage {
        let pageSize = max(1, min(limit, configuration.pageSizeMax))
        let records = Array(auditRecords.lazy.filter { $0.sequence >= since }.prefix(pageSize))
        let oldest = auditRecords.first?.sequence ?? nextAuditSequence
        return AuditPage(
            records: records, oldestKept: oldest, nextSince: records.last.map { $0.sequence + 1 } ?? max(since, oldest))
    }

    /// Current sizes.
    package var counts: TableCounts {
        TableCounts(
            sessions: sessions.count, heldLocks: heldLockCount, lockedKeys: exclusiveGrants.count + sharedGrants.count,
            waiters: waiterCount,
            lockDelays: delays.count, auditRecords: auditRecords.count)
    }

    /// One session, or nil if it is not open.
    package func session(_ id: SessionID) -> SessionInfo? {
        sessions[id].map { record in
            SessionInfo(
                id: record.id, owner: record.owner, client: record.client, ttlMilliseconds: record.ttlMilliseconds,
                openedAt: record.openedAt,
                renewalGeneration: record.renewalGeneration, leaseDeadline: record.leaseDeadline,
                checkpointRemainingMilliseconds: record.checkpointRemainingMilliseconds,
                heldLockCount: record.heldKeys.count, waiterCount: record.waitingKeys.count)
        }
    }

    /// The open sessions the authenticated client `name` opened, in id order.
    package func sessions(ofClient name: String) -> [SessionID] {
        guard sessionsByClient[name] != nil else { return [] }
        return sessions.values.filter { $0.client == name }.map(\.id).sorted()
    }

    /// The names of the authenticated clients with open sessions, sorted.
    package var clientsWithSessions: [String] { sessionsByClient.keys.sorted() }

    /// How many sessions the authenticated client `name` has open.
    package func sessionCount(ofClient name: String) -> Int { sessionsByClient[name] ?? 0 }

    /// Every open session in id order; a new leader restarts each one's countdown from these.
    package func allSessions() -> [SessionInfo] {
        sessions.keys.sorted().compactMap { session($0) }
    }

    /// Waiters whose deadline is at or before `time`, earliest deadline first: the leader proposes
    /// `expireWaiter` for each.
    package func waiters(dueBy time: Timestamp) -> [RequestID] {
        let due = queues.values.joined().filter { $0.deadline <= time }
        return due.sorted { ($0.deadline, $0.arrival) < ($1.deadline, $1.arrival) }.map(\.request)
    }

    /// The earliest end of an active lock-delay. Waiters held back by it are granted by the first entry
    /// applied at or after that time, so the leader should make sure one is proposed then (a lease checkpoint).
    package var nextLockDelayEnd: Timestamp? { delayOrder.first?.until }

    func heldLock(key: LockKey, grant: Grant, mode: LockMode) -> HeldLock {
        HeldLock(
            key: key, holder: holder(of: grant, mode: mode),
            leaseDeadline: sessions[grant.session]?.leaseDeadline ?? grant.since)
    }

    func waiterInfo(_ waiter: Waiter) -> WaiterInfo {
        WaiterInfo(
            request: waiter.request, key: waiter.key, owner: sessions[waiter.request.session]?.owner ?? "",
            mode: waiter.mode, note: waiter.note, enqueuedAt: waiter.enqueuedAt, deadline: waiter.deadline)
    }
}

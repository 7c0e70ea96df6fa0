import Wire

// All-or-nothing acquires of several keys, and holds (rule locks): `docs/holds.md`, `docs/client.md`.

/// What ``PadlockClient/placeHold(_:rule:reason:source:restricts:exemptRoles:editableFields:endHolders:)``
/// answers: the hold in place, and the holders it ended.
public struct HoldPlaced: Sendable, Hashable {
    /// The hold as the cluster placed it: its fence (the placing entry's index), since and placed-by.
    public var hold: Hold
    /// The locks the placement ended (only with `endHolders`): each holder was told it was force-unlocked
    /// with the hold's rule and reason. Empty otherwise.
    public var endedHolders: [LockInfo]

    /// Creates an answer.
    public init(hold: Hold, endedHolders: [LockInfo]) {
        self.hold = hold
        self.endedHolders = endedHolders
    }
}

extension PadlockClient {
    /// Acquires every one of `keys` at once, or none of them: one committed entry grants them all under one
    /// fence (bulk imports, merging two records). With a wait, the whole request queues as one waiter and is
    /// granted when every key is free, so it never holds some keys while waiting for others and never
    /// deadlocks with other waiters.
    ///
    /// - Parameters:
    ///   - keys: 1 to 64 keys, none overlapping another (no key twice, none inside another).
    ///   - mode, owner, roles, wait, note, onQueuePosition: as for
    ///     ``acquire(_:mode:owner:roles:wait:note:takeover:onQueuePosition:)``; the note goes with every key.
    /// - Returns: one lock per key, in the keys' order, all with the same fence. Release each (or use
    ///   ``withLock(keys:mode:owner:roles:wait:note:onQueuePosition:_:)``); each is an ordinary lock on its key.
    /// - Throws: the first refusal in the keys' order (`held(by:)`, `restricted(by:)`, …; nothing is held
    ///   then), `invalidArgument` for bad keys or roles, `unavailable`, `outcomeUnknown` (the library then
    ///   releases whatever the batch was granted, key by key), `cancelled`. Needs a v3 cluster for several
    ///   keys; one key without roles is an ordinary acquire.
    public func acquire(
        keys: [String], mode: LockMode = .exclusive, owner: String? = nil, roles: [String] = [],
        wait: Duration = .zero, note: String = "", onQueuePosition: (@Sendable (Int) -> Void)? = nil
    ) async throws(PadlockError) -> [Lock] {
        try await handle.traced(
            "acquireKeys",
            attributes: { attributes in
                attributes["padlock.key"] = keys.first ?? ""
                attributes["padlock.key_count"] = keys.count
                attributes["padlock.mode"] = mode == .exclusive ? "exclusive" : "shared"
                attributes["padlock.wait_ms"] = ClientHandle.milliseconds(wait)
            },
            answered: { locks, attributes in
                attributes["padlock.outcome"] = "granted"
                if let lock = locks.first { attributes["padlock.fence"] = Int(clamping: lock.fence.rawValue) }
            }
        ) { () throws(PadlockError) in
            let lockKeys = try Self.validate(keys: keys)
            var spec = try Self.validateAcquire(
                keys[0], mode: mode, owner: owner ?? self.owner, wait: wait, note: note)
            spec.roles = try Self.validate(roles: roles)
            spec.batch = lockKeys.count > 1 ? lockKeys : nil
            spec.onQueuePosition = onQueuePosition
            let validated = spec
            return try await handle.perform { core, ticket, completion in
                core.acquireKeys(validated, ticket: ticket, completion: completion)
            }
        }
    }

    /// Acquires every one of `keys` at once (as ``acquire(keys:mode:owner:roles:wait:note:onQueuePosition:)``),
    /// runs `body` with the locks in the keys' order, and releases them all on every path, as
    /// ``withLock(_:mode:owner:roles:wait:note:takeover:onQueuePosition:_:)`` does: `body` is cancelled when
    /// any of the locks is lost, and `withLock` then throws `lockLost`.
    public func withLock<T: Sendable>(
        keys: [String], mode: LockMode = .exclusive, owner: String? = nil, roles: [String] = [],
        wait: Duration = .zero, note: String = "", onQueuePosition: (@Sendable (Int) -> Void)? = nil,
        _ body: ([Lock]) async throws -> T
    ) async throws -> T {
        let locks = try await acquire(
            keys: keys, mode: mode, owner: owner, roles: roles, wait: wait, note: note,
            onQueuePosition: onQueuePosition)
        return try await run(body: body, holding: locks)
    }

    /// Places a hold (a rule lock, `docs/holds.md`) on `key`: from now on it refuses the locks it restricts
    /// to everyone whose roles it does not exempt, except on its editable fields, until it is lifted. It has
    /// no lease. A hold of the same rule already on the key is replaced. Audited.
    ///
    /// Allowed to `admin` clients and to `app` clients whose configuration lists the key's namespace in
    /// `holds` (`docs/configuration.md`).
    ///
    /// - Parameters:
    ///   - key: a record (`acme/deals/42`), a field, or a namespace root (`acme`: a tenant freeze).
    ///   - rule: the rule's name shown on the record, such as `Deal closed`; 1 to 128 bytes.
    ///   - reason: why, shown with the rule and audited, such as `stage closed-won`; 1 to 1024 bytes.
    ///   - source: `.manual` (an administrator) or `.rule` (a rule engine).
    ///   - restricts: `.edit` refuses exclusive locks (the default); `.all` shared ones too.
    ///   - exemptRoles: at most 16 roles the hold does not apply to, such as `finance-admin`.
    ///   - editableFields: at most 64 field names (one key segment each) that stay lockable under the key.
    ///   - endHolders: end the current holders the hold refuses (each is told it was force-unlocked with the
    ///     rule and reason); otherwise they keep their locks, but their fences are stale for stores.
    /// - Throws: `invalidArgument` for a bad rule, reason, role or field (nothing is sent), `permissionDenied`,
    ///   `unavailable` (also when the cluster's hold limits are reached), `outcomeUnknown`, `cancelled`.
    public func placeHold(
        _ key: String, rule: String, reason: String, source: HoldSource = .manual, restricts: HoldRestriction = .edit,
        exemptRoles: [String] = [], editableFields: [String] = [], endHolders: Bool = false
    ) async throws(PadlockError) -> HoldPlaced {
        try await handle.traced("placeHold", attributes: { $0["padlock.key"] = key }) { () throws(PadlockError) in
            let placement = HoldPlacement(
                key: try Self.validateKey(key), rule: rule, reason: reason, source: source, restricts: restricts,
                exemptRoles: exemptRoles, editableFields: editableFields, endsHolders: endHolders)
            try Self.validate(placement)
            return try await handle.perform { core, ticket, completion in
                core.placeHold(placement, ticket: ticket, completion: completion)
            }
        }
    }

    /// Lifts the hold of `rule` on `key`, or every hold on it when `rule` is nil; the reason is audited with
    /// each hold lifted. Returns the holds lifted, as they were.
    ///
    /// - Throws: `invalidArgument` for a missing reason, or when the key has no such hold (the message says
    ///   so), `permissionDenied`, `unavailable`, `outcomeUnknown`, `cancelled`.
    public func liftHold(_ key: String, rule: String? = nil, reason: String) async throws(PadlockError) -> [Hold] {
        try await handle.traced(
            "liftHold", attributes: { $0["padlock.key"] = key },
            answered: { holds, attributes in attributes["padlock.hold_count"] = holds.count }
        ) { () throws(PadlockError) in
            let lockKey = try Self.validateKey(key)
            try Self.validateLift(rule: rule, reason: reason)
            return try await handle.perform { core, ticket, completion in
                core.liftHold(lockKey, rule: rule, reason: reason, ticket: ticket, completion: completion)
            }
        }
    }

    /// Every hold on or under `prefix` (every hold the client may see when nil), in key order and rule order
    /// within a key, read linearizably a page at a time. An `app` client limited to namespaces must give a
    /// prefix.
    public func holds(prefix: String? = nil) async throws(PadlockError) -> [Hold] {
        try await handle.traced(
            "holds",
            attributes: { attributes in if let prefix { attributes["padlock.key"] = prefix } },
            answered: { holds, attributes in attributes["padlock.hold_count"] = holds.count }
        ) { () throws(PadlockError) in
            let prefixKey = try prefix.map { key throws(PadlockError) in try Self.validateKey(key) }
            var holds: [Hold] = []
            var after: LockKey?
            repeat {
                let answer = try await read(
                    .holds(prefix: prefixKey, after: after, limit: WireLimits.pageSizeMax), "holds")
                guard case .holdsListed(let page) = answer else { throw Self.unexpected(answer, "holds") }
                holds += page.holds
                after = page.next
            } while after != nil
            return holds
        }
    }
}

import PadlockTypes

// Holds: rule locks placed by administrators and rule engines, which refuse locks to everyone whose roles they
// do not exempt (`docs/holds.md`).

extension LockTable {
    /// Places a hold, or replaces the key's hold of the same rule; ends the holders it refuses when asked, and
    /// answers the waiters it refuses. Its fence is this entry's index.
    mutating func placeHold(_ placement: HoldPlacement, session: SessionID, actor: String) -> CommandResult {
        if let problem = placement.problem { return .invalid(InvalidReason(problem)) }
        if actor.utf8.count > InputLimits.ownerByteCountMax { return .invalid(.adminTooLong) }
        let keyString = placement.key.string
        var list = holds[keyString] ?? []
        let replaced = list.firstIndex { $0.rule == placement.rule }
        if replaced == nil {
            if list.count >= HoldLimits.holdsPerKeyMax { return .overloaded(.holdsPerKey) }
            if holdCount >= configuration.holdCountMax { return .overloaded(.holds) }
            let namespace = String(placement.key.namespace)
            if holdsByNamespace[namespace, default: 0] >= configuration.holdsPerNamespaceMax {
                return .overloaded(.namespaceHolds)
            }
        }
        // Keep the spelling already stored for a canonically equal key.
        let key = list.first?.key ?? placement.key
        let hold = Hold(
            key: key, rule: placement.rule, reason: placement.reason, source: placement.source, placedBy: actor,
            since: now, fence: FenceToken(currentIndex), restricts: placement.restricts,
            exemptRoles: placement.exemptRoles, editableFields: placement.editableFields)
        if let replaced {
            list[replaced] = hold
        } else {
            list.append(hold)
            list.sort { $0.rule.utf8.lexicographicallyPrecedes($1.rule.utf8) }
            if list.count == 1 { indexInsert(keyString, .hold) }
            holdCount += 1
            holdsByNamespace[String(key.namespace), default: 0] += 1
        }
        holds[keyString] = list
        audit(
            action: .holdPlaced, actor: actor, session: session, key: key, previous: nil, reason: placement.reason,
            hold: hold)
        let ended = placement.endsHolders ? endHolders(refusedBy: hold, actor: actor) : []
        answerWaiters(refusedBy: hold)
        return .holdPlaced(hold, ended: ended)
    }

    /// Lifts the key's hold of `rule`, or every hold on the key when `rule` is nil; each is audited.
    mutating func liftHold(
        _ key: LockKey, rule: String?, reason: String, session: SessionID, actor: String
    ) -> CommandResult {
        if reason.isEmpty { return .invalid(.reasonEmpty) }
        if let invalid = Self.validateAdministrative(reason: reason, admin: actor) { return invalid }
        guard let list = holds[key.string] else { return .noHold }
        let lifted = list.filter { rule == nil || $0.rule == rule }
        guard !lifted.isEmpty else { return .noHold }
        let kept = list.filter { rule != nil && $0.rule != rule }
        holds[key.string] = kept.isEmpty ? nil : kept
        if kept.isEmpty { indexRemove(key.string, .hold) }
        holdCount -= lifted.count
        let namespace = String(key.namespace)
        let remaining = holdsByNamespace[namespace, default: 0] - lifted.count
        holdsByNamespace[namespace] = remaining > 0 ? remaining : nil
        for hold in lifted {
            audit(
                action: .holdLifted, actor: actor, session: session, key: hold.key, previous: nil, reason: reason,
                hold: hold)
        }
        return .holdsLifted(lifted)
    }

    /// The first hold that refuses `mode` on `key` to a requester claiming `roles`: ancestors first, then the
    /// key, then descendants in segment order; by rule within a key. Nil when no hold refuses it.
    func refusingHold(for key: LockKey, mode: LockMode, roles: [String]) -> Hold? {
        guard holdCount > 0, !configuration.injectedBugs.ignoresHolds else { return nil }
        var found: Hold?
        Self.forEachPrefix(of: key.string) { prefix in
            guard found == nil, let list = holds[prefix] else { return }
            found = list.first { $0.restricts(mode) && !$0.exempts(roles) && !$0.leavesEditable(key) }
        }
        if let found { return found }
        if let hold = holds[key.string]?.first(where: { $0.restricts(mode) && !$0.exempts(roles) }) { return hold }
        guard let node = prefixes[key.string], node.holdsBelow > 0 else { return nil }
        var best: (key: String, hold: Hold)?
        for (holdKey, list) in holds where Self.isStrictDescendant(holdKey, of: key.string) {
            guard let hold = list.first(where: { $0.restricts(mode) && !$0.exempts(roles) }) else { continue }
            if let current = best, !Self.precedesInSegmentOrder(holdKey, current.key) { continue }
            best = (holdKey, hold)
        }
        return best?.hold
    }

    /// The holds a grant of `mode` on `key` passes only because of `roles`: those that would refuse it to a
    /// requester with no role. Empty without roles.
    func bypassedHolds(for key: LockKey, mode: LockMode, roles: [String]) -> [Hold] {
        guard holdCount > 0, !roles.isEmpty else { return [] }
        return holds(overlapping: key).filter { hold in
            guard hold.restricts(mode), hold.exempts(roles) else { return false }
            return !(hold.key != key && hold.key.covers(key) && hold.leavesEditable(key))
        }
    }

    /// Audits each hold a new grant bypassed through an exempt role.
    mutating func auditBypasses(of holder: Holder, key: LockKey, roles: [String]) {
        for hold in bypassedHolds(for: key, mode: holder.mode, roles: roles) {
            audit(
                action: .holdBypassed, actor: holder.owner, session: holder.session, key: key, previous: holder,
                reason: "exempt role " + roles.filter { hold.exemptRoles.contains($0) }.joined(separator: ", "),
                hold: hold)
        }
    }

    /// Ends every current holder the new hold would refuse (by mode and editable field; grants do not record
    /// roles), each told it was force-unlocked for the hold, audited and followed by lock-delay.
    private mutating func endHolders(refusedBy hold: Hold, actor: String) -> [HeldLock] {
        var ended: [HeldLock] = []
        let reason = "hold '\(hold.rule)': \(hold.reason)".cut(toUTF8Count: InputLimits.reasonByteCountMax)
        for keyString in overlappingHeldKeys(hold.key.string) {
            guard let holding = holding(keyString) else { continue }
            let key = Self.knownKey(keyString)
            guard hold.restricts(holding.mode), !(key != hold.key && hold.key.covers(key) && hold.leavesEditable(key))
            else { continue }
            for grant in holding.grants {
                let deadline = sessions[grant.session]?.leaseDeadline ?? grant.since
                let previous = removeGrant(of: grant.session, key: key)
                ended.append(HeldLock(key: key, holder: previous, leaseDeadline: deadline))
                pendingEvents.append(
                    .lockReleased(
                        key: key, previous: previous, reason: .lost(.forceUnlocked(by: actor, reason: reason))))
                audit(
                    action: .forceUnlock, actor: actor, session: grant.session, key: key, previous: previous,
                    reason: reason)
            }
            addLockDelay(key)
        }
        return ended
    }

    /// Answers `restricted(by: hold)` to every queued waiter the new hold refuses (by its own roles), removing
    /// it from every queue it stands in, so that no queued request is ever granted against a hold.
    private mutating func answerWaiters(refusedBy hold: Hold) {
        guard waiterCount > 0 else { return }
        var refused: [Waiter] = []
        var seen = Set<RequestID>()
        for queue in overlappingQueues(hold.key.string) {
            for waiter in queue where seen.insert(waiter.request).inserted {
                guard hold.restricts(waiter.mode), !hold.exempts(waiter.roles) else { continue }
                let refusedKey = waiter.keys.contains { key in
                    key.overlaps(hold.key) && !(key != hold.key && hold.key.covers(key) && hold.leavesEditable(key))
                }
                if refusedKey { refused.append(waiter) }
            }
        }
        for waiter in refused.sorted(by: { $0.arrival < $1.arrival }) {
            let answer = CommandResult.restricted(by: hold)
            let key = waiter.keys[0]
            guard removeWaiter(of: waiter.request.session, key: key.string) != nil else {
                preconditionFailure(brokenInvariant("waiter \(waiter.request) vanished before a hold answered it"))
            }
            pendingEvents.append(.waiterTimedOut(waiter.request, key: key, answer: answer))
            pendingEvents += waiter.keys.dropFirst().map { .keyChanged(key: $0) }
            if sessions[waiter.request.session]?.lastSequence == waiter.request.sequence {
                updateOpenSession(waiter.request.session, "answering its waiter \(waiter.request) restricted") {
                    $0.lastResult = answer
                }
            }
        }
    }

}

extension LockTable {
    /// One page of the holds on or under `prefix` (every hold when nil), after the key `after`, in key byte
    /// order and rule order within a key; `next` is where the next page starts, nil on the last page. A page
    /// never splits one key's holds.
    package func listHolds(prefix: LockKey?, after: LockKey?, limit: Int) -> (holds: [Hold], next: LockKey?) {
        let pageSize = max(1, min(limit, configuration.pageSizeMax))
        var keys = holds.keys.filter { key in
            guard let prefix else { return true }
            return key == prefix.string || Self.isStrictDescendant(key, of: prefix.string)
        }
        if let after { keys = keys.filter { after.string.precedesInBytes($0) } }
        keys.sort { $0.precedesInBytes($1) }
        var page: [Hold] = []
        var next: LockKey?
        for (position, key) in keys.enumerated() {
            page += holds[key] ?? []
            if page.count >= pageSize, position + 1 < keys.count {
                next = Self.knownKey(key)
                break
            }
        }
        return (page, next)
    }

    /// The holds on `key`, its ancestors and its descendants, in key byte order and rule order.
    package func holds(overlapping key: LockKey) -> [Hold] {
        guard holdCount > 0 else { return [] }
        var keys: [String] = []
        Self.forEachPrefix(of: key.string) { prefix in if holds[prefix] != nil { keys.append(prefix) } }
        if holds[key.string] != nil { keys.append(key.string) }
        if let node = prefixes[key.string], node.holdsBelow > 0 {
            keys += holds.keys.filter { Self.isStrictDescendant($0, of: key.string) }
        }
        return keys.sorted { $0.precedesInBytes($1) }.flatMap { holds[$0] ?? [] }
    }

    /// The highest fence of a hold that refuses exclusive locks on `key` to a requester with no role (on the
    /// key, an ancestor not leaving it editable, or a descendant): writes under an older fence are stale from
    /// then on. Nil when none does.
    func coveringHoldFence(_ key: LockKey) -> FenceToken? {
        guard holdCount > 0 else { return nil }
        var fence: FenceToken?
        func consider(_ hold: Hold) { fence = max(fence ?? hold.fence, hold.fence) }
        Self.forEachPrefix(of: key.string) { prefix in
            for hold in holds[prefix] ?? [] where !hold.leavesEditable(key) { consider(hold) }
        }
        for hold in holds[key.string] ?? [] { consider(hold) }
        if let node = prefixes[key.string], node.holdsBelow > 0 {
            for (holdKey, list) in holds where Self.isStrictDescendant(holdKey, of: key.string) {
                list.forEach(consider)
            }
        }
        return fence
    }
}

import PadlockTypes

/// A cheap direct check of the fences in a history, independent of the linearizability search.
///
/// Within each conflict group, over the acquires answered `granted`:
/// - **Shared fence.** Two grants may carry the same fence only if one entry could have granted both
///   (waiters freed together: different locks that can be held at once — disjoint keys, or both shared) or
///   one is the same session's reentrant repeat of the other (same key, same mode). Anything else means a
///   fence was handed out twice.
/// - **Real-time order.** If grant B completed before grant A was invoked, A's entry came after B's, so
///   fence(B) < fence(A) — unless A may be a reentrant repeat returning an older grant's fence: another grant
///   (or an acquire of unknown outcome) of the same session, key and mode that did not start after A ended.
///
/// A session that gets the same fence twice for the same key and mode looks like a reentrant repeat here;
/// the linearizability checker catches it when a release came in between.
package struct FenceOrderCheck: Sendable {
    /// A checker; it has no settings.
    package init() {}

    /// Every fence-order violation in `history`, in the byte order of each group's first key; within a group,
    /// shared fences (by fence) before fences going backwards (by the later grant's invoke instant).
    package func check(_ history: [LockOperation]) -> [FenceOrderViolation] {
        LinearizabilityChecker.requireUniqueIDs(history)
        var violations: [FenceOrderViolation] = []
        for group in ConflictGroups.partition(history) {
            let operations = group.operations.map { history[$0] }
            let grants = operations.compactMap(Grant.init)
            violations += sharedFences(grants, keys: group.keys)
            violations += fencesGoingBackwards(grants, operations: operations, keys: group.keys)
        }
        return violations
    }

    /// Grants with equal fences that one entry could not have produced together.
    private func sharedFences(_ grants: [Grant], keys: [LockKey]) -> [FenceOrderViolation] {
        let byFence = grants.sorted {
            ($0.fence, $0.operation.invoke, $0.operation.id) < ($1.fence, $1.operation.invoke, $1.operation.id)
        }
        var violations: [FenceOrderViolation] = []
        var runStart = 0
        for end in byFence.indices {
            if byFence[end].fence != byFence[runStart].fence { runStart = end }
            for earlier in byFence[runStart..<end] where !byFence[end].mayShareFence(with: earlier) {
                violations.append(
                    FenceOrderViolation(
                        kind: .fenceShared, keys: keys, earlier: earlier.operation, later: byFence[end].operation))
            }
        }
        return violations
    }

    /// Grants whose fence is not above that of a grant that completed before they were invoked.
    private func fencesGoingBackwards(
        _ grants: [Grant], operations: [LockOperation], keys: [LockKey]
    ) -> [FenceOrderViolation] {
        // A reentrant repeat returns its original's fence: a grant of the same lock with the same fence, or an
        // acquire of the same lock whose outcome (and fence) is unknown.
        var invokesOfGrant: [Grant.Identity: [UInt64]] = [:]
        for grant in grants { invokesOfGrant[grant.identity, default: []].append(grant.operation.invoke) }
        var firstUnknownInvoke: [Grant.Lock: UInt64] = [:]
        for operation in operations where operation.outcome == nil {
            guard case let .acquire(session, key, mode) = operation.action else { continue }
            let lock = Grant.Lock(session: session, key: key, mode: mode)
            firstUnknownInvoke[lock] = min(firstUnknownInvoke[lock] ?? .max, operation.invoke)
        }
        func mayBeRepeat(_ grant: Grant) -> Bool {
            if let invoke = firstUnknownInvoke[grant.lock], invoke <= grant.complete { return true }
            return invokesOfGrant[grant.identity, default: []].count { $0 <= grant.complete } > 1
        }
        let byCompletion = grants.sorted { ($0.complete, $0.operation.id) < ($1.complete, $1.operation.id) }
        let byInvoke = grants.sorted { ($0.operation.invoke, $0.operation.id) < ($1.operation.invoke, $1.operation.id) }
        var violations: [FenceOrderViolation] = []
        var highest: Grant?
        var next = 0
        for later in byInvoke {
            while next < byCompletion.count && byCompletion[next].complete < later.operation.invoke {
                if highest.map({ byCompletion[next].fence > $0.fence }) ?? true { highest = byCompletion[next] }
                next += 1
            }
            guard let earlier = highest, earlier.fence >= later.fence else { continue }
            if mayBeRepeat(later) { continue }
            violations.append(
                FenceOrderViolation(
                    kind: .fenceWentBackwards, keys: keys, earlier: earlier.operation, later: later.operation))
        }
        return violations
    }
}

/// Two grants whose fences contradict the way fences are handed out.
package struct FenceOrderViolation: Hashable, Sendable, CustomStringConvertible {
    /// Which rule the two grants break.
    package enum Kind: Hashable, Sendable {
        /// Both carry the same fence, but one entry could not have granted both.
        case fenceShared
        /// `earlier` completed before `later` was invoked, yet `later`'s fence is not higher.
        case fenceWentBackwards
    }

    /// The rule broken.
    package var kind: Kind
    /// The keys of the conflict group, in byte order.
    package var keys: [LockKey]
    /// For `fenceShared`, the grant invoked first; for `fenceWentBackwards`, the one that completed first.
    package var earlier: LockOperation
    /// The other grant.
    package var later: LockOperation

    /// Both operations and the rule, in words.
    package var description: String {
        switch kind {
        case .fenceShared:
            "fence handed out twice: \(earlier) and \(later) cannot have been granted by one entry"
        case .fenceWentBackwards:
            "fence went backwards: \(earlier) completed before \(later) was invoked, yet its fence is not lower"
        }
    }
}

/// A completed acquire answered `granted`, as the fence checks see it.
private struct Grant {
    struct Lock: Hashable {
        var session: SessionID
        var key: LockKey
        var mode: LockMode
    }

    struct Identity: Hashable {
        var lock: Lock
        var fence: FenceToken
    }

    var operation: LockOperation
    var lock: Lock
    var fence: FenceToken
    var complete: UInt64

    init?(_ operation: LockOperation) {
        guard case let .acquire(session, key, mode) = operation.action, case let .granted(fence) = operation.outcome,
            let complete = operation.complete
        else { return nil }
        self.operation = operation
        lock = Lock(session: session, key: key, mode: mode)
        self.fence = fence
        self.complete = complete
    }

    var identity: Identity { Identity(lock: lock, fence: fence) }

    /// Whether one entry could have produced both grants, or one is the other's reentrant repeat.
    func mayShareFence(with other: Grant) -> Bool {
        if lock == other.lock { return true }
        if lock.session == other.lock.session && lock.key == other.lock.key { return false }
        return !lock.key.overlaps(other.lock.key) || (lock.mode == .shared && other.lock.mode == .shared)
    }
}

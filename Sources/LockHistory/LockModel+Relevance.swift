// Which operations of unknown outcome could matter to which others: the test that lets the search place an
// unknown operation only where it matters. "May enable" is syntactic and generous: it may say yes when the
// target would have been fine anyway, never no when the unknown operation's effect is what the target needs.

extension LockModel {
    /// The locks an operation of unknown outcome would remove in `state` (none for an acquire).
    func removedHolds(by action: CompactOperation.Action, in state: ModelState) -> [Hold] {
        switch action {
        case let .release(session, key, fence):
            state.holds.filter { $0.session == session && $0.key == key && mayMatch($0, fence: fence) }
        case let .endSession(session): state.holds.filter { $0.session == session }
        case let .forceUnlock(key): state.holds.filter { $0.key == key }
        case .acquire, .checkFence: []
        }
    }

    /// Whether placing an operation of unknown outcome (`action`, which would remove `removed`) before
    /// `target` could be what `target` needs, or must come before `target` so as not to remove what `target`
    /// grants.
    func mayEnable(_ action: CompactOperation.Action, removing removed: [Hold], _ target: CompactOperation) -> Bool {
        if case let .acquire(session, key, shared) = action {
            return lockMayEnable(Hold(session: session, key: key, shared: shared, fence: 0, fenceUnknown: true), target)
        }
        guard !removed.isEmpty else { return false }
        return mustPrecede(action, target) || removalMayEnable(removed, target)
    }

    /// A lock of unknown fence is what a refusal naming its session, a release, a fence check, a force-unlock
    /// or a reentrant grant may need.
    private func lockMayEnable(_ lock: Hold, _ target: CompactOperation) -> Bool {
        guard let outcome = target.outcome else { return false }
        switch (target.action, outcome) {
        case let (.acquire(session, key, shared), .refusedBy(holder, fence)):
            return holder == lock.session && conflicts(lock, session: session, key: key, shared: shared)
                && mayMatch(lock, fence: fence)
        case let (.acquire(session, key, shared), .granted(fence)):
            return lock.session == session && lock.key == key && lock.isShared == shared && mayMatch(lock, fence: fence)
        case let (.release(session, key, fence), .released):
            return lock.session == session && lock.key == key && mayMatch(lock, fence: fence)
        case let (.checkFence(key, fence), .fenceCurrent(true)): return lock.key == key && mayMatch(lock, fence: fence)
        case let (.forceUnlock(key), .done): return lock.key == key
        default: return false
        }
    }

    /// Removing locks is what a grant they block, a `notHeld`, a `fenceCurrent(false)` or an unknown acquire
    /// they block may need.
    private func removalMayEnable(_ removed: [Hold], _ target: CompactOperation) -> Bool {
        switch (target.action, target.outcome) {
        case let (.acquire(session, key, shared), nil), let (.acquire(session, key, shared), .granted?):
            return removed.contains {
                ($0.session == session && $0.key == key) || conflicts($0, session: session, key: key, shared: shared)
            }
        case let (.release(session, key, fence), .notHeld?):
            return removed.contains {
                $0.session == session && $0.key == key && $0.fence == fence && !$0.isFenceUnknown
            }
        case let (.checkFence(key, fence), .fenceCurrent(false)?):
            return removed.contains { $0.key == key && $0.fence == fence && !$0.isFenceUnknown }
        case let (.forceUnlock(key), .notHeld?): return removed.contains { $0.key == key }
        default: return false
        }
    }

    /// A removal placed after `target` would also remove the lock `target` grants (a grant to the ended
    /// session, on the force-unlocked key, or of the released lock), so if it took effect before `target` it
    /// must be placed before it.
    private func mustPrecede(_ removal: CompactOperation.Action, _ target: CompactOperation) -> Bool {
        guard case let .acquire(session, key, _) = target.action else { return false }
        let grantedFence: UInt32?
        switch target.outcome {
        case nil: grantedFence = nil
        case let .granted(fence)?: grantedFence = fence
        default: return false
        }
        switch removal {
        case let .endSession(ended): return ended == session
        case let .forceUnlock(unlocked): return unlocked == key
        case let .release(releasing, released, fence):
            return releasing == session && released == key && (grantedFence == nil || grantedFence == fence)
        case .acquire, .checkFence: return false
        }
    }
}

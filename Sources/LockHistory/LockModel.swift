import PadlockTypes

// The sequential lock model the checker linearizes against, in a compact form: sessions, keys and fences of
// one conflict group are interned as small integers (fences keep their order), so a hold packs into one
// UInt64 and a model state into a few short arrays that hash quickly.

/// One lock held in the model, packed: session (24 bits), key (16), shared (1), fence unknown (1), fence (22).
///
/// Sorting by the packed value sorts by session, then key; a session holds at most one lock per key (another
/// mode on the same key conflicts, the same mode is reentrant), so the order is total and states are canonical.
struct Hold: Hashable, Comparable, Sendable {
    static let sessionCountMax = 1 << 24
    static let keyCountMax = 1 << 16
    static let fenceCountMax = 1 << 22

    let raw: UInt64

    init(session: UInt32, key: UInt32, shared: Bool, fence: UInt32, fenceUnknown: Bool = false) {
        raw =
            UInt64(session) << 40 | UInt64(key) << 24 | (shared ? 1 << 23 : 0) | (fenceUnknown ? 1 << 22 : 0)
            | UInt64(fence)
    }

    var session: UInt32 { UInt32(truncatingIfNeeded: raw >> 40) }
    var key: UInt32 { UInt32(truncatingIfNeeded: raw >> 24) & 0xFFFF }
    var isShared: Bool { raw & (1 << 23) != 0 }
    /// Granted by an acquire whose outcome is unknown: see ``LockModel/mayMatch(_:fence:)``.
    var isFenceUnknown: Bool { raw & (1 << 22) != 0 }
    var fence: UInt32 { UInt32(truncatingIfNeeded: raw) & 0x3F_FFFF }

    /// The grant's identity without its fence: what a same-fence companion is compared by.
    var grant: Hold { Hold(session: session, key: key, shared: isShared, fence: 0) }

    /// The same lock with a known fence.
    func withFence(_ fence: UInt32) -> Hold { Hold(session: session, key: key, shared: isShared, fence: fence) }

    static func < (lhs: Hold, rhs: Hold) -> Bool { lhs.raw < rhs.raw }
}

/// The state of the model for one conflict group.
struct ModelState: Hashable, Sendable {
    /// Every lock currently held, sorted.
    var holds: [Hold] = []
    /// One more than the interned index of the highest fence granted so far; 0 before the first grant.
    var highestFenceRank: UInt32 = 0
    /// The grants (fence field zero) that carried the highest fence, sorted: one entry may grant several
    /// waiters that can hold together, and they share its index.
    var highestFenceGrants: [Hold] = []
}

/// An interned operation of one group.
struct CompactOperation: Sendable {
    enum Action: Sendable {
        case acquire(session: UInt32, key: UInt32, shared: Bool)
        case release(session: UInt32, key: UInt32, fence: UInt32)
        case checkFence(key: UInt32, fence: UInt32)
        case endSession(session: UInt32)
        case forceUnlock(key: UInt32)
    }

    enum Outcome: Sendable {
        case granted(fence: UInt32)
        case refusedBy(session: UInt32, fence: UInt32)
        case refusedUnnamed
        case released
        case notHeld
        case fenceCurrent(Bool)
        case done
        case failed
    }

    var action: Action
    /// `nil` when the outcome is unknown.
    var outcome: Outcome?
}

/// Why the model cannot take an operation with its recorded outcome in some state.
enum Rejection: Sendable {
    /// The grant conflicts with this current lock.
    case conflictsWith(Hold)
    /// The session already holds the key in that mode with a different fence.
    case reentrantFenceDiffers(Hold)
    /// The fence is below the highest fence granted so far (rank of the highest).
    case fenceBelowHighest(highestRank: UInt32)
    /// The fence equals the highest so far (its rank given), but this earlier grant with it could not have
    /// been granted by the same entry.
    case fenceReused(by: Hold, highestRank: UInt32)
    /// A refusal named a holder that holds nothing conflicting with that fence.
    case namedHolderAbsent
    /// A release said `released`, but the session holds no lock on the key with that fence.
    case nothingToRelease
    /// An answer said `notHeld` or `fenceCurrent(false)`, but this lock is held with exactly that fence.
    case heldWithThatFence(Hold)
    /// `fenceCurrent(true)`, but no lock on the key has that fence.
    case noHolderWithThatFence
    /// `forceUnlock` said `done`, but nobody holds the key.
    case keyNotHeld
    /// `forceUnlock` said `notHeld`, but this lock is held on the key.
    case keyHeld(Hold)
    /// The outcome is not an answer this action can have.
    case answerDoesNotFit
    /// An operation of unknown outcome would change nothing here (so leaving it out is the same).
    case noEffect
}

/// The result of one model step.
enum StepResult: Sendable {
    case next(ModelState)
    case rejected(Rejection)
}

/// The lock model over the keys of one group (DESIGN.md §5, docs/locktable.md, docs/history.md).
struct LockModel: Sendable {
    let keyCount: Int
    /// `overlap[a * keyCount + b]`: one of the keys covers the other.
    let overlap: [Bool]
    /// For each interned fence, the locks (fence field zero) that completed grants of the group carry it for.
    let fenceOwners: [[Hold]]

    init(keys: [LockKey], fenceOwners: [[Hold]]) {
        self.fenceOwners = fenceOwners
        keyCount = keys.count
        var overlap = [Bool](repeating: false, count: keys.count * keys.count)
        for a in keys.indices {
            for b in keys.indices { overlap[a * keys.count + b] = keys[a].overlaps(keys[b]) }
        }
        self.overlap = overlap
    }

    func overlaps(_ a: UInt32, _ b: UInt32) -> Bool { overlap[Int(a) * keyCount + Int(b)] }

    /// Whether `hold` conflicts with a request: overlapping keys, not both shared, and not the same session
    /// asking again for the same key in the same mode (reentrancy).
    func conflicts(_ hold: Hold, session: UInt32, key: UInt32, shared: Bool) -> Bool {
        guard overlaps(hold.key, key), !(hold.isShared && shared) else { return false }
        return !(hold.session == session && hold.key == key && hold.isShared == shared)
    }

    /// Whether two grants may carry the same fence: one entry may grant several waiters at once, which then
    /// hold together, so they must be different locks that do not conflict.
    func mayShareFence(_ a: Hold, _ b: Hold) -> Bool {
        if a.session == b.session && a.key == b.key { return false }
        return !overlaps(a.key, b.key) || (a.isShared && b.isShared)
    }

    /// Whether an observation naming `fence` can be about `hold`.
    ///
    /// A lock of unknown fence may have any fence but one that a completed grant of the group carries for a
    /// lock that could not have been granted by the same entry: one entry's grants all hold together, and a
    /// reentrant repeat of the same lock returns that lock's own fence.
    func mayMatch(_ hold: Hold, fence: UInt32) -> Bool {
        guard hold.isFenceUnknown else { return hold.fence == fence }
        let lock = hold.grant
        return fenceOwners[Int(fence)].allSatisfy { $0 == lock || mayShareFence($0, lock) }
    }

    /// Applies `operation` with its recorded outcome, or (outcome unknown) with its one effectful outcome.
    func step(_ state: ModelState, _ operation: CompactOperation) -> StepResult {
        guard let outcome = operation.outcome else { return stepUnknown(state, operation.action) }
        switch (operation.action, outcome) {
        case (_, .failed):
            return .next(state)
        case let (.acquire(session, key, shared), .granted(fence)):
            return grant(state, session: session, key: key, shared: shared, fence: fence)
        case let (.acquire(session, key, shared), .refusedBy(holder, fence)):
            let named = state.holds.contains {
                $0.session == holder && mayMatch($0, fence: fence)
                    && conflicts($0, session: session, key: key, shared: shared)
            }
            return named ? .next(state) : .rejected(.namedHolderAbsent)
        case (.acquire, .refusedUnnamed):
            return .next(state)
        case let (.release(session, key, fence), .released):
            return release(state, session: session, key: key, fence: fence) ?? .rejected(.nothingToRelease)
        case let (.release(session, key, fence), .notHeld):
            let held = state.holds.first {
                $0.session == session && $0.key == key && $0.fence == fence && !$0.isFenceUnknown
            }
            return held.map { .rejected(.heldWithThatFence($0)) } ?? .next(state)
        case let (.checkFence(key, fence), .fenceCurrent(current)):
            return checkFence(state, key: key, fence: fence, current: current)
        case let (.endSession(session), .done):
            return .next(removing(state) { $0.session == session })
        case let (.forceUnlock(key), .done):
            return forceUnlock(state, key: key) ?? .rejected(.keyNotHeld)
        case let (.forceUnlock(key), .notHeld):
            let held = state.holds.first { $0.key == key }
            return held.map { .rejected(.keyHeld($0)) } ?? .next(state)
        default:
            return .rejected(.answerDoesNotFit)
        }
    }

    /// An operation whose outcome is unknown, taken with the one outcome that changes something: a grant with
    /// an unknown fence, a release, an end of session, a force-unlock. Its other outcomes leave the state as
    /// it is, which the search gets by leaving the operation out, so they are not offered.
    private func stepUnknown(_ state: ModelState, _ action: CompactOperation.Action) -> StepResult {
        switch action {
        case let .acquire(session, key, shared):
            if state.holds.contains(where: { $0.session == session && $0.key == key }) { return .rejected(.noEffect) }
            if let holder = state.holds.first(where: { conflicts($0, session: session, key: key, shared: shared) }) {
                return .rejected(.conflictsWith(holder))
            }
            var next = state
            next.holds.insertSorted(Hold(session: session, key: key, shared: shared, fence: 0, fenceUnknown: true))
            return .next(next)
        case let .release(session, key, fence):
            return release(state, session: session, key: key, fence: fence) ?? .rejected(.noEffect)
        case let .endSession(session):
            guard state.holds.contains(where: { $0.session == session }) else { return .rejected(.noEffect) }
            return .next(removing(state) { $0.session == session })
        case let .forceUnlock(key):
            return forceUnlock(state, key: key) ?? .rejected(.noEffect)
        case .checkFence:
            return .rejected(.noEffect)
        }
    }

    private func grant(_ state: ModelState, session: UInt32, key: UInt32, shared: Bool, fence: UInt32) -> StepResult {
        if let own = state.holds.first(where: { $0.session == session && $0.key == key }) {
            guard own.isShared == shared else { return .rejected(.conflictsWith(own)) }
            guard mayMatch(own, fence: fence) else { return .rejected(.reentrantFenceDiffers(own)) }
            guard own.isFenceUnknown else { return .next(state) }
            // The repeat returns the fence the acquire of unknown outcome was granted: now it is known.
            var next = state
            next.holds = next.holds.map { $0 == own ? own.withFence(fence) : $0 }
            return .next(next)
        }
        if let holder = state.holds.first(where: { conflicts($0, session: session, key: key, shared: shared) }) {
            return .rejected(.conflictsWith(holder))
        }
        var next = state
        let grant = Hold(session: session, key: key, shared: shared, fence: 0)
        let rank = fence + 1
        if rank < state.highestFenceRank { return .rejected(.fenceBelowHighest(highestRank: state.highestFenceRank)) }
        if rank == state.highestFenceRank {
            if let earlier = state.highestFenceGrants.first(where: { !mayShareFence($0, grant) }) {
                return .rejected(.fenceReused(by: earlier, highestRank: rank))
            }
            next.highestFenceGrants.insertSorted(grant)
        } else {
            next.highestFenceRank = rank
            next.highestFenceGrants = [grant]
        }
        next.holds.insertSorted(Hold(session: session, key: key, shared: shared, fence: fence))
        return .next(next)
    }

    private func release(_ state: ModelState, session: UInt32, key: UInt32, fence: UInt32) -> StepResult? {
        guard
            let index = state.holds.firstIndex(where: {
                $0.session == session && $0.key == key && mayMatch($0, fence: fence)
            })
        else { return nil }
        var next = state
        next.holds.remove(at: index)
        return .next(next)
    }

    private func checkFence(_ state: ModelState, key: UInt32, fence: UInt32, current: Bool) -> StepResult {
        if current {
            let found = state.holds.contains { $0.key == key && mayMatch($0, fence: fence) }
            return found ? .next(state) : .rejected(.noHolderWithThatFence)
        }
        let held = state.holds.first { $0.key == key && $0.fence == fence && !$0.isFenceUnknown }
        return held.map { .rejected(.heldWithThatFence($0)) } ?? .next(state)
    }

    private func forceUnlock(_ state: ModelState, key: UInt32) -> StepResult? {
        guard state.holds.contains(where: { $0.key == key }) else { return nil }
        return .next(removing(state) { $0.key == key })
    }

    private func removing(_ state: ModelState, where shouldRemove: (Hold) -> Bool) -> ModelState {
        var next = state
        next.holds.removeAll(where: shouldRemove)
        return next
    }
}

extension Array where Element == Hold {
    /// Inserts keeping the array sorted.
    mutating func insertSorted(_ hold: Hold) {
        let index = firstIndex { $0 > hold } ?? endIndex
        insert(hold, at: index)
    }
}

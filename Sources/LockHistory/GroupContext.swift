import PadlockTypes

/// One conflict group ready for the search: its sessions, keys and fences interned (fences in order), its
/// operations in compact form, and the tables that turn model states back into words.
struct GroupContext: Sendable {
    let keys: [LockKey]
    let sessions: [SessionID]
    let fences: [FenceToken]
    let model: LockModel
    /// The operations the search places, ordered by invoke instant and then id. An unknown-outcome
    /// `checkFence` is left out: whatever it saw, it changed nothing.
    let sourceOperations: [LockOperation]
    /// The compact form of each operation in `sourceOperations`.
    let operations: [CompactOperation]

    init(group: ConflictGroup, history: [LockOperation]) {
        let sources = group.operations.filter {
            if case .checkFence = history[$0].action { return history[$0].outcome != nil }
            return true
        }
        var sessions: Set<SessionID> = []
        var fences: Set<FenceToken> = []
        for index in sources {
            let operation = history[index]
            if let session = operation.action.session { sessions.insert(session) }
            switch operation.action {
            case let .release(_, _, fence), let .checkFence(_, fence): fences.insert(fence)
            default: break
            }
            switch operation.outcome {
            case let .granted(fence): fences.insert(fence)
            case let .refused(holder?): sessions.insert(holder.session); fences.insert(holder.fence)
            default: break
            }
        }
        precondition(
            group.keys.count < Hold.keyCountMax && sessions.count < Hold.sessionCountMax
                && fences.count < Hold.fenceCountMax,
            "conflict group too large to check: \(group.keys.count) keys (at most \(Hold.keyCountMax - 1)), "
                + "\(sessions.count) sessions (at most \(Hold.sessionCountMax - 1)), "
                + "\(fences.count) fences (at most \(Hold.fenceCountMax - 1))")
        keys = group.keys
        self.sessions = sessions.sorted()
        self.fences = fences.sorted()
        sourceOperations = sources.map { history[$0] }
        let interner = Interner(keys: keys, sessions: self.sessions, fences: self.fences)
        let operations = sources.map { interner.compact(history[$0]) }
        var fenceOwners = [[Hold]](repeating: [], count: self.fences.count)
        for operation in operations {
            guard case let .acquire(session, key, shared) = operation.action,
                case let .granted(fence) = operation.outcome
            else { continue }
            let lock = Hold(session: session, key: key, shared: shared, fence: 0)
            if !fenceOwners[Int(fence)].contains(lock) { fenceOwners[Int(fence)].append(lock) }
        }
        self.operations = operations
        model = LockModel(keys: group.keys, fenceOwners: fenceOwners)
    }

    /// A model state as locks a person can read, in session and key order.
    func heldLocks(_ state: ModelState) -> [HeldLock] {
        state.holds.map {
            HeldLock(
                session: sessions[Int($0.session)], key: keys[Int($0.key)], mode: $0.isShared ? .shared : .exclusive,
                fence: $0.isFenceUnknown ? nil : fences[Int($0.fence)])
        }
    }

    /// Why the model refuses an operation, in words.
    func explain(_ rejection: Rejection) -> String {
        switch rejection {
        case let .conflictsWith(hold): "it conflicts with \(describe(hold))"
        case let .reentrantFenceDiffers(hold):
            "the session already holds the key in that mode (\(describe(hold))), so a repeat returns that fence"
        case let .fenceBelowHighest(rank):
            "\(fences[Int(rank) - 1]) has already been granted, and fences never go backwards"
        case let .fenceReused(grant, rank):
            "\(fences[Int(rank) - 1]) was already granted to \(describe(grant, withFence: false)), and the two "
                + "could not have been granted together by one entry"
        case .namedHolderAbsent: "the named holder holds no conflicting lock with that fence"
        case .nothingToRelease: "the session holds no lock on exactly that key with that fence"
        case let .heldWithThatFence(hold): "\(describe(hold)) is held"
        case .noHolderWithThatFence: "no lock on exactly that key has that fence"
        case .keyNotHeld: "nobody holds exactly that key"
        case let .keyHeld(hold): "\(describe(hold)) is held"
        case .answerDoesNotFit: "that answer does not belong to that kind of operation"
        case .noEffect: "it would change nothing"
        }
    }

    /// Words for one lock, e.g. `session-2's exclusive lock on acme/1 (fence-4)`.
    func describe(_ hold: Hold, withFence: Bool = true) -> String {
        let mode: LockMode = hold.isShared ? .shared : .exclusive
        let lock = "\(sessions[Int(hold.session)])'s \(mode) lock on \(keys[Int(hold.key)])"
        guard withFence else { return lock }
        return hold.isFenceUnknown ? "\(lock) (unknown fence)" : "\(lock) (\(fences[Int(hold.fence)]))"
    }
}

/// Maps a group's sessions, keys and fences to their small integers (binary search in sorted tables).
private struct Interner {
    let keys: [LockKey]
    let sessions: [SessionID]
    let fences: [FenceToken]

    func compact(_ operation: LockOperation) -> CompactOperation {
        let action: CompactOperation.Action
        switch operation.action {
        case let .acquire(session, key, mode):
            action = .acquire(session: index(session), key: index(key), shared: mode == .shared)
        case let .release(session, key, fence):
            action = .release(session: index(session), key: index(key), fence: index(fence))
        case let .checkFence(key, fence): action = .checkFence(key: index(key), fence: index(fence))
        case let .endSession(session): action = .endSession(session: index(session))
        case let .forceUnlock(key): action = .forceUnlock(key: index(key))
        }
        return CompactOperation(action: action, outcome: operation.outcome.map(compact))
    }

    private func compact(_ outcome: LockOutcome) -> CompactOperation.Outcome {
        switch outcome {
        case let .granted(fence): .granted(fence: index(fence))
        case let .refused(holder?): .refusedBy(session: index(holder.session), fence: index(holder.fence))
        case .refused(nil): .refusedUnnamed
        case .released: .released
        case .notHeld: .notHeld
        case let .fenceCurrent(current): .fenceCurrent(current)
        case .done: .done
        case .failed: .failed
        }
    }

    private func index(_ session: SessionID) -> UInt32 { Self.position(of: session, in: sessions) }
    private func index(_ key: LockKey) -> UInt32 { Self.position(of: key, in: keys) }
    private func index(_ fence: FenceToken) -> UInt32 { Self.position(of: fence, in: fences) }

    private static func position<Value: Comparable>(of value: Value, in sorted: [Value]) -> UInt32 {
        var (low, high) = (0, sorted.count)
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < value { low = middle + 1 } else { high = middle }
        }
        precondition(low < sorted.count && sorted[low] == value, "\(value) was not interned")
        return UInt32(low)
    }
}

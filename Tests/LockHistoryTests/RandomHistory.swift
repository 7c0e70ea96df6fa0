import LockHistory
import PadlockTypes

/// The package's seeded generator (SplitMix64, in PadlockTypes), so every randomized test replays from its seed.
typealias SeededGenerator = SplitMix64

/// The lock model written as plainly as possible, independent of the checker's compact one: it decides the
/// outcomes of generated histories.
struct ReferenceLocks {
    struct Lock: Equatable {
        var session: SessionID
        var key: LockKey
        var mode: LockMode
        var fence: FenceToken
    }

    var locks: [Lock] = []

    func conflicts(session: SessionID, key: LockKey, mode: LockMode) -> [Lock] {
        locks.filter {
            $0.key.overlaps(key) && !($0.mode == .shared && mode == .shared)
                && !($0.session == session && $0.key == key && $0.mode == mode)
        }
    }

    /// Applies `action` as the entry at `index` (which becomes the fence of a new grant).
    mutating func apply(_ action: LockAction, index: UInt64, using random: inout SeededGenerator) -> LockOutcome {
        switch action {
        case let .acquire(session, key, mode):
            if let own = locks.first(where: { $0.session == session && $0.key == key && $0.mode == mode }) {
                return .granted(own.fence)
            }
            let conflicting = conflicts(session: session, key: key, mode: mode)
            if let named = conflicting.randomElement(using: &random) {
                let unnamed = Int.random(in: 0..<10, using: &random) == 0
                return .refused(holder: unnamed ? nil : HolderRef(session: named.session, fence: named.fence))
            }
            locks.append(Lock(session: session, key: key, mode: mode, fence: FenceToken(index)))
            return .granted(FenceToken(index))
        case let .release(session, key, fence):
            guard let found = locks.firstIndex(where: { $0.session == session && $0.key == key && $0.fence == fence })
            else { return .notHeld }
            locks.remove(at: found)
            return .released
        case let .checkFence(key, fence):
            return .fenceCurrent(locks.contains { $0.key == key && $0.fence == fence })
        case let .endSession(session):
            locks.removeAll { $0.session == session }
            return .done
        case let .forceUnlock(key):
            guard locks.contains(where: { $0.key == key }) else { return .notHeld }
            locks.removeAll { $0.key == key }
            return .done
        }
    }
}

/// Histories produced by running the reference model sequentially while client processes overlap in real
/// time: every operation takes effect at a random instant inside its own window, so the order of those
/// instants is a linearization and the history is linearizable by construction.
struct RandomHistory {
    static let keys = [
        "acme/1", "acme/1/phone", "acme/1/email", "acme/2", "acme/2/phone", "globex/1", "globex/1/phone", "globex/2",
    ].map(key)
    static let namespace = key("acme")
    static let clientCount = 7

    private struct Slot {
        var process: Int
        var invoke: UInt64
        var complete: UInt64
        var instant: UInt64
    }

    private var random: SeededGenerator
    private var model = ReferenceLocks()
    private var index: UInt64 = 1_000
    private var sessionOfProcess: [SessionID]
    private var nextSession: UInt64 = 1
    private var ended: [SessionID] = []
    private var pastFences: [FenceToken] = [FenceToken(1)]

    private init(seed: UInt64) {
        random = SeededGenerator(seed: seed)
        sessionOfProcess = (0...Self.clientCount).map { SessionID(UInt64($0) + 1) }
        nextSession = UInt64(Self.clientCount) + 2
    }

    /// A linearizable history of about `operationCount` operations.
    static func generate(seed: UInt64, operationCount: Int) -> [LockOperation] {
        var generator = RandomHistory(seed: seed)
        let performed = generator.slots(operationCount: operationCount).map { generator.perform($0) }
        // Number operations by invoke instant, so ids say nothing about the order they took effect in.
        let ordered = performed.sorted { ($0.invoke, $0.process) < ($1.invoke, $1.process) }
        return ordered.enumerated().map { position, operation in
            LockOperation(
                id: position + 1, process: operation.process, invoke: operation.invoke, complete: operation.complete,
                action: operation.action, outcome: operation.outcome)
        }
    }

    /// Real-time windows for each process (process 0 is an administrator), one after another per process,
    /// ordered by the instant at which each takes effect.
    private mutating func slots(operationCount: Int) -> [Slot] {
        var slots: [Slot] = []
        for process in 0...Self.clientCount {
            var time = UInt64.random(in: 0...50, using: &random)
            for _ in 0..<(operationCount / (Self.clientCount + 1)) {
                let long = Int.random(in: 0..<20, using: &random) == 0
                let duration =
                    long ? UInt64.random(in: 100...400, using: &random) : UInt64.random(in: 1...40, using: &random)
                let instant = time + UInt64.random(in: 0...duration, using: &random)
                slots.append(Slot(process: process, invoke: time, complete: time + duration, instant: instant))
                time += duration + UInt64.random(in: 0...20, using: &random)
            }
        }
        return slots.sorted { ($0.instant, $0.process) < ($1.instant, $1.process) }
    }

    private mutating func perform(_ slot: Slot) -> LockOperation {
        let action = slot.process == 0 ? administratorAction() : clientAction(process: slot.process)
        let roll = Int.random(in: 0..<100, using: &random)
        if let session = action.session, ended.contains(session) || roll < 2 {
            if ended.contains(session) && sessionOfProcess[slot.process] == session {
                sessionOfProcess[slot.process] = newSession()
            }
            return operation(slot, action, .failed)
        }
        index += 1
        if roll < 6 {
            if Bool.random(using: &random) { _ = model.apply(action, index: index, using: &random) }
            return LockOperation(
                id: 0, process: slot.process, invoke: slot.invoke, complete: nil, action: action, outcome: nil)
        }
        let outcome = model.apply(action, index: index, using: &random)
        if case let .granted(fence) = outcome { pastFences.append(fence) }
        if case let .endSession(session) = action {
            ended.append(session)
            if sessionOfProcess[slot.process] == session { sessionOfProcess[slot.process] = newSession() }
        }
        return operation(slot, action, outcome)
    }

    private func operation(_ slot: Slot, _ action: LockAction, _ outcome: LockOutcome) -> LockOperation {
        LockOperation(
            id: 0, process: slot.process, invoke: slot.invoke, complete: slot.complete, action: action,
            outcome: outcome)
    }

    private mutating func newSession() -> SessionID {
        defer { nextSession += 1 }
        return SessionID(nextSession)
    }

    private mutating func randomKey() -> LockKey {
        Int.random(in: 0..<100, using: &random) == 0 ? Self.namespace : Self.keys.randomElement(using: &random)!
    }

    private mutating func clientAction(process: Int) -> LockAction {
        let session = sessionOfProcess[process]
        let own = model.locks.filter { $0.session == session }
        let roll = Int.random(in: 0..<100, using: &random)
        switch roll {
        case 0..<10 where !own.isEmpty:
            let lock = own.randomElement(using: &random)!
            return .acquire(session: session, key: lock.key, mode: lock.mode)
        case 10..<35:
            if let lock = own.randomElement(using: &random), roll < 31 {
                return .release(session: session, key: lock.key, fence: lock.fence)
            }
            return .release(session: session, key: randomKey(), fence: pastFences.randomElement(using: &random)!)
        case 35..<50: return checkFenceAction()
        case 50..<54: return .endSession(session: session)
        default:
            let mode: LockMode = Int.random(in: 0..<4, using: &random) == 0 ? .shared : .exclusive
            return .acquire(session: session, key: randomKey(), mode: mode)
        }
    }

    private mutating func administratorAction() -> LockAction {
        switch Int.random(in: 0..<10, using: &random) {
        case 0..<3: return .forceUnlock(key: randomKey())
        case 3..<5: return .endSession(session: sessionOfProcess[Int.random(in: 1...Self.clientCount, using: &random)])
        default: return checkFenceAction()
        }
    }

    private mutating func checkFenceAction() -> LockAction {
        if let lock = model.locks.randomElement(using: &random), Bool.random(using: &random) {
            return .checkFence(key: lock.key, fence: lock.fence)
        }
        return .checkFence(key: randomKey(), fence: pastFences.randomElement(using: &random)!)
    }
}

/// Changes one recorded outcome of a history into a different, plausible one.
enum Mutation {
    static func mutate(_ history: [LockOperation], using random: inout SeededGenerator) -> [LockOperation] {
        let fenceMax =
            history.compactMap { operation -> UInt64? in
                guard case let .granted(fence) = operation.outcome else { return nil }
                return fence.rawValue
            }.max() ?? 1
        let sessions = Array(Set(history.compactMap(\.action.session))).sorted()
        var candidates = history.indices.shuffled(using: &random)
        while let index = candidates.popLast() {
            let operation = history[index]
            guard let outcome = operation.outcome,
                let changed = changed(outcome, of: operation.action, fenceMax: fenceMax, sessions: sessions, &random)
            else { continue }
            var mutated = history
            mutated[index] = LockOperation(
                id: operation.id, process: operation.process, invoke: operation.invoke, complete: operation.complete,
                action: operation.action, outcome: changed)
            return mutated
        }
        return history
    }

    private static func changed(
        _ outcome: LockOutcome, of action: LockAction, fenceMax: UInt64, sessions: [SessionID],
        _ random: inout SeededGenerator
    ) -> LockOutcome? {
        let flip = Bool.random(using: &random)
        switch (action, outcome) {
        case let (_, .granted(fence)):
            if flip {
                return .granted(FenceToken(Bool.random(using: &random) ? fence.rawValue + 1 : fence.rawValue - 1))
            }
            return .refused(holder: HolderRef(session: sessions.randomElement(using: &random)!, fence: fence))
        case let (_, .refused(holder)):
            guard let holder, flip else { return .granted(FenceToken(fenceMax + 1)) }
            return .refused(holder: HolderRef(session: holder.session, fence: FenceToken(holder.fence.rawValue + 1)))
        case (.release, .released): return .notHeld
        case (.release, .notHeld): return .released
        case let (_, .fenceCurrent(current)): return .fenceCurrent(!current)
        case (.forceUnlock, .done): return .notHeld
        case (.forceUnlock, .notHeld): return .done
        default: return nil
        }
    }
}

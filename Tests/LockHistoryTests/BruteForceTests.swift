import Foundation
import LockHistory
import PadlockTypes
import Testing

/// Small random histories judged by brute force: every order of every subset of the operations of unknown
/// outcome, each such operation given every fence it could have been granted. Exact where the checker
/// approximates (a lock of unknown fence), so whenever it finds a linearization the checker must too, and
/// without operations of unknown outcome the two must agree.
@Suite struct BruteForceTests {
    static let seedCount: UInt64 = ProcessInfo.processInfo.environment["PADLOCK_LONG"] == "1" ? 40_000 : 4_000

    @Test func theCheckerAgreesWithBruteForceOnSmallHistories() {
        let checker = LinearizabilityChecker()
        var verdicts: [String: Int] = [:]
        for seed in 1...Self.seedCount {
            var random = SeededGenerator(seed: seed)
            let history = SmallHistory.generate(using: &random)
            let exact = BruteForce(history).isLinearizable()
            let report = checker.check(history)
            let hasUnknown = history.contains { $0.isOutcomeUnknown }
            verdicts["\(exact ? "linearizable" : "violation") → \(report.verdict)", default: 0] += 1
            #expect(report.verdict != .inconclusive, "seed \(seed)")
            if exact || !hasUnknown {
                let operations = history.map(\.description).joined(separator: "\n")
                let message = "seed \(seed): brute force says \(exact ? "linearizable" : "violation")\n\(operations)"
                #expect((report.verdict == .linearizable) == exact, Comment(rawValue: "\(message)\n\(report)"))
            }
        }
        // Both kinds of history must be common, or the agreement says little.
        #expect(verdicts["linearizable → linearizable", default: 0] * 5 > Int(Self.seedCount), "\(verdicts)")
        #expect(verdicts["violation → violation", default: 0] * 5 > Int(Self.seedCount), "\(verdicts)")
    }
}

/// Up to seven operations on a record, one of its fields and another record, by three sessions and an
/// administrator, with windows that overlap a lot and outcomes that are right about half of the time.
enum SmallHistory {
    static let keys = ["acme/1", "acme/1/phone", "acme/2"].map(key)
    static let fences = [2, 4, 6].map { FenceToken(UInt64($0)) }

    static func generate(using random: inout SeededGenerator) -> [LockOperation] {
        let count = Int.random(in: 2...7, using: &random)
        var model = ReferenceLocks()
        var index: UInt64 = 1
        var operations: [LockOperation] = []
        for id in 1...count {
            let invoke = UInt64.random(in: 0...30, using: &random)
            let complete = invoke + UInt64.random(in: 0...15, using: &random)
            let action = randomAction(using: &random)
            index += 2
            let truthful = model.apply(action, index: index, using: &random)
            let outcome = Bool.random(using: &random) ? truthful : randomOutcome(for: action, using: &random)
            let unknown = Int.random(in: 0..<5, using: &random) == 0
            operations.append(
                LockOperation(
                    id: id, process: id, invoke: invoke, complete: unknown ? nil : complete, action: action,
                    outcome: unknown ? nil : outcome))
        }
        return operations
    }

    private static func randomAction(using random: inout SeededGenerator) -> LockAction {
        let session = SessionID(UInt64.random(in: 1...3, using: &random))
        let key = keys.randomElement(using: &random)!
        switch Int.random(in: 0..<10, using: &random) {
        case 0..<4:
            return .acquire(session: session, key: key, mode: Bool.random(using: &random) ? .shared : .exclusive)
        case 4..<6: return .release(session: session, key: key, fence: fences.randomElement(using: &random)!)
        case 6..<8: return .checkFence(key: key, fence: fences.randomElement(using: &random)!)
        case 8: return .endSession(session: session)
        default: return .forceUnlock(key: key)
        }
    }

    private static func randomOutcome(for action: LockAction, using random: inout SeededGenerator) -> LockOutcome {
        switch action {
        case .acquire:
            if Bool.random(using: &random) { return .granted(fences.randomElement(using: &random)!) }
            let holder = HolderRef(
                session: SessionID(UInt64.random(in: 1...3, using: &random)),
                fence: fences.randomElement(using: &random)!)
            return .refused(holder: Int.random(in: 0..<4, using: &random) == 0 ? nil : holder)
        case .release: return Bool.random(using: &random) ? .released : .notHeld
        case .checkFence: return .fenceCurrent(Bool.random(using: &random))
        case .endSession: return .done
        case .forceUnlock: return Bool.random(using: &random) ? .done : .notHeld
        }
    }
}

/// The lock model of docs/history.md with every fence known, searched exhaustively. Like the checker, it
/// orders fences within each conflict group only.
struct BruteForce {
    struct Lock: Equatable {
        var session: SessionID
        var key: LockKey
        var mode: LockMode
        var fence: FenceToken
    }

    struct State {
        var locks: [Lock] = []
        /// Per conflict group: the highest fence granted and the grants that carried it.
        var highest: [LockKey: (fence: FenceToken, grants: [Lock])] = [:]
    }

    let operations: [LockOperation]
    /// Every fence an acquire of unknown outcome may have been granted: each one named, and one in between.
    let candidateFences: [FenceToken]
    /// Each key's conflict group, named by its least key.
    let groupOfKey: [LockKey: LockKey]

    init(_ operations: [LockOperation]) {
        self.operations = operations
        candidateFences = (1...7).map { FenceToken(UInt64($0)) }
        let keys = Set(operations.filter { $0.outcome != .failed }.compactMap(\.action.key)).sorted()
        var group = Dictionary(uniqueKeysWithValues: keys.map { ($0, $0) })
        var changed = true
        while changed {
            changed = false
            for a in keys {
                for b in keys where a.overlaps(b) && group[b]! < group[a]! {
                    group[a] = group[b]!
                    changed = true
                }
            }
        }
        groupOfKey = group
    }

    func isLinearizable() -> Bool {
        var placed = [Bool](repeating: false, count: operations.count)
        return search(State(), &placed)
    }

    private func search(_ state: State, _ placed: inout [Bool]) -> Bool {
        let open = operations.indices.filter { !placed[$0] }
        if open.allSatisfy({ operations[$0].isOutcomeUnknown }) { return true }
        for index in open where isEligible(index, placed) {
            for next in successors(of: state, operations[index]) {
                placed[index] = true
                defer { placed[index] = false }
                if search(next, &placed) { return true }
            }
        }
        return false
    }

    /// No unplaced operation completed before this one was invoked.
    private func isEligible(_ index: Int, _ placed: [Bool]) -> Bool {
        operations.indices.allSatisfy { other in
            placed[other] || operations[other].complete.map { $0 >= operations[index].invoke } ?? true
        }
    }

    private func successors(of state: State, _ operation: LockOperation) -> [State] {
        if let outcome = operation.outcome { return apply(state, operation.action, outcome).map { [$0] } ?? [] }
        switch operation.action {
        case .acquire: return candidateFences.compactMap { apply(state, operation.action, .granted($0)) }
        case .release: return apply(state, operation.action, .released).map { [$0] } ?? []
        case .forceUnlock: return apply(state, operation.action, .done).map { [$0] } ?? []
        case .endSession: return apply(state, operation.action, .done).map { [$0] } ?? []
        case .checkFence: return []
        }
    }

    private func conflicts(_ lock: Lock, _ session: SessionID, _ key: LockKey, _ mode: LockMode) -> Bool {
        lock.key.overlaps(key) && !(lock.mode == .shared && mode == .shared)
            && !(lock.session == session && lock.key == key && lock.mode == mode)
    }

    private func apply(_ state: State, _ action: LockAction, _ outcome: LockOutcome) -> State? {
        var next = state
        switch (action, outcome) {
        case (_, .failed): return state
        case let (.acquire(session, key, mode), .granted(fence)):
            if let own = state.locks.first(where: { $0.session == session && $0.key == key }) {
                return own.mode == mode && own.fence == fence ? state : nil
            }
            if state.locks.contains(where: { conflicts($0, session, key, mode) }) { return nil }
            let lock = Lock(session: session, key: key, mode: mode, fence: fence)
            let group = groupOfKey[key]!
            if let highest = state.highest[group], fence < highest.fence { return nil }
            if let highest = state.highest[group], fence == highest.fence {
                let together = highest.grants.allSatisfy {
                    !($0.session == session && $0.key == key)
                        && (!$0.key.overlaps(key) || ($0.mode == .shared && mode == .shared))
                }
                if !together { return nil }
                next.highest[group]!.grants.append(lock)
            } else {
                next.highest[group] = (fence, [lock])
            }
            next.locks.append(lock)
        case let (.acquire(session, key, mode), .refused(holder)):
            guard let holder else { return state }
            let named = state.locks.contains {
                $0.session == holder.session && $0.fence == holder.fence && conflicts($0, session, key, mode)
            }
            return named ? state : nil
        case let (.release(session, key, fence), .released):
            guard
                let found = state.locks.firstIndex(where: {
                    $0.session == session && $0.key == key && $0.fence == fence
                })
            else { return nil }
            next.locks.remove(at: found)
        case let (.release(session, key, fence), .notHeld):
            return state.locks.contains { $0.session == session && $0.key == key && $0.fence == fence } ? nil : state
        case let (.checkFence(key, fence), .fenceCurrent(current)):
            return state.locks.contains { $0.key == key && $0.fence == fence } == current ? state : nil
        case let (.endSession(session), .done):
            next.locks.removeAll { $0.session == session }
        case let (.forceUnlock(key), .done):
            guard state.locks.contains(where: { $0.key == key }) else { return nil }
            next.locks.removeAll { $0.key == key }
        case let (.forceUnlock(key), .notHeld):
            return state.locks.contains { $0.key == key } ? nil : state
        default: return nil
        }
        return next
    }
}

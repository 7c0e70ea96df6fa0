import Foundation
import LockTable
import PadlockTypes
import Testing

/// Random runs against the naive reference model. `PADLOCK_LONG=1` runs many more seeds and commands.
@Suite struct RandomizedTests {
    static let long = ProcessInfo.processInfo.environment["PADLOCK_LONG"] == "1"
    static let seeds: [UInt64] = long ? Array(1...40) : [11, 22, 33, 44, 55]
    static let commandsPerSeed = long ? 100_000 : 20_000

    @Test(arguments: seeds)
    func tableGivesTheSameAnswersAndEventsAsTheNaiveModel(seed: UInt64) throws {
        var run = RandomRun(seed: seed)
        for step in 1...Self.commandsPerSeed {
            guard try run.step() else { return }
            if step % 97 == 0 { guard run.queriesAgree() else { return } }
        }
        #expect(run.lateOriginalsAbandoned > 10, "seed \(seed): too few requests arrived after being resolved")
        run.expectEveryHoldOutcomeHappened()
    }

    @Test(arguments: seeds)
    func aRestoredSnapshotAnswersEveryLaterCommandExactlyAsTheOriginal(seed: UInt64) throws {
        var run = RandomRun(seed: seed &+ 1_000)
        let windows = Self.commandsPerSeed / 1_000
        for _ in 0..<windows {
            var shadow = LockTable(configuration: RandomWorkload.configuration)
            try shadow.restore(from: run.table.snapshot())
            #expect(shadow.snapshot() == run.table.snapshot(), "seed \(seed): restore changed the snapshot bytes")
            for _ in 0..<1_000 {
                let (command, time) = run.workload.next(run.model)
                let index = run.table.lastAppliedIndex + 1
                let original = run.table.apply(command, at: index, time: time)
                let restored = shadow.apply(command, at: index, time: time)
                _ = run.model.apply(command, at: index, time: time)
                run.workload.noteOpened(original.result)
                guard original == restored else {
                    Issue.record("seed \(seed) entry \(index) \(command): \(original) vs restored \(restored)")
                    return
                }
            }
            #expect(
                shadow.snapshot() == run.table.snapshot(),
                "seed \(seed): snapshots diverged after the same commands")
        }
    }

    @Test(arguments: seeds)
    func fencesOfSuccessiveGrantsOfAKeyStrictlyIncrease(seed: UInt64) throws {
        var run = RandomRun(seed: seed &+ 2_000)
        var lastGrant: [LockKey: (fence: FenceToken, mode: LockMode, index: UInt64)] = [:]
        var grants = 0
        var takenOver = 0
        for _ in 1...(Self.commandsPerSeed / 2) {
            let (command, time) = run.workload.next(run.model)
            let index = run.table.lastAppliedIndex + 1
            let applied = run.table.apply(command, at: index, time: time)
            _ = run.model.apply(command, at: index, time: time)
            run.workload.noteOpened(applied.result)
            var granted = applied.events.flatMap(\.grants)
            if case let .granted(_, holder) = applied.result, holder.fence.rawValue == index,
                let key = command.grantedKey, !granted.contains(where: { $0.0 == key && $0.1 == holder })
            {
                granted.append((key, holder))
            }
            if case let .grantedKeys(fence, holders) = applied.result, fence.rawValue == index,
                case let .acquireKeys(_, keys, _, _, _, _) = command
            {
                granted += zip(keys, holders)
            }
            for case let .lockReleased(_, previous, .lost(.takenOver(taker, _))) in applied.events {
                takenOver += 1
                #expect(taker.fence > previous.fence, "seed \(seed): takeover fence \(taker.fence) ≤ \(previous.fence)")
            }
            var unique: [(LockKey, Holder)] = []
            for grant in granted where !unique.contains(where: { $0.0 == grant.0 && $0.1 == grant.1 }) {
                unique.append(grant)
            }
            for (key, holder) in unique {
                grants += 1
                for rule in run.model.rules where rule.key.overlaps(key) {
                    #expect(
                        holder.fence >= rule.fence, "seed \(seed): \(key) granted \(holder.fence) below a hold's \(rule)")
                }
                if let previous = lastGrant[key] {
                    let sameSharedBatch = previous.index == index && previous.mode == .shared && holder.mode == .shared
                    #expect(
                        holder.fence > previous.fence || sameSharedBatch,
                        "seed \(seed): \(key) fence went \(previous.fence) → \(holder.fence)")
                }
                lastGrant[key] = (holder.fence, holder.mode, index)
            }
            #expect(run.model.holdersAreMutuallyCompatible(), "seed \(seed) entry \(index): two conflicting holders")
        }
        #expect(grants > 1_000, "seed \(seed): the workload granted too little to test fences (\(grants))")
        #expect(takenOver > 50, "seed \(seed): the workload took over too few locks (\(takenOver))")
    }
}

extension Command {
    /// The key an acquire or a takeover asks for; nil for other commands.
    fileprivate var grantedKey: LockKey? {
        switch self {
        case let .acquire(_, key, _, _, _), let .takeover(_, key, _, _, _, _), let .changeMode(_, key, _, _, _, _): key
        default: nil
        }
    }
}

extension Event {
    /// The grants an event announces: a waiter's, a batch waiter's, or a mode change's new grant (a queued
    /// upgrade announces its grant twice, once as each).
    fileprivate var grants: [(LockKey, Holder)] {
        switch self {
        case let .waiterGranted(_, key, holder): [(key, holder)]
        case let .waiterGrantedKeys(_, keys, holders): Array(zip(keys, holders))
        case let .modeChanged(key, _, holder): [(key, holder)]
        default: []
        }
    }
}

/// A lock table and the reference model driven by the same random commands.
struct RandomRun {
    var table = LockTable(configuration: RandomWorkload.configuration)
    var model = ReferenceTable(configuration: RandomWorkload.configuration)
    var workload: RandomWorkload
    let seed: UInt64
    /// Requests answered `.abandoned` because a resolve settled them first.
    var lateOriginalsAbandoned = 0
    /// How often each outcome of holds, batches and mode changes happened (`outcomes(of:)`).
    var outcomes: [String: Int] = [:]

    init(seed: UInt64) {
        self.seed = seed
        workload = RandomWorkload(seed: seed)
    }

    /// Applies one command to both; false (with a recorded issue) at the first disagreement.
    mutating func step() throws -> Bool {
        let (command, time) = workload.next(model)
        let index = table.lastAppliedIndex + 1
        let actual = table.apply(command, at: index, time: time)
        let expected = model.apply(command, at: index, time: time)
        workload.noteOpened(actual.result)
        for outcome in Self.outcomes(of: actual) { outcomes[outcome, default: 0] += 1 }
        if case .abandoned = actual.result, !command.isResolve { lateOriginalsAbandoned += 1 }
        if actual != expected {
            Issue.record("seed \(seed) entry \(index) \(command):\n table: \(actual)\n model: \(expected)")
            return false
        }
        return true
    }

    /// Compares every query over the key pool; false (with a recorded issue) at the first disagreement.
    func queriesAgree() -> Bool {
        inspectionsAgree() && sessionsCountsAndAuditAgree() && listingsAgree() && fenceChecksAgree()
            && holdListingsAgree() && dueWaitersAgree()
    }

    /// Keys nothing is ever acquired on, queried besides the pool: a leaf below a leaf, a sibling, a namespace.
    static let unusedKeys: [LockKey] = ["acme/c/1/phone/x/y", "acme/c/3", "initech"].map { try! LockKey($0) }

    private func inspectionsAgree() -> Bool {
        for key in RandomWorkload.keys + Self.unusedKeys {
            let inspection = table.inspect(key)
            let holds = model.holds.filter { $0.key == key }
            let expectedHolders = holds.map { model.holder($0) }
            let expectedDeadlines = holds.map { model.sessions[$0.session]!.deadline }
            let expectedWaiters = model.waits.filter { $0.keys.contains(key) }.map(\.request)
            let expectedDelay = model.delays.filter { $0.key.overlaps(key) }.map(\.until).max()
            guard inspection.holders.map(\.holder) == expectedHolders,
                inspection.holders.map(\.leaseDeadline) == expectedDeadlines,
                inspection.waiters.map(\.request) == expectedWaiters, inspection.lockDelayedUntil == expectedDelay
            else {
                Issue.record(
                    "seed \(seed): inspect \(key) disagrees: \(inspection) vs \(holds) \(model.waits) \(model.delays)")
                return false
            }
            for limit in [0, 1, 3, 1_000] {
                let overlapping = table.inspectOverlapping(key, limit: limit)
                guard model.overlapping(key, limit: limit).matches(overlapping) else {
                    Issue.record("seed \(seed): inspectOverlapping \(key) limit \(limit) disagrees: \(overlapping)")
                    return false
                }
            }
        }
        return true
    }

    private func sessionsCountsAndAuditAgree() -> Bool {
        let sessions = table.allSessions()
        let expected = model.sessions.keys.sorted().map { ($0, model.sessions[$0]!) }
        guard sessions.map(\.id) == expected.map(\.0),
            sessions.map(\.leaseDeadline) == expected.map(\.1.deadline),
            sessions.map(\.renewalGeneration) == expected.map(\.1.generation),
            sessions.map(\.checkpointRemainingMilliseconds) == expected.map(\.1.checkpointRemaining),
            sessions.map(\.heldLockCount) == expected.map({ id, _ in model.holds.filter { $0.session == id }.count }),
            sessions.map(\.waiterCount) == expected.map({ id, _ in model.waitEntries(of: id) })
        else {
            Issue.record("seed \(seed): sessions disagree: \(sessions)")
            return false
        }
        let counts = table.counts
        let audit = table.auditTrail(since: 0, limit: 1_000).records
        guard counts.sessions == model.sessions.count, counts.heldLocks == model.holds.count,
            counts.waiters == model.waitEntries, counts.lockDelays == model.delays.count, audit == model.audit
        else {
            Issue.record("seed \(seed): counts or audit disagree: \(counts) vs model")
            return false
        }
        return true
    }

    private func listingsAgree() -> Bool {
        for prefix in [nil, RandomWorkload.keys[1], RandomWorkload.keys[2]] {
            for owner in [nil, "alice@fe"] {
                let listed = table.list(prefix: prefix, owner: owner, limit: 1_000).locks.map(\.holder)
                // Key byte order, grant order within a key (sorting positions keeps the sort stable).
                let expected = model.holds.indices.filter { position in
                    let hold = model.holds[position]
                    return (prefix.map { $0.covers(hold.key) } ?? true)
                        && (owner.map { model.sessions[hold.session]!.owner == $0 } ?? true)
                }.sorted { left, right in
                    let (a, b) = (model.holds[left].key.string, model.holds[right].key.string)
                    return a == b ? left < right : a.utf8.lexicographicallyPrecedes(b.utf8)
                }.map { model.holder(model.holds[$0]) }
                guard listed == expected else {
                    Issue.record(
                        "seed \(seed): list \(String(describing: prefix)) \(String(describing: owner)) disagrees")
                    return false
                }
            }
        }
        return true
    }

    private func fenceChecksAgree() -> Bool {
        for hold in model.holds {
            for fence in [hold.fence, FenceToken(hold.fence.rawValue &+ 1_000_000)] {
                let expected = model.fenceCheck(hold.key, fence)
                let actual = table.checkFence(hold.key, fence)
                guard actual == expected else {
                    Issue.record("seed \(seed): fence check of \(hold.key) \(fence): \(actual) vs model \(expected)")
                    return false
                }
            }
        }
        return true
    }

    /// The waiters the leader would expire, each once (a batch stands in several queues).
    private func dueWaitersAgree() -> Bool {
        for time in [model.now, model.now.adding(milliseconds: 1_000), Timestamp(rawValue: .max)] {
            let expected = model.waits.indices.sorted { left, right in
                let (a, b) = (model.waits[left], model.waits[right])
                return (a.deadline, a.arrival) < (b.deadline, b.arrival)
            }.map { model.waits[$0] }.filter { $0.deadline <= time }.map(\.request)
            guard table.waiters(dueBy: time) == expected else {
                Issue.record("seed \(seed): waiters due by \(time): \(table.waiters(dueBy: time)) vs \(expected)")
                return false
            }
        }
        return true
    }

    private func holdListingsAgree() -> Bool {
        for prefix in [nil, RandomWorkload.keys[0], RandomWorkload.keys[1], RandomWorkload.keys[2]] {
            let listed = table.listHolds(prefix: prefix, after: nil, limit: 1_000)
            let expected = ReferenceTable.byteOrdered(model.rules.filter { prefix?.covers($0.key) ?? true })
            guard listed.holds == expected, listed.next == nil else {
                Issue.record("seed \(seed): holds under \(String(describing: prefix)): \(listed) vs model \(expected)")
                return false
            }
        }
        // Pages of two: together every hold once, in order, a key's holds never split between two pages.
        var paged: [Hold] = []
        var after: LockKey?
        repeat {
            let page = table.listHolds(prefix: nil, after: after, limit: 2)
            paged += page.holds
            after = page.next
            if let next = page.next, page.holds.last?.key != next {
                Issue.record("seed \(seed): a page of holds ends at \(String(describing: page.holds.last)), next \(next)")
                return false
            }
        } while after != nil && paged.count <= model.rules.count
        guard paged == ReferenceTable.byteOrdered(model.rules) else {
            Issue.record("seed \(seed): paged holds \(paged) vs \(ReferenceTable.byteOrdered(model.rules))")
            return false
        }
        for key in RandomWorkload.keys + Self.unusedKeys {
            let expected = ReferenceTable.byteOrdered(model.rules.filter { $0.key.overlaps(key) })
            guard table.holds(overlapping: key) == expected else {
                Issue.record("seed \(seed): holds overlapping \(key): \(table.holds(overlapping: key)) vs \(expected)")
                return false
            }
        }
        return true
    }
}

extension ReferenceTable {
    /// Mutual exclusion: no two holders of overlapping keys have incompatible modes.
    func holdersAreMutuallyCompatible() -> Bool {
        for (offset, first) in holds.enumerated() {
            for second in holds[(offset + 1)...] where first.key.overlaps(second.key) {
                if !first.mode.isCompatible(with: second.mode) { return false }
            }
        }
        return true
    }
}

extension Command {
    var isResolve: Bool {
        if case .resolve = self { true } else { false }
    }
}

extension RandomRun {
    /// Names for the outcomes of holds, batches and mode changes that the random runs must reach.
    static func outcomes(of applied: LockTable.Applied) -> [String] {
        var names: [String] = []
        switch applied.result {
        case .restricted: names.append("restricted")
        case .grantedKeys: names.append("granted batch")
        case let .holdPlaced(_, ended) where !ended.isEmpty: names.append("hold ended holders")
        case .holdPlaced: names.append("hold placed")
        case .holdsLifted: names.append("holds lifted")
        case .overloaded(.holds), .overloaded(.namespaceHolds): names.append("too many holds")
        default: break
        }
        for event in applied.events {
            switch event {
            case .waiterGrantedKeys: names.append("batch waiter granted")
            case .modeChanged(_, _, let holder): names.append(holder.mode == .exclusive ? "upgraded" : "downgraded")
            case .waiterTimedOut(_, _, .restricted): names.append("waiter refused by a new hold")
            case .waiterTimedOut(_, _, .notHeld): names.append("queued upgrade lost its lock")
            case let .waiterGranted(_, key, holder):
                let upgrade = applied.events.contains {
                    if case let .modeChanged(changed, _, new) = $0 { changed == key && new == holder } else { false }
                }
                if upgrade { names.append("queued upgrade granted") }
            case .keyChanged: names.append("other keys of a batch waiter")
            default: break
            }
        }
        return names
    }

    func expectEveryHoldOutcomeHappened() {
        let expected = [
            "restricted", "granted batch", "hold ended holders", "hold placed", "holds lifted", "too many holds",
            "batch waiter granted", "upgraded", "downgraded", "waiter refused by a new hold",
            "queued upgrade lost its lock", "other keys of a batch waiter", "queued upgrade granted",
        ]
        for name in expected {
            #expect(outcomes[name, default: 0] >= 3, "seed \(seed): '\(name)' happened \(outcomes[name, default: 0]) times")
        }
        #expect(
            model.auditedActions[.holdBypassed, default: 0] >= 3, "seed \(seed): too few grants bypassed a hold")
    }
}

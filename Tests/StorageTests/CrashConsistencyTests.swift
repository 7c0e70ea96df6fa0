import Foundation
import Testing

@testable import Storage
@testable import StorageTesting

/// Random workloads against the real store code on a simulated disk that loses power at any disk
/// operation, keeps a random prefix of unsynced writes and tears the last one at a sector boundary.
@Suite struct CrashConsistencyTests {
    /// 40 seeds by default; `PADLOCK_LONG=1` runs 2,000 and `PADLOCK_SEED=n` replays one, tracing its steps.
    static let seeds: ClosedRange<UInt64> = {
        let environment = ProcessInfo.processInfo.environment
        if let seed = environment["PADLOCK_SEED"].flatMap(UInt64.init) { return seed...seed }
        return environment["PADLOCK_LONG"] == nil ? 1...40 : 1...2000
    }()
    static let tracing = ProcessInfo.processInfo.environment["PADLOCK_SEED"] != nil

    @Test func recoveryHoldsEveryDurableCallAndNoHalfOfTheOneInFlight() throws {
        for seed in Self.seeds {
            try run(seed: seed, steps: 80)
        }
    }

    @Test func theSameSeedLeavesTheSameBytesOnTheSimulatedDisk() throws {
        for seed in UInt64(1)...5 {
            let first = try run(seed: seed, steps: 60)
            let second = try run(seed: seed, steps: 60)
            #expect(first.fileNames == second.fileNames, "seed \(seed)")
            for name in first.fileNames {
                #expect(
                    first.disk.durableContent(of: name) == second.disk.durableContent(of: name), "seed \(seed): \(name)"
                )
            }
        }
    }

    @discardableResult
    private func run(seed: UInt64, steps: Int) throws -> FaultyLogStore {
        var generator = SeededGenerator(seed: seed)
        let store = try FaultyLogStore(generator: SeededGenerator(seed: seed &* 1000), segmentSize: 4096)
        var model = Model()
        for step in 0..<steps {
            var next = model
            let operation = Operation.random(for: &next, using: &generator)
            let before = model
            operation.apply(to: &next)
            let crashPoint =
                Int.random(in: 0..<4, using: &generator) == 0 ? Int.random(in: 0...10, using: &generator) : nil
            if let crashPoint { store.crash(afterOperations: crashPoint) }
            let context = "seed \(seed) step \(step): \(operation)"
            if Self.tracing { print("\(context)\(crashPoint.map { " (crash after \($0) operations)" } ?? "")") }
            do {
                try operation.apply(to: store)
                store.disarmCrash()
                model = next
            } catch let error as StorageError where error.code == .closed {
                let what = store.crash()
                try restart(store, context: "\(context), crashed (\(what))", generator: &generator)
                let recovered = try StoreContents(store)
                guard recovered == before.contents || recovered == next.contents else {
                    Issue.record("\(context): recovered \(recovered), expected \(before.contents) or \(next.contents)")
                    return store
                }
                model = recovered == next.contents ? next : before
                model.term = next.term
                continue
            }
            if Int.random(in: 0..<8, using: &generator) == 0 {
                store.crash()
                try restart(store, context: "\(context), then a clean crash", generator: &generator)
                let recovered = try StoreContents(store)
                guard recovered == model.contents else {
                    Issue.record("\(context): after a crash recovered \(recovered), expected \(model.contents)")
                    return store
                }
            }
        }
        return store
    }

    /// Restarts `store`; sometimes power is lost again during recovery itself, and then it restarts once more.
    private func restart(_ store: FaultyLogStore, context: String, generator: inout SeededGenerator) throws {
        do {
            if Int.random(in: 0..<4, using: &generator) == 0 {
                store.crash(afterOperations: Int.random(in: 0...3, using: &generator))
                do {
                    try store.restart()
                    store.disarmCrash()
                    return
                } catch let error as StorageError where error.code == .closed {
                    store.crash()
                }
            }
            try store.restart()
        } catch {
            Issue.record("\(context): recovery failed: \(error)")
            throw error
        }
    }
}

/// One fixed workload, crashed at each of its disk operations in turn.
@Suite struct ExhaustiveCrashTests {
    @Test func aCrashAtEveryDiskOperationOfAWorkloadRecoversTheStateBeforeOrAfterTheCallInFlight() throws {
        var generator = SeededGenerator(seed: 99)
        var model = Model()
        var workload: [Operation] = []
        var models = [model]
        for _ in 0..<40 {
            let operation = Operation.random(for: &model, using: &generator)
            operation.apply(to: &model)
            workload.append(operation)
            models.append(model)
        }
        let clean = try FaultyLogStore(generator: SeededGenerator(seed: 1), segmentSize: 4096)
        let start = clean.diskOperationCount
        for operation in workload { try operation.apply(to: clean) }
        let total = clean.diskOperationCount - start
        #expect(total > 100, "the workload exercises the disk")
        for crashPoint in 0..<total {
            let store = try FaultyLogStore(generator: SeededGenerator(seed: UInt64(crashPoint)), segmentSize: 4096)
            store.crash(afterOperations: crashPoint)
            var inFlight: Int?
            for (position, operation) in workload.enumerated() {
                do {
                    try operation.apply(to: store)
                } catch let error as StorageError where error.code == .closed {
                    inFlight = position
                    break
                }
            }
            guard let inFlight else {
                Issue.record("crash point \(crashPoint) of \(total) was never reached")
                continue
            }
            store.crash()
            try store.restart()
            let recovered = try StoreContents(store)
            #expect(
                recovered == models[inFlight].contents || recovered == models[inFlight + 1].contents,
                "crash at operation \(crashPoint), during \(workload[inFlight]): recovered \(recovered)")
        }
    }
}

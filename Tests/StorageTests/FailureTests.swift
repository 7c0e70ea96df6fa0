import Glibc
import Testing

@testable import Storage
@testable import StorageTesting

/// The first failed write or sync stops the store for good: no retry, and every later call fails fast with
/// that first error.
@Suite struct FailureTests {
    /// Calls every operation of `store` and checks each throws exactly `first`.
    private func expectPoisoned(_ store: some LogStore, with first: StorageError) {
        let calls: [(String, () throws -> Void)] = [
            ("append", { try store.append(makeEntries(100...100, term: 9), hardState: nil) }),
            ("hard state", { try store.append([], hardState: StoredHardState(term: 9, vote: 1, commit: 0)) }),
            ("entries", { _ = try store.entries(from: 1, to: 2) }),
            ("term", { _ = try store.term(at: 1) }),
            (
                "save snapshot",
                { try store.saveSnapshot(StoredSnapshot(index: 1, term: 1, configuration: [], data: [])) }
            ),
            ("load snapshot", { _ = try store.loadSnapshot() }),
            ("compact", { try store.compact(upTo: 0) }),
        ]
        for (name, call) in calls {
            do {
                try call()
                Issue.record("\(name) succeeded on a poisoned store")
            } catch let error as StorageError {
                #expect(error == first, "\(name) threw \(error) instead of the first error")
            } catch {
                Issue.record("\(name) threw \(error)")
            }
        }
    }

    private func failingAppend(_ store: FaultyLogStore, size: Int = 24) throws -> StorageError {
        do {
            try store.append(makeEntries(11...12, term: 1, size: size), hardState: nil)
        } catch let error as StorageError {
            return error
        }
        Issue.record("the append did not fail")
        throw StorageError(code: .io, operation: "test")
    }

    @Test func aFailedSyncStopsTheStoreAndLaterCallsFailWithTheSameError() throws {
        let store = try FaultyLogStore(generator: SeededGenerator(seed: 3))
        try store.append(makeEntries(1...10, term: 1), hardState: nil)
        store.failNextSync(errorNumber: EIO)
        let error = try failingAppend(store)
        #expect(error.code == .io && error.errorNumber == EIO && error.operation == "fdatasync")
        #expect(error.path?.hasSuffix(".seg") == true)
        expectPoisoned(store, with: error)
    }

    @Test func aFailedWriteStopsTheStoreAndLaterCallsFailWithTheSameError() throws {
        let store = try FaultyLogStore(generator: SeededGenerator(seed: 4))
        try store.append(makeEntries(1...10, term: 1), hardState: nil)
        store.failNextWrite(errorNumber: EIO)
        let error = try failingAppend(store)
        #expect(error.code == .io && error.errorNumber == EIO && error.operation == "pwrite")
        expectPoisoned(store, with: error)
    }

    @Test func aFullDiskWhenANewSegmentIsNeededIsReportedNamingThePath() throws {
        let store = try FaultyLogStore(generator: SeededGenerator(seed: 5), segmentSize: 4096)
        try store.append(makeEntries(1...10, term: 1, size: 300), hardState: nil)
        store.failNextWrite(errorNumber: ENOSPC)
        let error = try failingAppend(store, size: 600)
        #expect(error.code == .noSpace && error.errorNumber == ENOSPC)
        #expect(error.path == "/simulated/wal-0000000000000002.seg.tmp")
        #expect(error.description.contains("no space left"))
        expectPoisoned(store, with: error)
    }

    @Test func aFailedSyncWhileSavingASnapshotStopsTheStore() throws {
        let store = try FaultyLogStore(generator: SeededGenerator(seed: 6))
        try store.append(makeEntries(1...10, term: 1), hardState: nil)
        store.failNextSync(errorNumber: EIO)
        do {
            try store.saveSnapshot(StoredSnapshot(index: 5, term: 1, configuration: [], data: [1]))
            Issue.record("the snapshot was saved despite a failed sync")
        } catch let error as StorageError {
            #expect(error.path == "/simulated/snapshot.tmp")
            expectPoisoned(store, with: error)
        }
    }

    @Test func afterAFailedSyncARestartRecoversTheBatchWholeOrNotAtAll() throws {
        for seed in UInt64(1)...30 {
            let store = try FaultyLogStore(generator: SeededGenerator(seed: seed))
            try store.append(makeEntries(1...10, term: 1), hardState: nil)
            store.failNextSync()
            _ = try? store.append(
                makeEntries(11...40, term: 1, size: 200), hardState: StoredHardState(term: 1, vote: 0, commit: 40))
            store.crash()
            try store.restart()
            let contents = try StoreContents(store)
            let whole = contents.lastIndex == 40 && contents.hardState.commit == 40
            let none = contents.lastIndex == 10 && contents.hardState == .initial
            #expect(whole || none, "seed \(seed): \(contents)")
            #expect(
                contents.entries == makeEntries(1...10, term: 1)
                    + (whole ? makeEntries(11...40, term: 1, size: 200) : []))
        }
    }
}

import Testing

@testable import Storage
@testable import StorageTesting

@Suite struct FileLogStoreTests {
    let small = FileLogStore.Options(segmentSize: 4096)

    @Test func appendedEntriesAndHardStateSurviveReopening() throws {
        let directory = try TemporaryDirectory()
        let hard = StoredHardState(term: 3, vote: 2, commit: 4)
        do {
            let store = try FileLogStore(directory: directory.path)
            try store.append(makeEntries(1...5, term: 3), hardState: hard)
        }
        let store = try FileLogStore(directory: directory.path)
        #expect(store.hardState == hard)
        #expect(store.firstIndex == 1 && store.lastIndex == 5)
        #expect(try store.entries(from: 1, to: 6) == makeEntries(1...5, term: 3))
        #expect(try store.term(at: 0) == 0)
        #expect(store.recovered.discardedTail == nil)
    }

    @Test func anAppendAtOrBeforeTheLastIndexReplacesTheConflictingSuffix() throws {
        let directory = try TemporaryDirectory()
        do {
            let store = try FileLogStore(directory: directory.path)
            try store.append(makeEntries(1...10, term: 1), hardState: nil)
            try store.append(makeEntries(6...7, term: 2), hardState: nil)
            #expect(store.lastIndex == 7)
        }
        let store = try FileLogStore(directory: directory.path)
        #expect(store.lastIndex == 7)
        #expect(try store.entries(from: 1, to: 8) == makeEntries(1...5, term: 1) + makeEntries(6...7, term: 2))
    }

    @Test func batchesCrossingManySegmentsAreAllRecovered() throws {
        let directory = try TemporaryDirectory()
        do {
            let store = try FileLogStore(directory: directory.path, options: small)
            for batch in 0..<60 {
                let first = UInt64(batch * 5 + 1)
                try store.append(
                    makeEntries(first...(first + 4), term: 1, size: 100),
                    hardState: .init(term: 1, vote: 0, commit: first))
            }
        }
        #expect(try directory.segments().count > 10)
        let store = try FileLogStore(directory: directory.path, options: small)
        #expect(store.lastIndex == 300 && store.hardState.commit == 296)
        #expect(try store.entries(from: 1, to: 301) == makeEntries(1...300, term: 1, size: 100))
    }

    @Test func aBatchLargerThanASegmentGetsASegmentOfItsOwn() throws {
        let directory = try TemporaryDirectory()
        let big = makeEntries(1...3, term: 1, size: 5000)
        do {
            let store = try FileLogStore(directory: directory.path, options: small)
            try store.append(big, hardState: nil)
        }
        let store = try FileLogStore(directory: directory.path, options: small)
        #expect(try store.entries(from: 1, to: 4) == big)
    }

    @Test func compactionDropsEntriesAndRemovesOldSegmentsButKeepsTheHardState() throws {
        let directory = try TemporaryDirectory()
        let hard = StoredHardState(term: 1, vote: 3, commit: 200)
        do {
            let store = try FileLogStore(directory: directory.path, options: small)
            try store.append(makeEntries(1...5, term: 1), hardState: hard)
            for batch in 1..<40 {
                let first = UInt64(batch * 5 + 1)
                try store.append(makeEntries(first...(first + 4), term: 1, size: 100), hardState: nil)
            }
            let before = try directory.segments().count
            try store.saveSnapshot(StoredSnapshot(index: 150, term: 1, configuration: [9], data: [1, 2, 3]))
            #expect(store.firstIndex == 1, "a matching snapshot keeps the log until it is compacted")
            try store.compact(upTo: 120)
            #expect(store.firstIndex == 121)
            #expect(try directory.segments().count < before)
        }
        let store = try FileLogStore(directory: directory.path, options: small)
        #expect(store.firstIndex == 121 && store.lastIndex == 200)
        #expect(store.hardState == hard)
        #expect(try store.term(at: 120) == 1)
        #expect(try store.loadSnapshot() == StoredSnapshot(index: 150, term: 1, configuration: [9], data: [1, 2, 3]))
        #expect(store.recovered.snapshotIndex == 150)
    }

    @Test func aSnapshotThatDoesNotMatchTheLogReplacesIt() throws {
        let directory = try TemporaryDirectory()
        do {
            let store = try FileLogStore(directory: directory.path)
            try store.append(makeEntries(1...20, term: 1), hardState: nil)
            try store.saveSnapshot(StoredSnapshot(index: 15, term: 2, configuration: [], data: [7]))
            #expect(store.firstIndex == 16 && store.lastIndex == 15)
            try store.append(makeEntries(16...17, term: 2), hardState: .init(term: 2, vote: 0, commit: 17))
        }
        let store = try FileLogStore(directory: directory.path)
        #expect(store.firstIndex == 16 && store.lastIndex == 17)
        #expect(try store.term(at: 15) == 2)
        #expect(try store.entries(from: 16, to: 18) == makeEntries(16...17, term: 2))
    }

    @Test func readsOutsideTheLogSayWhetherTheEntriesAreCompactedOrNotYetWritten() throws {
        let store = try FaultyLogStore(generator: SeededGenerator(seed: 1))
        try store.append(makeEntries(1...10, term: 1), hardState: nil)
        try store.saveSnapshot(StoredSnapshot(index: 5, term: 1, configuration: [], data: []))
        try store.compact(upTo: 5)
        #expect(throws: StorageError.self) { try store.entries(from: 3, to: 8) }
        do {
            _ = try store.entries(from: 3, to: 8)
        } catch let error as StorageError {
            #expect(error.code == .compacted)
        }
        do {
            _ = try store.entries(from: 6, to: 12)
            Issue.record("reading past the end did not throw")
        } catch let error as StorageError {
            #expect(error.code == .unavailable)
        }
        #expect(try store.term(at: 4) == nil)
        #expect(try store.term(at: 11) == nil)
        #expect(try store.entries(from: 6, to: 11).count == 5)
    }

    @Test func entriesAreReadBackFromTheSegmentsWhileTheStoreKeepsOnlyTheirPlaces() throws {
        let directory = try TemporaryDirectory()
        let store = try FileLogStore(directory: directory.path, options: small)
        for batch in 0..<40 {
            let first = UInt64(batch * 5 + 1)
            try store.append(makeEntries(first...(first + 4), term: 1, size: 100), hardState: nil)
        }
        // A suffix replaced across segments, then the log compacted: reads follow each entry's newest record.
        try store.append(makeEntries(150...160, term: 2, size: 300), hardState: .init(term: 2, vote: 1, commit: 150))
        try store.saveSnapshot(StoredSnapshot(index: 120, term: 1, configuration: [], data: [1]))
        try store.compact(upTo: 120)
        #expect(try directory.segments().count > 3)
        let expected = makeEntries(121...149, term: 1, size: 100) + makeEntries(150...160, term: 2, size: 300)
        #expect(try store.entries(from: 121, to: 161) == expected)
        #expect(try store.entries(from: 155, to: 157) == makeEntries(155...156, term: 2, size: 300))
        #expect(MemoryLayout<EntryLocation>.stride == 16, "the store keeps 16 bytes per entry in memory")
    }

    @Test func aRecordDamagedAfterRecoveryIsRefusedWhenReadBackNamingTheFileAndOffset() throws {
        let directory = try TemporaryDirectory()
        let store = try FileLogStore(directory: directory.path, options: small)
        for batch in 0..<20 {
            let first = UInt64(batch * 5 + 1)
            try store.append(makeEntries(first...(first + 4), term: 1, size: 100), hardState: nil)
        }
        let oldest = try directory.segments()[0]
        // Entry 1's record is the first in the oldest segment (offset 32); its index follows the 16-byte header.
        try directory.flipBit(in: oldest, at: 48, bit: 1)
        do {
            _ = try store.entries(from: 1, to: 6)
            Issue.record("a damaged record was read back")
        } catch let error as StorageError {
            #expect(error.code == .corruption && error.path == directory.file(oldest) && error.offset == 32)
        }
        #expect(try store.entries(from: 90, to: 101) == makeEntries(90...100, term: 1, size: 100))
    }

    @Test func aSecondStoreCannotOpenADirectoryThatIsInUse() throws {
        let directory = try TemporaryDirectory()
        let first = try FileLogStore(directory: directory.path, options: small)
        do {
            _ = try FileLogStore(directory: directory.path, options: small)
            Issue.record("a second store opened the same directory")
        } catch let error as StorageError {
            #expect(error.operation == "flock" && error.path == directory.file("LOCK"))
        }
        try first.append(makeEntries(1...1, term: 1), hardState: nil)
        _ = consume first
        #expect(try FileLogStore(directory: directory.path, options: small).lastIndex == 1)
    }
}

import Testing

@testable import Storage
@testable import StorageTesting

@Suite struct MemoryLogStoreTests {
    @Test func theMemoryStoreAnswersLikeTheFileStoreOnRandomWorkloads() throws {
        for seed in UInt64(1)...20 {
            var generator = SeededGenerator(seed: seed)
            let memory = MemoryLogStore()
            let file = try FaultyLogStore(generator: SeededGenerator(seed: seed), segmentSize: 4096)
            var model = Model()
            for step in 0..<60 {
                let operation = Operation.random(for: &model, using: &generator)
                try operation.apply(to: memory)
                try operation.apply(to: file)
                operation.apply(to: &model)
                let expected = model.contents
                #expect(try StoreContents(memory) == expected, "seed \(seed) step \(step): \(operation)")
                #expect(try StoreContents(file) == expected, "seed \(seed) step \(step): \(operation)")
            }
        }
    }

    @Test func aSnapshotFromTheLeaderReplacesTheLogAndAppendsContinueAfterIt() throws {
        let store = MemoryLogStore()
        try store.append(makeEntries(1...10, term: 1), hardState: nil)
        try store.saveSnapshot(StoredSnapshot(index: 20, term: 3, configuration: [], data: [1]))
        #expect(store.firstIndex == 21 && store.lastIndex == 20)
        #expect(try store.term(at: 20) == 3)
        try store.append(makeEntries(21...22, term: 3), hardState: StoredHardState(term: 3, vote: 2, commit: 22))
        #expect(try store.entries(from: 21, to: 23) == makeEntries(21...22, term: 3))
        #expect(store.hardState.vote == 2)
    }
}

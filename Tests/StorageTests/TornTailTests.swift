import Testing

@testable import Storage

/// A real directory whose active segment is cut at random sector boundaries after the last batch that was
/// reported durable, as a power loss during the next write would leave it.
@Suite struct TornTailTests {
    @Test func aTornLastBatchIsDiscardedAndZeroedAndEveryDurableBatchIsKept() throws {
        var generator = SeededGenerator(seed: 42)
        for round in 0..<12 {
            let directory = try TemporaryDirectory()
            var durableEnd = 0
            var tornEnd = 0
            let durable = makeEntries(1...30, term: 1, size: 50)
            do {
                let store = try FileLogStore(directory: directory.path, options: .init(segmentSize: 64 << 10))
                for batch in 0..<6 { try store.append(Array(durable[(batch * 5)..<(batch * 5 + 5)]), hardState: nil) }
                durableEnd = store.writeOffset
                try store.append(
                    makeEntries(31...50, term: 2, size: 300), hardState: StoredHardState(term: 2, vote: 1, commit: 50))
                tornEnd = store.writeOffset
            }
            let segment = try directory.segments().last!
            var bytes = try directory.read(segment)
            let boundaries = Array(stride(from: roundUp(durableEnd + 1, to: 512), to: tornEnd, by: 512))
            let cut = boundaries.randomElement(using: &generator)!
            bytes.replaceSubrange(cut..<tornEnd, with: repeatElement(0, count: tornEnd - cut))
            try directory.write(segment, bytes)

            let store = try FileLogStore(directory: directory.path, options: .init(segmentSize: 64 << 10))
            #expect(store.lastIndex == 30, "round \(round), cut at \(cut)")
            #expect(store.hardState == .initial)
            #expect(try store.entries(from: 1, to: 31) == durable)
            #expect(store.recovered.discardedTail?.offset == UInt64(durableEnd))
            #expect(try directory.read(segment)[durableEnd..<tornEnd].allSatisfy { $0 == 0 }, "the torn tail is zeroed")

            try store.append(makeEntries(31...32, term: 3), hardState: nil)
            _ = consume store
            let reopened = try FileLogStore(directory: directory.path, options: .init(segmentSize: 64 << 10))
            #expect(try reopened.entries(from: 29, to: 33) == Array(durable[28...]) + makeEntries(31...32, term: 3))
            #expect(reopened.recovered.discardedTail == nil)
        }
    }
}

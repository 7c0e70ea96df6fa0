import ArgumentParser
import Storage

extension StorageBenchmark {
    /// The memory an open `FileLogStore` holds per entry of its log: the resident growth, after
    /// `malloc_trim`, from appending `count` entries of `entrySize` bytes in batches of 16, divided by
    /// `count`. Each entry has a payload of its own, as entries coming from Raft do.
    func residentBytesPerEntry(in path: String, count: Int, entrySize: Int) throws -> Int {
        _ = trimMallocHeap(0)
        let before = TableBenchmark.residentBytes()
        let store = try FileLogStore(directory: path)
        var next: UInt64 = 1
        while next <= UInt64(count) {
            let batch = (0..<min(16, count - Int(next) + 1)).map { offset in
                let index = next + UInt64(offset)
                return StoredEntry(
                    index: index, term: 1,
                    payload: [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: entrySize))
            }
            try store.append(batch, hardState: StoredHardState(term: 1, vote: 1, commit: next))
            next += UInt64(batch.count)
        }
        _ = trimMallocHeap(0)
        let grown = TableBenchmark.residentBytes() - before
        guard store.lastIndex == UInt64(count) else {
            throw ValidationError("the memory run holds \(store.lastIndex) entries, not \(count)")
        }
        return grown / count
    }
}

extension StorageBenchmark {
    /// How long a restarting node takes to open the store at `path` and read its whole log back (recovery
    /// scans every segment; the entries are then read as `NodeRestore` reads them).
    func reopenAndReadAll(at path: String) throws -> (milliseconds: Int, entries: Int) {
        let clock = ContinuousClock()
        let start = clock.now
        let store = try FileLogStore(directory: path)
        let entries = try store.entries(from: store.firstIndex, to: store.lastIndex + 1)
        let elapsed = clock.now - start
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        return (Int(milliseconds), entries.count)
    }
}

// storage-crash-child DIRECTORY SEED
//
// Opens the FileLogStore in DIRECTORY, then appends batches until it is killed, printing one line per
// durable call to stdout (flushed), for StorageTests' process-kill test:
//
//   recovered <lastIndex> <commit>
//   durable <lastIndex> <commit>
//   snapshot <index>
//
// Entry i has term i / 64 + 1 and the payload `payload(i)`, so the parent can check every recovered entry.
// Every 40th batch it saves a snapshot at the last index and compacts to half-way there.
import Storage

#if canImport(Glibc)
    import Glibc
#endif

func payload(_ index: UInt64) -> [UInt8] {
    let length = Int(index % 97) + 1
    return (0..<length).map { UInt8(truncatingIfNeeded: index &* 31 &+ UInt64($0)) }
}

/// Writes one line straight to the file descriptor, so nothing sits in a buffer when the kill comes.
func say(_ line: String, to descriptor: Int32 = STDOUT_FILENO) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
}

func fail(_ message: String) -> Never {
    say(message, to: STDERR_FILENO)
    exit(2)
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let seed = UInt64(arguments[2]) else {
    fail("usage: storage-crash-child DIRECTORY SEED")
}

do {
    let store = try FileLogStore(directory: arguments[1], options: .init(segmentSize: 64 << 10))
    say("recovered \(store.lastIndex) \(store.hardState.commit)")
    var generator = SeededGenerator(seed: seed)
    var batches = 0
    while true {
        let count = Int.random(in: 1...24, using: &generator)
        let first = store.lastIndex + 1
        let entries = (first..<(first + UInt64(count))).map {
            StoredEntry(index: $0, term: $0 / 64 + 1, payload: payload($0))
        }
        let last = entries.last!.index
        try store.append(entries, hardState: StoredHardState(term: last / 64 + 1, vote: 1, commit: last))
        say("durable \(last) \(last)")
        batches += 1
        if batches % 40 == 0 {
            try store.saveSnapshot(
                StoredSnapshot(index: last, term: last / 64 + 1, configuration: [1, 2, 3], data: payload(last)))
            try store.compact(upTo: last / 2)
            say("snapshot \(last)")
        }
    }
} catch {
    fail("storage-crash-child: \(error)")
}

import ArgumentParser
import Foundation
import Storage

#if canImport(Glibc)
    import Glibc
#endif

/// `padlock-bench storage`: write-ahead log throughput (entries/s and syncs/s) for batch sizes 1, 16 and 256
/// with 64- and 512-byte entries, next to the raw `fdatasync` rate of the same disk measured in the same run;
/// first, the memory an open store holds per entry of its log.
struct StorageBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "storage", abstract: "WAL entries/s and syncs/s.")

    @Option(help: "Directory to measure in (default: a new directory under ./.build, or /tmp without one).")
    var dir: String?

    @Option(help: "Seconds per measurement.")
    var seconds: Double = 2

    @Option(help: "Entries (of 64 bytes) in the run that measures the memory an open store holds per entry.")
    var memoryEntries = 200_000

    func run() throws {
        guard seconds > 0 && seconds <= 600 else { throw ValidationError("--seconds must be in (0, 600]") }
        guard memoryEntries > 0 else { throw ValidationError("--memory-entries must be positive") }
        let root = try makeRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        print("storage benchmark in \(root), \(seconds) s per measurement")
        // Memory first, in a fresh process, so no memory freed by the other runs can be reused and hide cost.
        let perEntry = try residentBytesPerEntry(in: root + "/memory", count: memoryEntries, entrySize: 64)
        print("memory held by an open store: \(perEntry) bytes resident per entry (\(memoryEntries) entries of 64 B)")
        let restart = try reopenAndReadAll(at: root + "/memory")
        print("reopening that store and reading its \(restart.entries) entries back: \(restart.milliseconds) ms")
        let raw = try rawSyncRate(in: root)
        print(String(format: "raw pwrite(64 B) + fdatasync: %.0f syncs/s", raw))
        print("")
        print("| batch | entry | entries/s | syncs/s | syncs/s ÷ raw | entries/s ÷ raw |")
        print("|------:|------:|----------:|--------:|--------------:|----------------:|")
        for entrySize in [64, 512] {
            for batch in [1, 16, 256] {
                let (entries, syncs) = try walRate(
                    in: root + "/wal-\(batch)-\(entrySize)", batch: batch, entrySize: entrySize)
                print(
                    String(
                        format: "| %5d | %3d B | %9.0f | %7.0f | %13.2f | %15.1f |",
                        batch, entrySize, entries, syncs, syncs / raw, entries / raw))
            }
        }
    }

    private func makeRoot() throws -> String {
        let parent = dir ?? (FileManager.default.fileExists(atPath: ".build") ? ".build" : NSTemporaryDirectory())
        let root = parent + "/padlock-bench-storage-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        return root
    }

    /// The rate of 64-byte `pwrite` + `fdatasync` pairs at advancing offsets of a preallocated file: the
    /// floor any write-ahead log on this disk pays per sync.
    private func rawSyncRate(in root: String) throws -> Double {
        let path = root + "/raw"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ValidationError("cannot create \(path): errno \(errno)") }
        defer { close(descriptor) }
        let size = 64 << 20
        guard posix_fallocate(descriptor, 0, off_t(size)) == 0 else {
            throw ValidationError("cannot preallocate \(path)")
        }
        let record = [UInt8](repeating: 0xA5, count: 64)
        var offset = 0
        return try measure { () throws -> Int in
            let written = record.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, 64, off_t(offset)) }
            guard written == 64, fdatasync(descriptor) == 0 else {
                throw ValidationError("raw write failed: errno \(errno)")
            }
            offset = (offset + 64) % size
            return 1
        }.rate
    }

    /// Appends batches of `batch` entries of `entrySize` bytes to a fresh store; returns entries/s, syncs/s.
    private func walRate(in path: String, batch: Int, entrySize: Int) throws -> (Double, Double) {
        let store = try FileLogStore(directory: path)
        let payload = [UInt8](repeating: 0x5A, count: entrySize)
        var next: UInt64 = 1
        let result = try measure { () throws -> Int in
            let entries = (0..<batch).map { StoredEntry(index: next + UInt64($0), term: 1, payload: payload) }
            try store.append(entries, hardState: StoredHardState(term: 1, vote: 1, commit: next))
            next += UInt64(batch)
            return batch
        }
        return (result.rate, Double(result.calls) / result.elapsed)
    }

    /// Calls `body` until `seconds` have passed; `body` returns how many units it did.
    private func measure(_ body: () throws -> Int) throws -> (rate: Double, calls: Int, elapsed: Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        let deadline = start + UInt64(seconds * 1e9)
        var units = 0
        var calls = 0
        var now = start
        while now < deadline {
            units += try body()
            calls += 1
            now = DispatchTime.now().uptimeNanoseconds
        }
        let elapsed = Double(now - start) / 1e9
        return (Double(units) / elapsed, calls, elapsed)
    }
}

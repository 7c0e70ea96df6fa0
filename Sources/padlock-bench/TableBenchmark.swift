import ArgumentParser
import Glibc
import LockTable
import PadlockTypes

/// `padlock-bench table`: how fast the lock table applies acquire+release pairs on one core, and how much
/// memory a held lock costs. Targets: ≥ 500,000 pairs/s and ≤ 300 bytes per held lock.
struct TableBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "table", abstract: "Lock table apply rate and memory per held lock.")

    @Option(help: "Acquire+release pairs to apply in the throughput run.")
    var pairs = 2_000_000

    @Option(help: "Distinct record keys the throughput run cycles through.")
    var keys = 10_000

    @Option(help: "Locks held in the memory run.")
    var locks = 1_000_000

    @Option(help: "Sessions holding them.")
    var sessions = 100_000

    func validate() throws {
        guard pairs > 0, keys > 0, locks > 0, sessions > 0, locks % sessions == 0 else {
            throw ValidationError("all counts must be positive and --locks a multiple of --sessions")
        }
    }

    func run() throws {
        // Memory first, in a fresh process, so no memory freed by the other run can be reused and hide cost.
        let (memory, snapshot) = try measureMemory()
        print(
            "held locks: \(locks) in \(sessions) sessions; resident +\(memory.resident / 1_048_576) MiB: "
                + "\(memory.resident / locks) bytes/lock resident, \(memory.trimmed / locks) bytes/lock resident "
                + "after malloc_trim (target ≤ 300)")
        print(
            "snapshot of that table: \(snapshot.bytes / 1_048_576) MiB, encoded in \(snapshot.encodeMs) ms, "
                + "restored in \(snapshot.restoreMs) ms (a restarting node restores it before it serves)")
        let rate = try measureThroughput()
        print("acquire+release pairs applied: \(pairs) over \(keys) keys, \(Int(rate)) pairs/s (target ≥ 500000)")
    }

    private func measureThroughput() throws -> Double {
        var table = LockTable()
        var index: UInt64 = 1
        let time = Timestamp(rawValue: 1_000)
        guard
            case let .sessionOpened(session, _) = table.apply(
                .openSession(owner: "bench@padlock", nonce: 1, ttlMilliseconds: 60_000), at: index, time: time
            ).result
        else { throw ValidationError("the benchmark session did not open") }
        let recordKeys = try (0..<keys).map { try LockKey("acme/contacts/\($0)") }
        var sequence: UInt64 = 0
        let clock = ContinuousClock()
        let start = clock.now
        for pair in 0..<pairs {
            let key = recordKeys[pair % keys]
            index += 1
            sequence += 1
            let acquired = table.apply(
                .acquire(
                    RequestID(session: session, sequence: sequence), key: key, mode: .exclusive,
                    waitMilliseconds: 0, note: "bench"), at: index, time: time)
            guard case let .granted(fence, _) = acquired.result else {
                throw ValidationError("pair \(pair) was not granted: \(acquired.result)")
            }
            index += 1
            sequence += 1
            let released = table.apply(
                .release(RequestID(session: session, sequence: sequence), key: key, fence: fence), at: index, time: time
            )
            guard released.result == .released else { throw ValidationError("pair \(pair) was not released") }
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Double(pairs) / seconds
    }

    /// Memory added by a table holding the locks, from /proc/self/statm: as grown, and after malloc_trim.
    ///
    /// Commands are applied as encoded entries, as on a node: strings decoded from an entry are allocated
    /// at their exact size, while an interpolated string literal would carry spare capacity.
    private func measureMemory() throws -> (
        memory: (resident: Int, trimmed: Int), snapshot: (bytes: Int, encodeMs: Int, restoreMs: Int)
    ) {
        _ = trimMallocHeap(0)
        let residentBefore = Self.residentBytes()
        var table = LockTable()
        let time = Timestamp(rawValue: 1_000)
        var index: UInt64 = 0
        var ids: [SessionID] = []
        ids.reserveCapacity(sessions)
        for number in 0..<sessions {
            index += 1
            let open = Command.openSession(
                owner: "user\(number)@frontend-\(number % 8)", nonce: 1, ttlMilliseconds: 60_000)
            guard case let .sessionOpened(id, _) = table.apply(encoded: open.encode(), at: index, time: time).result
            else { throw ValidationError("session \(number) did not open") }
            ids.append(id)
        }
        for lock in 0..<locks {
            index += 1
            let request = RequestID(session: ids[lock % sessions], sequence: UInt64(lock / sessions + 1))
            let key = try LockKey("acme/contacts/\(lock)")
            let acquire = Command.acquire(request, key: key, mode: .exclusive, waitMilliseconds: 0, note: "")
            guard case .granted = table.apply(encoded: acquire.encode(), at: index, time: time).result
            else { throw ValidationError("lock \(lock) was not granted") }
        }
        ids = []
        let resident = Self.residentBytes() - residentBefore
        // The dictionaries' earlier, smaller storage is freed as they grow; glibc keeps such memory resident
        // until trimmed. malloc_trim(0) hands free pages back, so `trimmed` is what the table really occupies.
        _ = trimMallocHeap(0)
        let trimmed = Self.residentBytes() - residentBefore
        precondition(table.counts.heldLocks == locks, "the memory run holds \(table.counts.heldLocks) locks")
        let clock = ContinuousClock()
        let encodeStart = clock.now
        let bytes = table.snapshot()
        let restoreStart = clock.now
        var restored = LockTable()
        try restored.restore(from: bytes)
        let restoreEnd = clock.now
        precondition(restored.counts.heldLocks == locks, "the restored table holds \(restored.counts.heldLocks) locks")
        let milliseconds = { (duration: Duration) in
            Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
        }
        return (
            (resident, trimmed),
            (bytes.count, milliseconds(restoreStart - encodeStart), milliseconds(restoreEnd - restoreStart))
        )
    }

    /// Resident set size from /proc/self/statm (second field, in pages).
    static func residentBytes() -> Int {
        guard let file = fopen("/proc/self/statm", "r") else { return 0 }
        defer { fclose(file) }
        var size = 0
        var resident = 0
        guard readStatm(file, &size, &resident) else { return 0 }
        return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    private static func readStatm(_ file: UnsafeMutablePointer<FILE>, _ size: inout Int, _ resident: inout Int) -> Bool
    {
        var buffer = [CChar](repeating: 0, count: 128)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return false }
        let line = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let fields = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard fields.count >= 2, let total = Int(fields[0]), let rss = Int(fields[1]) else { return false }
        size = total
        resident = rss
        return true
    }
}

/// glibc's `malloc_trim`, which the Glibc module does not export (it lives in malloc.h).
@_silgen_name("malloc_trim")
func trimMallocHeap(_ pad: Int) -> Int32

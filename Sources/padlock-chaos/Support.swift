import Foundation
import PadlockTypes
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Instants every process of a run agrees on: `CLOCK_MONOTONIC` is one clock for the whole machine, so the
/// workload's children and the orchestrator stamp their events on the same line. (A node under libfaketime has
/// its own idea of the time; the harness never runs under it.)
enum Clocks {
    static func monotonicNanoseconds() -> UInt64 { read(CLOCK_MONOTONIC) }
    static func wallNanoseconds() -> UInt64 { read(CLOCK_REALTIME) }

    private static func read(_ clock: clockid_t) -> UInt64 {
        var spec = timespec()
        clock_gettime(clock, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}

/// The package's `SplitMix64` with per-participant streams: the same on every platform, so a seed always gives
/// the same schedule.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { generator.next() }

    /// An independent stream for one participant of the run.
    func derived(_ salt: UInt64) -> SeededGenerator {
        var copy = SeededGenerator(seed: generator.state ^ (salt &* 0xD6E8_FEB8_6659_FD93))
        _ = copy.next()
        return copy
    }
}

/// Parses `60s`, `500ms`, `2m` or a bare number of seconds.
func parseDuration(_ text: String) -> Duration? {
    let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60)]
    for (suffix, scale) in units where text.hasSuffix(suffix) {
        guard let value = Double(text.dropLast(suffix.count)), value >= 0 else { return nil }
        return .milliseconds(Int64(value * scale * 1000))
    }
    return Double(text).map { .milliseconds(Int64($0 * 1000)) }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Sleeps without throwing (a cancelled sleep just returns early).
func pause(_ duration: Duration) async { try? await Task.sleep(for: duration) }

/// One line of `history.jsonl` (chaos/README.md describes every field).
struct HistoryEvent: Codable, Sendable {
    struct HolderEntry: Codable, Sendable {
        var session: UInt64
        var fence: UInt64
        var mode: String
    }

    var process: String
    /// `invoke`, `ok`, `fail` or `info` (outcome unknown), as in Jepsen histories.
    var type: String
    /// `acquire`, `release`, `claim`, `write`, `read`, `inspect`, `hold-check`, `fault`, `heal`.
    var f: String
    /// Pairs an invoke with its completion within one process.
    var op: Int
    var key: String? = nil
    var mode: String? = nil
    var session: UInt64? = nil
    var fence: UInt64? = nil
    var value: Int? = nil
    var holderSession: UInt64? = nil
    var holderFence: UInt64? = nil
    var holders: [HolderEntry]? = nil
    var error: String? = nil
    /// Fault events: the fault kind and what exactly was done; on a failed acquire (other than `held`), the
    /// client's message.
    var kind: String? = nil
    var detail: String? = nil
    /// On a release: why the lock was lost (`Lock.lossReason`, see ``LossCategory``), when it was.
    var loss: String? = nil
    /// On a release: when the front end's `Lock.states` turned `.lost`, if that came before the release.
    var toldNs: UInt64? = nil
    /// On a release of a lost lock: when the front end's `Lock.states` turned `.lost`, whenever that was
    /// before the release's completion (`told_ns` only when it was before the release was sent).
    var lostNs: UInt64? = nil
    /// On an acquire: the owner label the request was made under (each front end has its own, with one
    /// session at a time), so a refused or failed acquire names its requester.
    var owner: String? = nil
    /// On a pause's `resume` line: when the process stopped and when it ran again (`CLOCK_MONOTONIC`).
    var stoppedNs: UInt64? = nil
    var resumedNs: UInt64? = nil
    var monoNs: UInt64 = 0
    var wallNs: UInt64 = 0

    enum CodingKeys: String, CodingKey {
        case process, type, f, op, key, mode, session, fence, value, holders, error, kind, detail, loss
        case owner
        case toldNs = "told_ns", lostNs = "lost_ns", stoppedNs = "stopped_ns", resumedNs = "resumed_ns"
        case holderSession = "holder_session", holderFence = "holder_fence", monoNs = "mono_ns", wallNs = "wall_ns"
    }
}

/// Appends history events to a JSONL file, one object per line, from any thread.
final class HistoryWriter: Sendable {
    private let state: Mutex<(handle: FileHandle, encoder: JSONEncoder)>

    init(path: String) throws {
        FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw ChaosError("cannot open \(path) for writing")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        state = Mutex((handle, encoder))
    }

    /// Stamps `event` with both clocks and writes it, both under the writer's lock: the lines of one file are
    /// in the order of their `mono_ns`.
    func record(_ event: HistoryEvent) {
        var event = event
        state.withLock { state in
            event.monoNs = Clocks.monotonicNanoseconds()
            event.wallNs = Clocks.wallNanoseconds()
            guard var data = try? state.encoder.encode(event) else { return }
            data.append(0x0A)
            state.handle.write(data)
        }
    }

    func close() { state.withLock { try? $0.handle.close() } }
}

/// Reads every event of the JSONL files given, in the order written per file.
func readHistory(_ paths: [String]) throws -> [HistoryEvent] {
    let decoder = JSONDecoder()
    var events: [HistoryEvent] = []
    for path in paths where FileManager.default.fileExists(atPath: path) {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for line in text.split(separator: "\n") where !line.isEmpty {
            // A child killed mid-line leaves a torn last line: skip it rather than fail the run.
            if let event = try? decoder.decode(HistoryEvent.self, from: Data(line.utf8)) { events.append(event) }
        }
    }
    return events
}

struct ChaosError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Writes `text` to standard error, unbuffered (progress lines while the run goes on).
func progress(_ text: String) {
    FileHandle.standardError.write(Data(("chaos: " + text + "\n").utf8))
}

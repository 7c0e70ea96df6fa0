import Foundation
import PadlockClient
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How a front end behaves.
struct FrontEndBehaviour: Sendable {
    var keys: Int
    /// Chance, per exclusive edit, of stopping the whole process (SIGSTOP, like a long GC pause) while holding
    /// the lock, between reading the record and writing it back. Only child front ends pause: it stops them.
    var pauseProbability: Double = 0
    var pauseSeconds: ClosedRange<Double> = 4...5.5
}

/// One simulated CRM front end: it locks a record (mostly exclusive, some field locks, some shared reads),
/// claims and reads it from the fenced store, changes it, writes it back with its fence, and releases. Every
/// step goes to the history as an invoke and a completion.
final class FrontEnd: @unchecked Sendable {
    let name: String
    let client: PadlockClient
    let store: RecordStore
    let history: HistoryWriter
    let behaviour: FrontEndBehaviour
    private var random: SeededGenerator
    private var nextOp = 0
    /// The owner label of this front end's acquires: its own, so every request names its requester.
    var owner: String { "\(name)@chaos" }

    init(
        name: String, client: PadlockClient, store: RecordStore, history: HistoryWriter, behaviour: FrontEndBehaviour,
        random: SeededGenerator
    ) {
        self.name = name
        self.client = client
        self.store = store
        self.history = history
        self.behaviour = behaviour
        self.random = random
    }

    /// Runs edits until the monotonic clock passes `deadline`.
    func run(until deadline: UInt64) async {
        while Clocks.monotonicNanoseconds() < deadline && !Task.isCancelled {
            await editOnce()
            await pause(.milliseconds(Int64.random(in: 0...15, using: &random)))
        }
    }

    private func event(_ type: String, _ f: String, _ op: Int, key: String? = nil) -> HistoryEvent {
        HistoryEvent(process: name, type: type, f: f, op: op, key: key)
    }

    private func choose() -> (key: String, record: String, part: RecordStore.Part, mode: LockMode) {
        let record = "\(Int.random(in: 1...behaviour.keys, using: &random))"
        let roll = Double.random(in: 0..<1, using: &random)
        if roll < 0.15 { return ("acme/contacts/\(record)", record, .record, .shared) }
        if roll < 0.32 {
            let part: RecordStore.Part = Bool.random(using: &random) ? .phone : .email
            return ("acme/contacts/\(record)/\(part.rawValue)", record, part, .exclusive)
        }
        return ("acme/contacts/\(record)", record, .record, .exclusive)
    }

    func editOnce() async {
        let (key, record, part, mode) = choose()
        nextOp += 1
        let op = nextOp
        var invoke = event("invoke", "acquire", op, key: key)
        invoke.mode = "\(mode)"
        invoke.owner = owner
        history.record(invoke)
        let lock: Lock
        do {
            lock = try await client.acquire(
                key, mode: mode, owner: owner, wait: .milliseconds(300), note: "chaos \(name)")
        } catch {
            history.record(acquireFailure(error, op: op, key: key, mode: mode))
            return
        }
        var granted = event("ok", "acquire", op, key: key)
        granted.mode = "\(mode)"
        granted.owner = owner
        granted.name(lock)
        history.record(granted)
        let listener = LossListener(lock)
        defer { listener.stop() }
        if mode == .shared {
            await readShared(record: record, part: part, key: key, lock: lock)
        } else {
            await edit(record: record, part: part, key: key, lock: lock)
        }
        await release(lock, key: key, listener: listener)
    }

    private func acquireFailure(_ error: PadlockError, op: Int, key: String, mode: LockMode) -> HistoryEvent {
        var answer = event("fail", "acquire", op, key: key)
        answer.mode = "\(mode)"
        answer.owner = owner
        answer.error = error.code.name
        if case .held = error.code {} else { answer.detail = error.message }
        switch error.code {
        case .held(let holders):
            // The first holder is the conflict the cluster decided on; the history records that one.
            answer.holderSession = holders.first?.session.rawValue
            answer.holderFence = holders.first?.fence.rawValue
        case .outcomeUnknown(let request):
            answer.type = "info"
            answer.session = request.session.rawValue
        case .cancelled:
            answer.type = "info"
        case .invalidArgument, .permissionDenied, .unavailable, .sessionExpired, .lockLost, .restricted: break
        }
        return answer
    }

    private func readShared(record: String, part: RecordStore.Part, key: String, lock: Lock) async {
        nextOp += 1
        history.record(event("invoke", "read", nextOp, key: key))
        var answer = event("ok", "read", nextOp, key: key)
        answer.fence = lock.fence.rawValue
        do { answer.value = try await store.read(record: record, part: part) } catch {
            answer.type = "fail"
            answer.error = "\(error)"
        }
        history.record(answer)
        await pause(.milliseconds(Int64.random(in: 0...10, using: &random)))
    }

    private func edit(record: String, part: RecordStore.Part, key: String, lock: Lock) async {
        let fence = lock.fence.rawValue
        guard
            let read = await storeWrite(
                "claim", key: key, fence: fence, value: nil,
                {
                    [store, name] op in
                    try await store.claim(record: record, part: part, fence: fence, process: name, op: op)
                })
        else { return }
        if Double.random(in: 0..<1, using: &random) < behaviour.pauseProbability {
            stopProcess(seconds: Double.random(in: behaviour.pauseSeconds, using: &random))
        } else {
            await pause(.milliseconds(Int64.random(in: 0...20, using: &random)))
        }
        // Written with the fence whatever the lock's state: a paused process does not know it was paused.
        let value = read + 1
        _ = await storeWrite(
            "write", key: key, fence: fence, value: value,
            {
                [store, name] op in
                try await store.edit(record: record, part: part, fence: fence, value: value, process: name, op: op)
            })
    }

    /// Records one store operation; returns the counter the store holds after it when it applied.
    private func storeWrite(
        _ f: String, key: String, fence: UInt64, value: Int?, _ body: (Int) async throws -> RecordStore.Outcome
    ) async -> Int? {
        nextOp += 1
        let op = nextOp
        var invoke = event("invoke", f, op, key: key)
        invoke.fence = fence
        invoke.value = value
        history.record(invoke)
        var answer = event("ok", f, op, key: key)
        answer.fence = fence
        defer { history.record(answer) }
        do {
            switch try await body(op) {
            case .applied(let stored):
                answer.value = stored
                return stored
            case .rejected(let stored):
                answer.type = "fail"
                answer.error = "rejected"
                answer.holderFence = stored
                return nil
            }
        } catch {
            answer.type = "fail"
            answer.error = "store: \(error)"
            return nil
        }
    }

    private func release(_ lock: Lock, key: String, listener: LossListener) async {
        nextOp += 1
        var invoke = event("invoke", "release", nextOp, key: key)
        invoke.name(lock)
        // Told of the loss before releasing: by the cluster's notice or the client's own lease arithmetic.
        let toldNs = listener.lostNs
        history.record(invoke)
        var answer = invoke
        defer {
            if lock.state == .lost {
                answer.loss = LossCategory.name(lock.lossReason)
                answer.toldNs = toldNs
                // When it was seen lost, also when that came while the release was on its way.
                answer.lostNs = listener.lostNs ?? Clocks.monotonicNanoseconds()
            }
            history.record(answer)
        }
        await answer.release(lock)
    }

    /// Stops this whole process for `seconds`: a shell child sends SIGCONT when the time is up. Records the
    /// plan before stopping and, once running again, when the stop and the resumption actually happened.
    private func stopProcess(seconds: Double) {
        var note = event("info", "pause", 0)
        note.value = Int(seconds * 1000)
        history.record(note)
        var resumed = event("ok", "pause", 0)
        defer { history.record(resumed) }
        let waker = Process()
        waker.executableURL = URL(fileURLWithPath: "/bin/sh")
        waker.arguments = ["-c", "sleep \(String(format: "%.3f", seconds)); kill -CONT \(getpid())"]
        guard (try? waker.run()) != nil else {
            resumed.error = "not stopped: the waker process did not start"
            return
        }
        // raise, not kill(getpid()): a process-directed SIGSTOP lets this thread run on until the group stop
        // reaches it, and it must not get into its next store transaction (holding SQLite's write lock
        // through the pause would stall every front end, which is not the fault meant here).
        let stopped = Clocks.monotonicNanoseconds()
        raise(SIGSTOP)
        let now = Clocks.monotonicNanoseconds()
        resumed.stoppedNs = stopped
        resumed.resumedNs = now
        resumed.value = Int((now - stopped) / 1_000_000)
    }
}

/// Follows one lock's `states` while it is held and notes when it turned `.lost`.
final class LossListener: Sendable {
    private final class Stamp: Sendable {
        let value = Mutex<UInt64?>(nil)
    }

    private let stamp: Stamp
    private let task: Task<Void, Never>

    init(_ lock: Lock) {
        let states = lock.states
        let stamp = Stamp()
        self.stamp = stamp
        task = Task {
            for await state in states where state == .lost {
                stamp.value.withLock { $0 = Clocks.monotonicNanoseconds() }
                return
            }
        }
    }

    /// When the lock turned `.lost` (on `CLOCK_MONOTONIC`), nil while it has not.
    var lostNs: UInt64? { stamp.value.withLock { $0 } }

    func stop() { task.cancel() }
}

/// The history's names for ``LockLossReason``s.
enum LossCategory {
    static let all = [
        "force-unlocked", "taken-over", "session-revoked", "expired", "ended-without-notice", "lease-ran-out",
        "session-ended",
    ]

    static func name(_ reason: LockLossReason?) -> String {
        switch reason {
        case .cluster(.forceUnlocked): "force-unlocked"
        case .cluster(.takenOver): "taken-over"
        case .cluster(.sessionRevoked): "session-revoked"
        case .cluster(.expired): "expired"
        case .endedWithoutNotice: "ended-without-notice"
        case .leaseRanOut: "lease-ran-out"
        case .sessionEnded: "session-ended"
        case nil: "unknown"
        }
    }

    /// Whether the reason came from the cluster's notice (an event derived from a committed entry).
    static func isNotice(_ name: String) -> Bool {
        ["force-unlocked", "taken-over", "session-revoked", "expired"].contains(name)
    }
}

import DequeModule
import Foundation
import Synchronization

/// One state of a watched key, as ``PadlockClient/watch(_:)`` and ``PadlockClient/watch(prefix:)`` yield it:
/// who holds it, who waits, whether it is under lock-delay, and the log index the cluster read it at.
///
/// Like ``Inspection``, it covers everything that conflicts with a lock on the key: holders and waiters of the
/// key itself, of its ancestors (a whole-record lock) and of its descendants (its fields).
public struct KeyState: Sendable, Hashable, CustomStringConvertible {
    /// What a user of the key would be told.
    public enum Status: Sendable, Hashable {
        /// Nobody holds the key, an ancestor or a descendant, and no lock-delay applies: an acquire would be
        /// granted (unless others wait).
        case free
        /// Someone holds the key, an ancestor or a descendant: see ``KeyState/holders``.
        case held
        /// Nobody holds it, but after a forced or expired release it is not granted again before `until`, on
        /// the leader's clock. The watch moves to ``free`` by itself once the delay is over.
        case lockDelayed(until: Date)
    }

    /// The watched key (for a prefix watch: the key at or under the prefix that this state is about).
    public let key: LockKey
    /// Free, held or lock-delayed.
    public let status: Status
    /// Every lock on the key, its ancestors and its descendants, in key order: owner, mode, fence, note and
    /// since (``Holder/sinceDate``) of each.
    public let holders: [LockInfo]
    /// Every queued acquire on the key, its ancestors and its descendants, in key order and queue order.
    public let waiters: [Waiter]
    /// Before when the key is not granted again, on the leader's clock; nil when no lock-delay applies.
    public let lockDelayedUntil: Timestamp?
    /// The cluster's log index this state describes: states of one key only move forward.
    public let index: UInt64
    /// Holds (rule locks, `docs/holds.md`) on the key, its ancestors and its descendants: a lock the holds
    /// refuse is not granted whoever holds the key. Empty from a cluster without holds.
    public let holds: [Hold]

    /// How many acquires wait for the key, an ancestor or a descendant.
    public var waiterCount: Int { waiters.count }

    /// A state from an inspection read at `index`.
    init(_ inspection: KeyInspection, index: UInt64) {
        key = inspection.key
        holders = inspection.holders
        waiters = inspection.waiters
        lockDelayedUntil = inspection.lockDelayedUntil
        holds = inspection.holds
        self.index = index
        if !inspection.holders.isEmpty {
            status = .held
        } else if let until = inspection.lockDelayedUntil {
            status = .lockDelayed(until: until.date)
        } else {
            status = .free
        }
    }

    /// Whether nobody holds or waits for it, no lock-delay applies and no hold covers it.
    var isQuiet: Bool { holders.isEmpty && waiters.isEmpty && lockDelayedUntil == nil && holds.isEmpty }

    /// The state in words, times as times of day: `acme/contacts/42: held by alice@frontend-2 (exclusive,
    /// fence 17, since 10:02:03, "editing phone"); 2 waiting; hold 'Deal closed' since 10:01:55 (stage
    /// closed-won)`.
    public var description: String {
        var text = "\(key): "
        switch status {
        case .free:
            text += "free"
        case .held:
            let named = holders.prefix(3).map { info in
                let on = info.key == key ? "" : " on \(info.key)"
                let note = info.holder.note.isEmpty ? "" : ", \"\(info.holder.note)\""
                return "\(info.holder.owner)\(on) (\(info.holder.mode), \(info.holder.fence), since "
                    + "\(Wording.timeOfDay(info.holder.sinceDate, roundingUp: false))\(note))"
            }
            let more = holders.count > 3 ? " and \(holders.count - 3) more" : ""
            text += "held by " + named.joined(separator: ", ") + more
        case .lockDelayed(let until):
            text += "lock-delayed, " + Wording.freeAgain(at: until)
        }
        if !waiters.isEmpty { text += "; \(waiters.count) waiting" }
        for hold in holds.prefix(3) {
            let on = hold.key == key ? "" : " on \(hold.key)"
            text +=
                "; hold '\(hold.rule)'\(on) since \(Wording.timeOfDay(hold.since.date, roundingUp: false)) (\(hold.reason))"
        }
        if holds.count > 3 { text += "; and \(holds.count - 3) more holds" }
        return text
    }
}

/// The states one watch stream has not handed to its consumer yet: at most one per key, the latest (a slow
/// consumer gets coalesced states, so memory is bounded by the keys that changed, at most `keyLimit`).
/// Written by the client's loop, read by the consumer's task.
final class WatchQueue: Sendable {
    private struct State {
        var order: Deque<LockKey> = []
        var pending: [LockKey: KeyState] = [:]
        var waiter: CheckedContinuation<KeyState?, any Error>?
        var finished = false
        var failure: PadlockError?
        var consumerGone = false
    }

    /// The most keys with a pending state; past it the watch ends (a consumer that far behind reads nothing
    /// useful any more).
    let keyLimit: Int
    private let state = Mutex(State())
    /// Tells the client's loop that nobody reads the stream any more; called at most once.
    private let onConsumerGone: @Sendable () -> Void

    init(keyLimit: Int, onConsumerGone: @escaping @Sendable () -> Void) {
        self.keyLimit = keyLimit
        self.onConsumerGone = onConsumerGone
    }

    /// Hands `value` to the consumer: at once when it waits, else in place of the key's pending state.
    /// Returns false when the watch has more pending keys than `keyLimit` (the caller ends it).
    func push(_ value: KeyState) -> Bool {
        let (waiter, fits) = state.withLock { state -> (CheckedContinuation<KeyState?, any Error>?, Bool) in
            guard !state.finished else { return (nil, true) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, true)
            }
            if state.pending.updateValue(value, forKey: value.key) == nil { state.order.append(value.key) }
            return (nil, state.order.count <= keyLimit)
        }
        waiter?.resume(returning: value)
        return fits
    }

    /// Ends the stream after the pending states, with `failure` when given.
    func finish(_ failure: PadlockError? = nil) {
        let waiter = state.withLock { state -> CheckedContinuation<KeyState?, any Error>? in
            guard !state.finished else { return nil }
            state.finished = true
            guard let waiter = state.waiter else {
                state.failure = failure
                return nil
            }
            state.waiter = nil
            return waiter
        }
        guard let waiter else { return }
        if let failure { waiter.resume(throwing: failure) } else { waiter.resume(returning: nil) }
    }

    /// Every state waiting, oldest key first, whether the stream ended, and its failure, without waiting: for a
    /// consumer on the client's own thread (the simulator's, through `ClientCoreDriver`).
    func drain() -> (states: [KeyState], finished: Bool, failure: PadlockError?) {
        state.withLock { state in
            var states: [KeyState] = []
            while let key = state.order.popFirst() {
                if let value = state.pending.removeValue(forKey: key) { states.append(value) }
            }
            let failure = state.failure
            state.failure = nil
            return (states, state.finished, failure)
        }
    }

    /// The next state, waiting for one; nil once the stream ended or the consuming task was cancelled.
    func next() async throws -> KeyState? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<KeyState?, any Error>) in
                let ready = state.withLock { state -> Result<KeyState?, any Error>? in
                    if let key = state.order.popFirst() { return .success(state.pending.removeValue(forKey: key)) }
                    if let failure = state.failure {
                        state.failure = nil
                        return .failure(failure)
                    }
                    if state.finished || state.consumerGone { return .success(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            consumerLeft()
        }
    }

    /// The consumer is gone (its task was cancelled, or the stream was dropped): ends the stream and tells the
    /// loop, once.
    func consumerLeft() {
        let (waiter, first) = state.withLock { state -> (CheckedContinuation<KeyState?, any Error>?, Bool) in
            let first = !state.consumerGone
            state.consumerGone = true
            state.finished = true
            defer { state.waiter = nil }
            return (state.waiter, first)
        }
        waiter?.resume(returning: nil)
        if first { onConsumerGone() }
    }
}

/// Held by a watch stream's closure only: when the stream is dropped, it tells the queue its consumer left.
final class WatchToken: Sendable {
    let queue: WatchQueue

    init(_ queue: WatchQueue) { self.queue = queue }

    deinit { queue.consumerLeft() }
}

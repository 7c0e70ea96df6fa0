import Synchronization

/// One held lock: its key, the fence to send with every write, and its lease state.
///
/// A lock belongs to the session that acquired it, and its ``release()`` goes through that session. Locks are
/// not reentrant across calls: two acquires of one key through one client are two holders, and the second is
/// refused (or waits) like any other.
public final class Lock: Sendable, CustomStringConvertible {
    /// The locked key; the lock covers its whole subtree.
    public let key: LockKey
    /// Who holds the lock: this client's session and owner label, the mode, the fence, since when, the note.
    /// An ``upgrade(wait:roles:)`` or ``downgrade()`` changes its mode, fence and since.
    public var holder: Holder { current.withLock { $0 } }
    /// The grant as it is now; replaced by a mode change.
    private let current: Mutex<Holder>
    /// The acquire's exactly-once identity (session, sequence).
    public let requestID: RequestID
    let lease: SessionLease
    /// The way back to the client's loop; nil for a core run without one (the simulator drives it directly).
    let client: ClientHandle?
    private let watchers = Mutex(Watchers())
    /// Whether a release of this lock was sent: its answer, not the end of its session, says how it ended.
    private let releaseSent = Mutex(false)

    init(key: LockKey, holder: Holder, requestID: RequestID, lease: SessionLease, client: ClientHandle?) {
        self.key = key
        current = Mutex(holder)
        self.requestID = requestID
        self.lease = lease
        self.client = client
    }

    /// The fence: send it with every write the lock protects, and let the resource refuse lower ones.
    public var fence: FenceToken { holder.fence }

    /// The lock's mode now: `.exclusive` (editing) or `.shared` (viewing); changed by ``upgrade(wait:roles:)``
    /// and ``downgrade()``.
    public var mode: LockMode { holder.mode }

    /// Takes the mode change the cluster granted: the new mode, fence and since. Called on the client's loop.
    func changed(to holder: Holder) {
        current.withLock { $0 = holder }
    }

    /// The lock's state now, computed on the client's monotonic clock; never waits for the cluster.
    public var state: LeaseState {
        if let final = watchers.withLock({ $0.final }) { return final }
        return lease.currentState
    }

    /// Why the lock was lost, once its state is ``LeaseState/lost``; nil while it is held, once released, and
    /// while a release it was given is unanswered (that answer says how it ended).
    ///
    /// With a v2 cluster the client subscribes for its sessions' events, so a force-unlock, a takeover or a
    /// revocation ends the lock at once with ``LockLossReason/cluster(_:)`` (who and why), not at the next
    /// release; see `docs/client.md`, "Events".
    public var lossReason: LockLossReason? {
        let (final, reason) = watchers.withLock { ($0.final, $0.lossReason) }
        if let reason { return reason }
        // Once a release was sent, its answer says how the lock ended (released, or lost and why).
        if final == nil && lease.currentState == .lost && !isReleasing { return .leaseRanOut }
        return nil
    }

    /// A new stream of the lock's states: the current state first, then each change (`.safe` ⇄ `.atRisk`,
    /// then `.lost` or `.released`, after which the stream finishes). Each access makes an independent stream.
    ///
    /// `.lost` comes as soon as the client learns the lock ended: an event of the cluster (force-unlock,
    /// takeover, revocation, expiry: ``lossReason`` says who and why), a resync after a reconnection, an
    /// answer of the cluster, or the lease running out on this machine's clock.
    public var states: AsyncStream<LeaseState> {
        let (stream, continuation) = AsyncStream.makeStream(of: LeaseState.self, bufferingPolicy: .bufferingNewest(8))
        let registered = watchers.withLock { watchers -> Int? in
            guard watchers.final == nil else { return nil }
            // Yielding under the lock keeps the first state ahead of any change `publish` sends.
            let current = lease.currentState
            watchers.nextID += 1
            watchers.entries[watchers.nextID] = (continuation, current)
            continuation.yield(current)
            return watchers.nextID
        }
        guard let registered else {
            continuation.yield(state)
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.watchers.withLock { $0.entries.removeValue(forKey: registered) }
        }
        return stream
    }

    /// Releases the lock through the session that acquired it.
    ///
    /// Releasing twice is harmless. A lock whose state is ``LeaseState/lost`` throws ``PadlockError/Code/lockLost``
    /// without asking the cluster. A release is not cancelled with its task: abandoning it would leave the lock
    /// held. When the deadline passes first, the library keeps releasing in the background (until done or the
    /// session ends) and this throws `outcomeUnknown` or `unavailable`.
    public func release() async throws(PadlockError) {
        guard let client else { throw PadlockError.clientClosed }
        try await client.traced(
            "release",
            attributes: { attributes in
                attributes["padlock.key"] = key.string
                attributes["padlock.fence"] = Int(clamping: fence.rawValue)
                attributes["padlock.session"] = Int(clamping: holder.session.rawValue)
            }
        ) { () throws(PadlockError) in
            switch state {
            case .released: return
            case .lost: throw lostBeforeRelease
            case .safe, .atRisk: break
            }
            try await client.perform(cancellable: false) { core, ticket, completion in
                core.release(self, ticket: ticket, completion: completion)
            }
        }
    }

    /// When the client stops believing it holds the lock (its state turns `.lost`) unless a renewal moves the
    /// lease on: what the simulator's checkers compare with the cluster's view.
    package var believedUntil: ContinuousClock.Instant { lease.nextChange(after: .atRisk) }

    /// What a release of a lost lock throws: which lock, and why it was lost when the client knows.
    var lostBeforeRelease: PadlockError {
        let why = lossReason.map { ": \($0)" } ?? ""
        return PadlockError(.lockLost, "the lock on \(key) was lost (\(fence)) before it was released\(why)")
    }

    /// The lock as `key (fence, session)`.
    public var description: String { "\(key) (\(fence), \(holder.session))" }

    /// Tells every stream the current state, if it changed. Called by the client's loop on lease transitions.
    func publish() {
        let now = lease.currentState
        let changed = watchers.withLock { watchers -> [AsyncStream<LeaseState>.Continuation] in
            guard watchers.final == nil else { return [] }
            var changed: [AsyncStream<LeaseState>.Continuation] = []
            for (id, entry) in watchers.entries where entry.last != now {
                watchers.entries[id]?.last = now
                changed.append(entry.continuation)
            }
            return changed
        }
        for continuation in changed { continuation.yield(now) }
    }

    /// Whether a release of this lock was sent (and may have been applied).
    var isReleasing: Bool { releaseSent.withLock { $0 } }

    /// Notes that a release of this lock was sent.
    func noteReleaseSent() { releaseSent.withLock { $0 = true } }

    /// Ends the lock in a terminal state (released or lost, with why) and finishes every stream. Later calls
    /// are ignored.
    @discardableResult
    func end(_ final: LeaseState, reason: LockLossReason? = nil) -> Bool {
        precondition(final.isTerminal, "a lock ends released or lost, not \(final)")
        let entries = watchers.withLock { watchers -> [AsyncStream<LeaseState>.Continuation]? in
            guard watchers.final == nil else { return nil }
            watchers.final = final
            if final == .lost { watchers.lossReason = reason ?? .endedWithoutNotice }
            defer { watchers.entries = [:] }
            return watchers.entries.values.map(\.continuation)
        }
        guard let entries else { return false }
        for continuation in entries {
            continuation.yield(final)
            continuation.finish()
        }
        return true
    }

    private struct Watchers {
        var final: LeaseState?
        var lossReason: LockLossReason?
        var nextID = 0
        var entries: [Int: (continuation: AsyncStream<LeaseState>.Continuation, last: LeaseState)] = [:]
    }
}

/// The client's own view of one session's lock lease, shared by the loop thread and the session's locks.
///
/// The deadline is the send time of the last acknowledged open or renewal, on `ContinuousClock` (monotonic,
/// and it keeps counting while the machine is suspended, as the cluster does), plus the TTL minus the drift
/// margin. It only moves later; `end()` makes it lost for good.
final class SessionLease: Sendable {
    private let clock = Mutex<(deadline: ContinuousClock.Instant, atRiskWindow: Duration, ended: Bool)>(
        (.now, .zero, false))
    /// The client environment's clock, readable from any thread.
    let now: @Sendable () -> ContinuousClock.Instant
    /// The injected `leaseIgnoresMargin` bug: how far past the deadline `.safe` is still reported (zero: none).
    private let bugSlack: Duration

    /// Starts a lease valid until `deadline`. `ignoresMargin` (the simulator's injected bug) reports `.safe`
    /// until `margin` past the deadline.
    init(
        deadline: ContinuousClock.Instant, atRiskWindow: Duration,
        clock now: @escaping @Sendable () -> ContinuousClock.Instant,
        ignoresMargin: Bool = false, margin: Duration = .zero
    ) {
        self.now = now
        bugSlack = ignoresMargin ? margin + atRiskWindow : .zero
        clock.withLock { $0 = (deadline, atRiskWindow, false) }
    }

    /// The conservative deadline.
    var deadline: ContinuousClock.Instant { clock.withLock { $0.deadline } }

    /// The state now, on the environment's clock.
    var currentState: LeaseState { state(at: now()) }

    /// The state at `now`: lost once the deadline passed or the lease ended, at risk within the window.
    func state(at now: ContinuousClock.Instant) -> LeaseState {
        let (deadline, window, ended) = clock.withLock { $0 }
        if ended { return .lost }
        if bugSlack > .zero { return now >= deadline + bugSlack ? .lost : .safe }
        if now >= deadline { return .lost }
        return now >= deadline - window ? .atRisk : .safe
    }

    /// When the state after `state` begins: the at-risk window's start, then the deadline.
    func nextChange(after state: LeaseState) -> ContinuousClock.Instant {
        let (deadline, window, _) = clock.withLock { $0 }
        if bugSlack > .zero { return deadline + bugSlack }
        return state == .safe ? deadline - window : deadline
    }

    /// Moves the deadline to `deadline` if that is later and the lease has not lapsed; a renewal acknowledged
    /// after the lease was lost does not bring it back (the locks may have been granted to others meanwhile).
    /// Returns whether the lease is still alive.
    @discardableResult
    func extend(to deadline: ContinuousClock.Instant, now: ContinuousClock.Instant) -> Bool {
        clock.withLock { state in
            guard !state.ended, now < state.deadline + bugSlack else {
                state.ended = true
                return false
            }
            state.deadline = max(state.deadline, deadline)
            return true
        }
    }

    /// Ends the lease for good.
    func end() { clock.withLock { $0.ended = true } }
}

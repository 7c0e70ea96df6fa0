import Wire

/// One session of the client's pool. Loop thread only.
///
/// The lock table keeps one answer per session (its last sequence), so a session has at most one mutating
/// request outstanding (`isBusy`): a queued acquire counts until it is answered, and a request the caller
/// gave up on counts until the library has settled it (rule 4).
final class PoolSession {
    enum State: Equatable {
        /// `openSession` is being sent.
        case opening
        /// Usable: renewed in the background.
        case open
        /// Its lease lapsed or the cluster said it ended; abandoned (never renewed or used again).
        case lost
        /// Closed by `close()`.
        case closed
    }

    /// The open's nonce, the same on every retry (the cluster dedupes opens by owner and nonce).
    let nonce: UInt64
    /// The owner label the session was opened with: only that owner's calls use it, so one owner's locks
    /// share its sessions' leases.
    let owner: String
    var state = State.opening
    var id: SessionID?
    var timings: LeaseTimings?
    var lease: SessionLease?
    private var nextSequence: UInt64 = 1
    /// Whether a mutating request of this session is outstanding or being settled.
    var isBusy = false
    /// The request that keeps it busy, so `resolve` can wait for it instead of disturbing it.
    var activeRequest: RequestID?
    /// The locks it holds, by key.
    var locks: [LockKey: Lock] = [:]
    /// The keys of the acquire outstanding or being settled on it (several for an all-or-nothing acquire).
    var reservedKeys: [LockKey] = []
    /// The key of its lock whose mode change is outstanding or being settled: a resync must not take the old
    /// fence's absence for a loss while the answer with the new fence is on its way.
    var changingMode: LockKey?
    /// Calls that must go through this session (releases of its locks), first in line when it frees.
    var dedicatedWaiters: [MutationCall] = []
    var opening: Exchange?
    /// The batch renewal in flight that includes it.
    var renewal: RenewalBatch?
    /// When its next renewal falls due (nil while one is in flight); other sessions' renewals take it along
    /// when it falls due soon enough.
    var renewalDue: ContinuousClock.Instant?
    var renewalTimer: (any ClientTimer)?
    var stateTimer: (any ClientTimer)?
    /// The state the session's locks were last told.
    var publishedState = LeaseState.safe

    init(nonce: UInt64, owner: String) {
        self.nonce = nonce
        self.owner = owner
    }

    /// Whether closing it would release nothing and disturb no call: open, idle, holding no lock.
    var isIdle: Bool { state == .open && !isBusy && locks.isEmpty && dedicatedWaiters.isEmpty && reservedKeys.isEmpty }

    /// Numbers the session's next request. Sequences strictly increase and are never reused.
    func nextRequestID() -> RequestID {
        guard let id else { preconditionFailure("a request numbered on session nonce \(nonce) before it opened") }
        defer { nextSequence += 1 }
        return RequestID(session: id, sequence: nextSequence)
    }

    /// Whether `request` is one this session numbered.
    func hasNumbered(_ request: RequestID) -> Bool { request.session == id && request.sequence < nextSequence }

    /// Whether an acquire of `key` may go through this session: it holds and waits for nothing overlapping.
    ///
    /// A session's own lock on the same key and mode would make the table answer the existing grant
    /// (reentrancy), handing one lock to two callers; keeping each session's keys disjoint also makes a
    /// leaked grant found by `inspect` unambiguous when a cancelled acquire is settled.
    func accepts(_ key: LockKey) -> Bool {
        if reservedKeys.contains(where: { $0.overlaps(key) }) { return false }
        return !locks.keys.contains { $0.overlaps(key) }
    }

    /// Whether an acquire of every one of `keys` may go through this session.
    func accepts(_ keys: [LockKey]) -> Bool { keys.allSatisfy(accepts) }

    func stopTimers() {
        renewalTimer?.cancel()
        renewalTimer = nil
        stateTimer?.cancel()
        stateTimer = nil
        renewal?.drop(self)
        renewal = nil
        renewalDue = nil
        _ = opening?.cancel()
        opening = nil
    }
}

/// How a mutating call ended, for its operation's handler.
enum MutationOutcome {
    /// A final answer from the cluster to the request `id` of `session`.
    case answered(Result<ClientResult, ClientFailure>, PoolSession, RequestID)
    /// The deadline passed (or no session could be had: `session` nil). When `mayHaveApplied`, the session is
    /// still busy and the handler must settle the request.
    case gaveUp(mayHaveApplied: Bool, problem: Problem, PoolSession?, RequestID?)
    /// The cluster refused the connection, or no session can be opened, for the reason given.
    case failed(PadlockError, PoolSession?)
    /// The caller cancelled; like `gaveUp`, the session stays busy when the request may have been applied.
    case cancelled(mayHaveApplied: Bool, PoolSession?, RequestID?)
}

extension MutationOutcome {
    /// The request the outcome is about, once it was numbered.
    var requestID: RequestID? {
        switch self {
        case .answered(_, _, let id): id
        case .gaveUp(_, _, _, let id), .cancelled(_, _, let id): id
        case .failed: nil
        }
    }
}

/// A call that changes state: it takes a session (any suitable one, or a given one), numbers one request on
/// it and sends it until answered. Loop thread only.
final class MutationCall {
    enum Phase { case waitingForSession, sending, done }

    let label: String
    /// The keys an acquire asks for (the session must hold and wait for nothing overlapping them); empty for
    /// the other calls.
    let keys: [LockKey]
    /// The owner whose session the call needs (a dedicated call's session's owner).
    let owner: String
    let dedicated: PoolSession?
    let deadline: ContinuousClock.Instant
    let attemptTimeout: Duration
    let build: (RequestID) -> ClientOperation
    /// The caller's trace context, for the exchange that sends the request.
    var trace: TraceContext?
    var phase = Phase.waitingForSession
    var session: PoolSession?
    var requestID: RequestID?
    var exchange: Exchange?
    var waitTimer: (any ClientTimer)?
    private var onOutcome: ((MutationOutcome) -> Void)?

    init(
        label: String, key: LockKey?, keys: [LockKey]? = nil, owner: String, dedicated: PoolSession?,
        deadline: ContinuousClock.Instant, attemptTimeout: Duration, build: @escaping (RequestID) -> ClientOperation,
        onOutcome: @escaping (MutationOutcome) -> Void
    ) {
        self.label = label
        self.keys = keys ?? key.map { [$0] } ?? []
        self.owner = dedicated?.owner ?? owner
        self.dedicated = dedicated
        self.deadline = deadline
        self.attemptTimeout = attemptTimeout
        self.build = build
        self.onOutcome = onOutcome
    }

    /// Hands the outcome to the handler, once.
    func finish(_ outcome: MutationOutcome) {
        phase = .done
        waitTimer?.cancel()
        waitTimer = nil
        exchange = nil
        guard let onOutcome else { return }
        self.onOutcome = nil
        onOutcome(outcome)
    }
}

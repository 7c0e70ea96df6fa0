import Wire

/// The retry, redirect and failover rules of one exchange (`docs/client.md`), as a pure state machine in
/// swift-nio's style: each input returns the actions its driver (`Exchange`) must carry out, and nothing here
/// sends, schedules, reads a clock or draws a random number. The driver owns the attempts, the timers and the
/// transport; the machine decides where the next attempt goes, when to retry, and how the exchange ends.
struct ExchangeMachine {
    /// What the driver must do, in order.
    enum Action {
        /// Send a new attempt to the endpoint at this index (and arm its attempt timer).
        case send(endpoint: Int)
        /// Send again after a full-jitter backoff for the `retry`th retry, but no sooner than `minimumDelay`;
        /// the driver lets the deadline end the exchange instead when the retry could not start before it.
        case retry(number: Int, minimumDelay: Duration)
        /// The endpoint answered as leader: leader-bound requests go there first.
        case leaderIs(endpoint: Int)
        /// The endpoint failed: if it is the cached leader, forget it.
        case leaderFailed(endpoint: Int)
        /// The exchange moved on to another endpoint (counted as a failover); `hint` when a leader hint led it.
        case failedOver(hint: String?)
        /// The exchange is over.
        case finish(ExchangeOutcome)
    }

    let kind: ExchangeKind
    /// Whether every attempt goes to one endpoint (a node's own status), without following redirects.
    let pinned: Int?
    /// Whether a final answer should make its endpoint the cached leader (not for `status`).
    let answersNameLeader: Bool
    let backoffBase: Duration
    let backoffCap: Duration
    private(set) var endpoint = 0
    private(set) var retries = 0
    private(set) var quickRedirects = 0
    private(set) var refusals: [Int: PadlockError] = [:]
    private(set) var mayHaveApplied = false
    private(set) var firstSentAt: ContinuousClock.Instant?
    private(set) var isFinished = false
    /// The last thing that went wrong so far (a retry may still succeed).
    private(set) var problem = Problem("no endpoint answered")

    init(
        kind: ExchangeKind, pinned: Int?, answersNameLeader: Bool, backoffBase: Duration, backoffCap: Duration
    ) {
        self.kind = kind
        self.pinned = pinned
        self.answersNameLeader = answersNameLeader && pinned == nil
        self.backoffBase = backoffBase
        self.backoffCap = backoffCap
    }

    /// The largest backoff of the `retry`th retry: the base doubled per retry, up to the cap.
    static func backoffBound(retry: Int, base: Duration, cap: Duration) -> Duration {
        let base = base.wholeMilliseconds
        let cap = cap.wholeMilliseconds
        return .milliseconds(Int64(min(cap, base << UInt64(min(max(retry - 1, 0), 20)))))
    }

    /// The first attempt, to `start` (the cached leader or the next endpoint in turn) unless pinned.
    mutating func start(at start: Int, endpoints: [EndpointAddress]) -> [Action] {
        endpoint = pinned ?? start
        return [sendAction(endpoints)]
    }

    /// The retry timer fired.
    mutating func retryDue(endpoints: [EndpointAddress]) -> [Action] {
        isFinished ? [] : [sendAction(endpoints)]
    }

    /// An attempt to endpoint `target` was written at `sentAt` (it may have been applied from now on).
    mutating func attemptSent(at sentAt: ContinuousClock.Instant) {
        if firstSentAt == nil { firstSentAt = sentAt }
    }

    /// The attempt to `target` ended. `hinted` is the index of the endpoint a `notLeader` hint names (the
    /// driver adds it to the transport's table), `sentAt` its send time if it was sent, `now` the time now.
    mutating func attemptEnded(
        _ outcome: AttemptOutcome, at target: Int, hinted: Int?, sentAt: ContinuousClock.Instant?,
        now: ContinuousClock.Instant, endpoints: [EndpointAddress]
    ) -> [Action] {
        if let sentAt { attemptSent(at: sentAt) }
        guard !isFinished else { return [] }
        let address = endpoints[target]
        switch outcome {
        case .answered(.failure(.notLeader(let hint))):
            // A node that loses its term answers its pending proposals `notLeader`, yet they may still commit
            // under the next leader (Node.loseLeadership): for a mutating request this answer proves nothing.
            if kind != .read { mayHaveApplied = true }
            problem = Problem(
                hint.map { "\(address) is not the leader (it names \($0.address))" }
                    ?? "\(address) is not the leader and knows no leader")
            return redirect(from: target, hinted: hinted, hint: hint?.address, endpoints: endpoints)
        case .answered(.failure(.unavailable(let reason, let retryAfter))):
            // Rule 3: the server's retry-after is a floor under the backoff (capped at a minute against nonsense).
            let floor = Duration.milliseconds(Int64(min(retryAfter, 60_000)))
            problem = Problem("\(address) is unavailable: \(reason)", retryAfter: retryAfter > 0 ? floor : nil)
            return [retry(minimumDelay: floor)]
        case .answered(.failure(.overloaded(let reason))):
            problem = Problem("\(address) is overloaded: \(reason)", retryAfter: nextBackoffBound, isOverload: true)
            return [retry(minimumDelay: .zero)]
        case .answered(let result):
            let answered = sentAt ?? now
            let finish = finish(.answered(result, sentAt: answered, firstSentAt: firstSentAt ?? answered))
            return answersNameLeader ? [.leaderIs(endpoint: target), finish] : [finish]
        case .lost(let wasSent, let reason):
            return lost(wasSent: wasSent, reason: reason, at: target, endpoints: endpoints)
        case .refused(let reason, let message):
            return refused(reason, message: message, at: target, endpoints: endpoints)
        }
    }

    /// The deadline passed; `pendingSent` says whether an attempt was sent and is still unanswered.
    mutating func deadlinePassed(pendingSent: Bool) -> [Action] {
        guard !isFinished else { return [] }
        if pendingSent && kind != .read { mayHaveApplied = true }
        return [finish(.gaveUp(mayHaveApplied: mayHaveApplied, problem: problem))]
    }

    /// The caller stopped the exchange; returns whether its request may have been applied.
    mutating func cancel(pendingSent: Bool) -> Bool {
        isFinished = true
        return mayHaveApplied || (pendingSent && kind != .read)
    }

    private var nextBackoffBound: Duration {
        Self.backoffBound(retry: retries + 1, base: backoffBase, cap: backoffCap)
    }

    private mutating func sendAction(_ endpoints: [EndpointAddress]) -> Action {
        if refusals[endpoint] != nil, let open = endpoints.indices.first(where: { refusals[$0] == nil }) {
            endpoint = open
        }
        return .send(endpoint: endpoint)
    }

    private mutating func lost(
        wasSent: Bool, reason: String, at target: Int, endpoints: [EndpointAddress]
    ) -> [Action] {
        problem = Problem(reason)
        if wasSent && kind != .read { mayHaveApplied = true }
        if wasSent && kind == .unrepeatable { return [finish(.gaveUp(mayHaveApplied: true, problem: problem))] }
        return [.leaderFailed(endpoint: target)] + failover(from: target, endpoints) + [retry(minimumDelay: .zero)]
    }

    private mutating func refused(
        _ reason: RefusalReason, message: String, at target: Int, endpoints: [EndpointAddress]
    ) -> [Action] {
        let address = endpoints[target]
        problem = Problem("\(address) refused the connection: \(message)")
        let error: PadlockError
        switch reason {
        case .overloaded:
            problem.retryAfter = nextBackoffBound
            return failover(from: target, endpoints) + [retry(minimumDelay: .zero)]
        case .badCredentials:
            error = PadlockError(.permissionDenied, "\(address) refused the credentials: \(message)")
        case .versionMismatch, .wrongCluster, .wrongRole, .notMember:
            error = .invalid("\(address) refused the handshake (\(reason)): \(message)")
        }
        refusals[target] = error
        if pinned != nil || refusals.count >= endpoints.count { return [finish(.refused(error))] }
        return failover(from: target, endpoints) + [sendAction(endpoints)]
    }

    private mutating func redirect(
        from target: Int, hinted: Int?, hint: String?, endpoints: [EndpointAddress]
    ) -> [Action] {
        guard pinned == nil else { return [retry(minimumDelay: .zero)] }
        if let hinted, hinted != target, quickRedirects < endpoints.count {
            // Following a fresh hint costs nothing; a chain of stale hints falls back to backing off.
            quickRedirects += 1
            endpoint = hinted
            return [.leaderIs(endpoint: hinted), .failedOver(hint: hint), sendAction(endpoints)]
        }
        return [.leaderFailed(endpoint: target)] + failover(from: target, endpoints) + [retry(minimumDelay: .zero)]
    }

    private mutating func failover(from target: Int, _ endpoints: [EndpointAddress]) -> [Action] {
        guard pinned == nil else { return [] }
        endpoint = (target + 1) % endpoints.count
        return [.failedOver(hint: nil)]
    }

    private mutating func retry(minimumDelay: Duration) -> Action {
        retries += 1
        return .retry(number: retries, minimumDelay: minimumDelay)
    }

    private mutating func finish(_ outcome: ExchangeOutcome) -> Action {
        isFinished = true
        return .finish(outcome)
    }
}

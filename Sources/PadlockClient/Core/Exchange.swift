import Wire

/// How an exchange may repeat its request.
enum ExchangeKind {
    /// A read, renewal or status: repeating it is harmless.
    case read
    /// Carries a request id (or an open's nonce): every retry is deduplicated by the cluster, so it is retried
    /// after a lost answer too. Tracks whether it may have been applied.
    case mutating
    /// Changes state without deduplication (membership changes): retried only when the node surely did not
    /// take it.
    case unrepeatable
}

/// How an exchange ended.
enum ExchangeOutcome {
    /// A final answer (anything but `notLeader`, `unavailable` and `overloaded`), with the send time of the
    /// attempt that was answered and of the first attempt that was sent.
    case answered(Result<ClientResult, ClientFailure>, sentAt: ContinuousClock.Instant, firstSentAt: ContinuousClock.Instant)
    /// The deadline passed. `mayHaveApplied` says whether a mutating attempt was sent and not answered in a
    /// way that proves it was not applied; `problem` is the last thing that went wrong, for the message.
    case gaveUp(mayHaveApplied: Bool, problem: Problem)
    /// Every endpoint refused the handshake (or one refused it for good); the error says why.
    case refused(PadlockError)
}

/// The last thing that went wrong in an exchange, for messages, with how long to stay away when it was an
/// overload (the cluster's retry-after hint, or the backoff bound the client would use next).
struct Problem: CustomStringConvertible {
    var text: String
    var retryAfter: Duration?

    init(_ text: String, retryAfter: Duration? = nil) {
        self.text = text
        self.retryAfter = retryAfter
    }

    /// The text, and the wait in words when there is one.
    var description: String { text + (retryAfter.map { " (retry in \(Wording.duration($0)))" } ?? "") }
}

/// One request sent until it is answered or its deadline passes: the retry, redirect and failover rules of
/// `docs/client.md` in one place. Loop thread only.
///
/// Retries: capped exponential backoff with full jitter under one overall deadline; the request is rebuilt
/// never, so every retry of a mutating request carries the same request id (rule 3). Redirects: a `notLeader`
/// hint is followed at once when it names another endpoint; otherwise the next endpoint is tried (rule 2).
final class Exchange {
    let operation: ClientOperation
    let kind: ExchangeKind
    let deadline: ContinuousClock.Instant
    let attemptTimeout: Duration
    /// The caller's trace context, sent with every attempt (nil without a tracer).
    var trace: TraceContext?
    private let transport: Transport
    private let pinned: Int?
    private let label: String
    private var completion: ((ExchangeOutcome) -> Void)?
    private var attempt: Attempt?
    private var attemptTimer: (any ClientTimer)?
    private var retryTimer: (any ClientTimer)?
    private var deadlineTimer: (any ClientTimer)?
    private var endpoint = 0
    private var retries = 0
    private var quickRedirects = 0
    private var refusals: [Int: PadlockError] = [:]
    private(set) var mayHaveApplied = false
    private(set) var firstSentAt: ContinuousClock.Instant?
    /// The last thing that went wrong so far (a retry may still succeed).
    private(set) var problem = Problem("no endpoint answered")

    /// Makes an exchange; `pinned` sends every attempt to that one endpoint (status of each node), without
    /// following redirects.
    init(
        _ operation: ClientOperation, kind: ExchangeKind, label: String, deadline: ContinuousClock.Instant, attemptTimeout: Duration,
        transport: Transport, pinned: Int? = nil
    ) {
        self.operation = operation
        self.kind = kind
        self.label = label
        self.deadline = deadline
        self.attemptTimeout = attemptTimeout
        self.transport = transport
        self.pinned = pinned
    }

    /// Sends the first attempt; `completion` runs once, unless the exchange is cancelled first.
    func start(_ completion: @escaping (ExchangeOutcome) -> Void) {
        self.completion = completion
        let environment = transport.environment
        endpoint = pinned ?? transport.startingEndpoint()
        // The deadline timer holds the exchange: it lives until it finishes or is cancelled, which cancels the timer.
        deadlineTimer = environment.schedule(after: deadline - environment.now) { self.expire() }
        send()
    }

    /// Stops the exchange without an outcome; returns whether its request may have been applied.
    func cancel() -> Bool {
        let pendingSent = withdrawAttempt()
        stopTimers()
        completion = nil
        return mayHaveApplied || (pendingSent && kind != .read)
    }

    private func send() {
        retryTimer = nil
        guard completion != nil else { return }
        if refusals[endpoint] != nil, let open = (0..<transport.endpoints.count).first(where: { refusals[$0] == nil }) {
            endpoint = open
        }
        let target = endpoint
        let attempt = Attempt(operation: operation, trace: trace) { [weak self] outcome in
            self?.ended(outcome, at: target)
        }
        self.attempt = attempt
        attemptTimer = transport.environment.schedule(after: attemptTimeout) { [weak self] in self?.attemptTimedOut() }
        transport.submit(attempt, to: target)
    }

    private func attemptTimedOut() {
        attemptTimer = nil
        let target = endpoint
        let wasSent = withdrawAttempt()
        ended(.lost(wasSent: wasSent, reason: "no answer from \(transport.endpoints[target]) within \(attemptTimeout)"),
              at: target)
    }

    /// Withdraws the pending attempt, if any; returns whether it had been sent.
    private func withdrawAttempt() -> Bool {
        guard let attempt else { return false }
        self.attempt = nil
        attemptTimer?.cancel()
        attemptTimer = nil
        transport.withdraw(attempt)
        if let sentAt = attempt.sentAt, firstSentAt == nil { firstSentAt = sentAt }
        return attempt.sentAt != nil
    }

    private func ended(_ outcome: AttemptOutcome, at target: Int) {
        let sentAt = attempt?.sentAt
        if let sentAt, firstSentAt == nil { firstSentAt = sentAt }
        attempt = nil
        attemptTimer?.cancel()
        attemptTimer = nil
        guard completion != nil else { return }
        switch outcome {
        case .answered(.failure(.notLeader(let hint))):
            // A node that loses its term answers its pending proposals `notLeader`, yet they may still commit
            // under the next leader (Node.loseLeadership): for a mutating request this answer proves nothing.
            if kind != .read { mayHaveApplied = true }
            problem = Problem(
                hint.map { "\(transport.endpoints[target]) is not the leader (it names \($0.address))" }
                    ?? "\(transport.endpoints[target]) is not the leader and knows no leader")
            redirect(from: target, hint: hint)
        case .answered(.failure(.unavailable(let reason, let retryAfter))):
            // Rule 3: the server's retry-after is a floor under the backoff (capped at a minute against nonsense).
            let floor = Duration.milliseconds(Int64(min(retryAfter, 60_000)))
            problem = Problem(
                "\(transport.endpoints[target]) is unavailable: \(reason)", retryAfter: retryAfter > 0 ? floor : nil)
            retry(minimumDelay: floor)
        case .answered(.failure(.overloaded(let reason))):
            problem = Problem(
                "\(transport.endpoints[target]) is overloaded: \(reason)",
                retryAfter: transport.backoffBound(retry: retries + 1))
            retry(minimumDelay: .zero)
        case .answered(let result):
            if pinned == nil, operation != .status { transport.leader = target }
            let now = transport.environment.now
            finish(.answered(result, sentAt: sentAt ?? now, firstSentAt: firstSentAt ?? sentAt ?? now))
        case .lost(let wasSent, let reason):
            lost(wasSent: wasSent, reason: reason, at: target)
        case .refused(let reason, let message):
            refused(reason, message: message, at: target)
        }
    }

    private func lost(wasSent: Bool, reason: String, at target: Int) {
        problem = Problem(reason)
        if wasSent && kind != .read { mayHaveApplied = true }
        if wasSent && kind == .unrepeatable {
            return finish(.gaveUp(mayHaveApplied: true, problem: problem))
        }
        if transport.leader == target { transport.leader = nil }
        failover(from: target)
        retry(minimumDelay: .zero)
    }

    private func refused(_ reason: RefusalReason, message: String, at target: Int) {
        let address = transport.endpoints[target]
        problem = Problem("\(address) refused the connection: \(message)")
        let error: PadlockError
        switch reason {
        case .overloaded:
            problem.retryAfter = transport.backoffBound(retry: retries + 1)
            failover(from: target)
            return retry(minimumDelay: .zero)
        case .badCredentials:
            error = PadlockError(.permissionDenied, "\(address) refused the credentials: \(message)")
        case .versionMismatch, .wrongCluster, .wrongRole, .notMember:
            error = .invalid("\(address) refused the handshake (\(reason)): \(message)")
        }
        refusals[target] = error
        if pinned != nil || refusals.count >= transport.endpoints.count { return finish(.refused(error)) }
        failover(from: target)
        send()
    }

    private func redirect(from target: Int, hint: LeaderHint?) {
        guard pinned == nil else { return retry(minimumDelay: .zero) }
        if let hint, let hinted = transport.endpointIndex(for: hint.address), hinted != target,
            quickRedirects < transport.endpoints.count
        {
            // Following a fresh hint costs nothing; a chain of stale hints falls back to backing off.
            quickRedirects += 1
            transport.leader = hinted
            endpoint = hinted
            transport.metrics.failover()
            transport.logger.debug("following leader hint", metadata: [
                "operation": "\(label)", "from": "\(transport.endpoints[target])", "to": "\(hint.address)",
            ])
            return send()
        }
        if transport.leader == target { transport.leader = nil }
        failover(from: target)
        retry(minimumDelay: .zero)
    }

    private func failover(from target: Int) {
        guard pinned == nil else { return }
        endpoint = (target + 1) % transport.endpoints.count
        transport.metrics.failover()
    }

    private func retry(minimumDelay: Duration) {
        retries += 1
        transport.metrics.retry(label)
        let delay = max(minimumDelay, transport.backoff(retry: retries))
        let environment = transport.environment
        transport.logger.debug("retrying", metadata: [
            "operation": "\(label)", "retry": "\(retries)", "delay": "\(delay)", "problem": "\(problem)",
        ])
        // A retry that could not start before the deadline is not scheduled: the deadline timer ends it.
        guard environment.now + delay < deadline else { return }
        retryTimer = environment.schedule(after: delay) { [weak self] in self?.send() }
    }

    private func expire() {
        deadlineTimer = nil
        let pendingSent = withdrawAttempt()
        if pendingSent && kind != .read { mayHaveApplied = true }
        finish(.gaveUp(mayHaveApplied: mayHaveApplied, problem: problem))
    }

    private func finish(_ outcome: ExchangeOutcome) {
        stopTimers()
        guard let completion else { return }
        self.completion = nil
        completion(outcome)
    }

    private func stopTimers() {
        for timer in [attemptTimer, retryTimer, deadlineTimer] { timer?.cancel() }
        attemptTimer = nil
        retryTimer = nil
        deadlineTimer = nil
    }
}

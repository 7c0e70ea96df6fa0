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
    case answered(
        Result<ClientResult, ClientFailure>, sentAt: ContinuousClock.Instant, firstSentAt: ContinuousClock.Instant)
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
    /// Whether the node answered `overloaded` (a limit it enforces, which retrying may not lift).
    var isOverload = false

    init(_ text: String, retryAfter: Duration? = nil, isOverload: Bool = false) {
        self.text = text
        self.retryAfter = retryAfter
        self.isOverload = isOverload
    }

    /// The text, and the wait in words when there is one.
    var description: String { text + (retryAfter.map { " (retry in \(Wording.duration($0)))" } ?? "") }
}

/// One request sent until it is answered or its deadline passes. Loop thread only.
///
/// The decisions (where each attempt goes, when to retry, how it ends: the retry, redirect and failover
/// rules of `docs/client.md`) are `ExchangeMachine`'s; this class carries out its actions with the transport
/// and the environment's timers. The request is rebuilt never, so every retry of a mutating request carries
/// the same request id (rule 3), unless the simulator injects `freshSequenceOnRetry`.
final class Exchange {
    let operation: ClientOperation
    let deadline: ContinuousClock.Instant
    let attemptTimeout: Duration
    /// The caller's trace context, sent with every attempt (nil without a tracer).
    var trace: TraceContext?
    /// Renumbers the request for a retry: set only when the simulator injects `freshSequenceOnRetry`.
    var renumber: (() -> ClientOperation)?
    private let transport: Transport
    private let label: String
    private var machine: ExchangeMachine
    private var completion: ((ExchangeOutcome) -> Void)?
    private var attempt: Attempt?
    private var attemptTarget = 0
    private var attemptsMade = 0
    private var attemptTimer: (any ClientTimer)?
    private var retryTimer: (any ClientTimer)?
    private var deadlineTimer: (any ClientTimer)?

    /// The endpoint whose answer finished the exchange, once answered.
    private(set) var answeredBy: Int?

    var kind: ExchangeKind { machine.kind }
    var mayHaveApplied: Bool { machine.mayHaveApplied }
    var firstSentAt: ContinuousClock.Instant? { machine.firstSentAt }
    /// The last thing that went wrong so far (a retry may still succeed).
    var problem: Problem { machine.problem }

    /// Makes an exchange; `pinned` sends every attempt to that one endpoint (status of each node), without
    /// following redirects.
    init(
        _ operation: ClientOperation, kind: ExchangeKind, label: String, deadline: ContinuousClock.Instant,
        attemptTimeout: Duration, transport: Transport, pinned: Int? = nil
    ) {
        self.operation = operation
        self.label = label
        self.deadline = deadline
        self.attemptTimeout = attemptTimeout
        self.transport = transport
        machine = ExchangeMachine(
            kind: kind, pinned: pinned, answersNameLeader: operation != .status,
            backoffBase: transport.configuration.backoffBase, backoffCap: transport.configuration.backoffCap)
    }

    /// Sends the first attempt; `completion` runs once, unless the exchange is cancelled first.
    func start(_ completion: @escaping (ExchangeOutcome) -> Void) {
        self.completion = completion
        let environment = transport.environment
        // The deadline timer holds the exchange: it lives until it finishes or is cancelled, which cancels the timer.
        deadlineTimer = environment.schedule(after: deadline - environment.now) { self.expire() }
        perform(machine.start(at: transport.startingEndpoint(), endpoints: transport.endpoints))
    }

    /// Stops the exchange without an outcome; returns whether its request may have been applied.
    func cancel() -> Bool {
        let pendingSent = withdrawAttempt()
        stopTimers()
        completion = nil
        return machine.cancel(pendingSent: pendingSent)
    }

    private func perform(_ actions: [ExchangeMachine.Action]) {
        for action in actions {
            switch action {
            case .send(let endpoint): send(to: endpoint)
            case .retry(let number, let minimumDelay): retry(number, minimumDelay: minimumDelay)
            case .leaderIs(let endpoint): transport.leader = endpoint
            case .leaderFailed(let endpoint): if transport.leader == endpoint { transport.leader = nil }
            case .failedOver(let hint):
                transport.metrics.failover()
                if let hint {
                    transport.logger.debug(
                        "following leader hint", metadata: ["operation": "\(label)", "to": "\(hint)"])
                }
            case .finish(let outcome): finish(outcome)
            }
        }
    }

    private func send(to target: Int) {
        retryTimer = nil
        guard completion != nil else { return }
        attemptsMade += 1
        let request = attemptsMade > 1 ? renumber?() ?? operation : operation
        let attempt = Attempt(operation: request, trace: trace) { [weak self] outcome in
            self?.ended(outcome, at: target)
        }
        self.attempt = attempt
        attemptTarget = target
        attemptTimer = transport.environment.schedule(after: attemptTimeout) { [weak self] in self?.attemptTimedOut() }
        transport.submit(attempt, to: target)
    }

    private func attemptTimedOut() {
        attemptTimer = nil
        let environment = transport.environment
        // A busy node is not a dead one: while it keeps answering requests sent before this one, the attempt
        // waits another round (its deadline still ends it). Sending it elsewhere would only be redirected back
        // to the same leader and add to the queue that delays it: under load that turns into a retry storm.
        if let attempt, let link = attempt.link,
            link.isWorkingThrough(before: attempt, since: environment.now - attemptTimeout)
        {
            transport.metrics.attemptKeptWaiting()
            attemptTimer = environment.schedule(after: attemptTimeout) { [weak self] in self?.attemptTimedOut() }
            return
        }
        let target = attemptTarget
        let wasSent = withdrawAttempt()
        let reason = "no answer from \(transport.endpoints[target]) within \(attemptTimeout)"
        ended(.lost(wasSent: wasSent, reason: reason), at: target)
    }

    /// Withdraws the pending attempt, if any; returns whether it had been sent.
    private func withdrawAttempt() -> Bool {
        guard let attempt else { return false }
        self.attempt = nil
        attemptTimer?.cancel()
        attemptTimer = nil
        transport.withdraw(attempt)
        if let sentAt = attempt.sentAt { machine.attemptSent(at: sentAt) }
        return attempt.sentAt != nil
    }

    private func ended(_ outcome: AttemptOutcome, at target: Int) {
        let sentAt = attempt?.sentAt
        attempt = nil
        attemptTimer?.cancel()
        attemptTimer = nil
        guard completion != nil else { return }
        if case .answered = outcome { answeredBy = target }
        var hinted: Int?
        if case .answered(.failure(.notLeader(let hint?))) = outcome {
            hinted = transport.endpointIndex(for: hint.address)
        }
        perform(
            machine.attemptEnded(
                outcome, at: target, hinted: hinted, sentAt: sentAt, now: transport.environment.now,
                endpoints: transport.endpoints))
    }

    private func retry(_ number: Int, minimumDelay: Duration) {
        transport.metrics.retry(label)
        let delay = max(minimumDelay, transport.backoff(retry: number))
        let environment = transport.environment
        transport.logger.debug(
            "retrying",
            metadata: [
                "operation": "\(label)", "retry": "\(number)", "delay": "\(delay)", "problem": "\(machine.problem)",
            ])
        // A retry that could not start before the deadline is not scheduled: the deadline timer ends it.
        guard environment.now + delay < deadline else { return }
        retryTimer = environment.schedule(after: delay) { [weak self] in
            guard let self else { return }
            self.perform(self.machine.retryDue(endpoints: self.transport.endpoints))
        }
    }

    private func expire() {
        deadlineTimer = nil
        let pendingSent = withdrawAttempt()
        perform(machine.deadlinePassed(pendingSent: pendingSent))
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

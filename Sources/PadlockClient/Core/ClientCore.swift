import Logging
import Wire

/// Everything the client knows, owned by its loop thread: endpoints and connections (through `Transport`),
/// the session pool, the calls in progress and the settled fates of requests. Every public call reaches it
/// through the loop's mailbox (`ClientHandle.perform`); nothing here is touched from another thread.
final class ClientCore {
    let environment: any ClientEnvironment
    let configuration: PadlockClient.Configuration
    let owner: String
    let logger: Logger
    let metrics = ClientMetrics()
    let transport: Transport
    /// The handle locks use to reach back here; set right after the core is made.
    var handle: ClientHandle?
    /// Sessions opening or open, indexed by owner.
    var sessions = SessionPool()
    /// Every session this client opened, by id, until it is lost or closed.
    var sessionsByID: [SessionID: PoolSession] = [:]
    /// Calls waiting for any session, in arrival order.
    var sessionWaiters: [MutationCall] = []
    /// Why the last session open failed (nil once one opens), for the message of a call that gives up waiting.
    var lastOpenProblem: Problem?
    /// How to cancel each call in progress, by ticket.
    var cancellers: [UInt64: () -> Void] = [:]
    /// Settled fates of mutating requests, for `resolve`.
    var resolutions = ResolutionBook(capacity: 4096)
    /// Requests being settled or still outstanding that a `resolve` waits for.
    var resolutionWaiters: [RequestID: [(Result<Resolution, PadlockError>) -> Void]] = [:]
    var isClosing = false
    /// The subscription to the cluster's events and the watch streams it feeds (`ClientCore+Events.swift`).
    let events = EventSubscription()
    /// Hooks for the simulator's history (`ClientCoreDriver`): every mutating request as it is numbered, and
    /// its fate once settled. Nil in `PadlockClient`.
    var onRequestNumbered: ((ClientOperation) -> Void)?
    var onRequestSettled: ((RequestID, Resolution) -> Void)?

    init(
        environment: any ClientEnvironment, endpoints: [EndpointAddress], owner: String, handshake: Handshake,
        configuration: PadlockClient.Configuration, logger: Logger
    ) {
        self.environment = environment
        self.configuration = configuration
        self.owner = owner
        self.logger = logger
        transport = Transport(
            environment: environment, endpoints: endpoints, handshake: handshake, configuration: configuration,
            logger: logger, metrics: metrics)
        startEvents()
    }

    /// The deadline of a call starting now, `extra` beyond the configured one.
    func callDeadline(extra: Duration = .zero) -> ContinuousClock.Instant {
        environment.now + configuration.callDeadline + extra
    }

    /// Registers a cancellable call; returns false (having answered `completion`) when it must not start.
    func admit<Value>(_ ticket: CallTicket, _ completion: (Result<Value, PadlockError>) -> Void) -> Bool {
        if isClosing {
            completion(.failure(.clientClosed))
            return false
        }
        if ticket.isCancelled {
            completion(.failure(.callCancelled))
            return false
        }
        return true
    }

    /// Answers a call and forgets its canceller; counts it by operation and outcome.
    func complete<Value>(
        _ ticket: CallTicket, _ label: String, _ result: Result<Value, PadlockError>,
        _ completion: (Result<Value, PadlockError>) -> Void
    ) {
        cancellers[ticket.id] = nil
        switch result {
        case .success: metrics.request(label, outcome: "ok")
        case .failure(let error): metrics.request(label, outcome: error.code.name)
        }
        completion(result)
    }

    /// Cancels the call with this ticket, if it is still in progress.
    func cancel(_ ticket: CallTicket) {
        cancellers.removeValue(forKey: ticket.id)?()
    }

    /// Checks that some endpoint accepts the handshake and answers (`status`), for `PadlockClient.init`.
    func probe(completion: @escaping (Result<Void, PadlockError>) -> Void) {
        let exchange = Exchange(
            .status, kind: .read, label: "connect", deadline: callDeadline(),
            attemptTimeout: configuration.attemptTimeout, transport: transport)
        exchange.start { outcome in
            switch outcome {
            case .answered: completion(.success(()))
            case .refused(let error): completion(.failure(error))
            case .gaveUp(_, let problem):
                completion(
                    .failure(
                        .unavailable(
                            "no endpoint of the cluster answered before the deadline: \(problem)",
                            retryAfter: problem.retryAfter)))
            }
        }
    }

    /// Sends a read (or an unrepeatable change) to the leader and answers its result.
    func read(
        _ operation: ClientOperation, label: String, kind: ExchangeKind = .read, ticket: CallTicket,
        completion: @escaping (Result<ClientResult, PadlockError>) -> Void
    ) {
        guard admit(ticket, completion) else { return }
        let exchange = Exchange(
            operation, kind: kind, label: label, deadline: callDeadline(),
            attemptTimeout: configuration.attemptTimeout, transport: transport)
        exchange.trace = ticket.trace
        cancellers[ticket.id] = { [weak self, weak exchange] in
            _ = exchange?.cancel()
            self?.complete(ticket, label, .failure(.callCancelled), completion)
        }
        exchange.start { [weak self] outcome in
            guard let self else { return }
            let result: Result<ClientResult, PadlockError>
            switch outcome {
            case .answered(.success(let answer), _, _): result = .success(answer)
            case .answered(.failure(let failure), _, _): result = .failure(self.error(for: failure, in: label))
            case .refused(let error): result = .failure(error)
            case .gaveUp(let mayHaveApplied, let problem):
                result = .failure(
                    mayHaveApplied
                        ? .unavailable(
                            "the deadline passed with the \(label) unanswered; it may or may not have "
                                + "been applied, so check members() before repeating it (\(problem))")
                        : .unavailable(
                            "no leader answered the \(label) before the deadline: \(problem)",
                            retryAfter: problem.retryAfter))
            }
            self.complete(ticket, label, result, completion)
        }
    }

    /// Asks every endpoint for its own status, at once; answers the statuses of those that replied.
    func status(ticket: CallTicket, completion: @escaping (Result<[NodeStatus], PadlockError>) -> Void) {
        guard admit(ticket, completion) else { return }
        let count = transport.endpoints.count
        var pending = count
        var answers: [NodeStatus] = []
        var problems: [String] = []
        let deadline = environment.now + configuration.attemptTimeout + configuration.connectTimeout
        var exchanges: [Exchange] = []
        cancellers[ticket.id] = { [weak self] in
            for exchange in exchanges { _ = exchange.cancel() }
            self?.complete(ticket, "status", .failure(.callCancelled), completion)
        }
        for index in 0..<count {
            let exchange = Exchange(
                .status, kind: .read, label: "status", deadline: deadline,
                attemptTimeout: configuration.attemptTimeout, transport: transport, pinned: index)
            exchange.trace = ticket.trace
            exchange.start { [weak self] outcome in
                guard let self else { return }
                switch outcome {
                case .answered(.success(.status(let status)), _, _): answers.append(status)
                case .answered(let other, _, _): problems.append("\(self.transport.endpoints[index]): \(other)")
                case .refused(let error): problems.append(error.message)
                case .gaveUp(_, let problem): problems.append(problem.description)
                }
                pending -= 1
                guard pending == 0 else { return }
                let sorted = answers.sorted { $0.node < $1.node }
                let result: Result<[NodeStatus], PadlockError> =
                    sorted.isEmpty
                    ? .failure(.unavailable("no endpoint answered: \(problems.joined(separator: "; "))"))
                    : .success(sorted)
                self.complete(ticket, "status", result, completion)
            }
            exchanges.append(exchange)
        }
    }
}

/// The settled fates of recent mutating requests, oldest forgotten first.
struct ResolutionBook {
    let capacity: Int
    private var fates: [RequestID: Resolution] = [:]
    private var order: [RequestID] = []
    private var head = 0

    init(capacity: Int) { self.capacity = capacity }

    subscript(request: RequestID) -> Resolution? { fates[request] }

    mutating func record(_ request: RequestID, _ resolution: Resolution) {
        if fates.updateValue(resolution, forKey: request) == nil { order.append(request) }
        while order.count - head > capacity {
            fates[order[head]] = nil
            head += 1
        }
        if head > capacity {
            order.removeFirst(head)
            head = 0
        }
    }
}

import DequeModule
import Logging
import Wire

/// What became of one attempt: one request sent once on one connection.
enum AttemptOutcome {
    /// The node answered.
    case answered(Result<ClientResult, ClientFailure>)
    /// The connection failed, closed or never opened; `wasSent` says whether the request had been written.
    case lost(wasSent: Bool, reason: String)
    /// The node refused the handshake.
    case refused(RefusalReason, message: String)
}

/// One request on its way to one endpoint. Loop thread only.
final class Attempt {
    let operation: ClientOperation
    /// The caller's trace context, sent with the request when a tracer is in use.
    let trace: TraceContext?
    /// The connection it waits on or was sent on, while it is pending.
    var link: Link?
    /// Its correlation id, once sent.
    var correlation: CorrelationID?
    /// When it was written, on the client's monotonic clock (the lease arithmetic's send time).
    var sentAt: ContinuousClock.Instant?
    private var onOutcome: ((AttemptOutcome) -> Void)?

    init(operation: ClientOperation, trace: TraceContext? = nil, onOutcome: @escaping (AttemptOutcome) -> Void) {
        self.operation = operation
        self.trace = trace
        self.onOutcome = onOutcome
    }

    /// Hands the outcome to the exchange, once.
    func deliver(_ outcome: AttemptOutcome) {
        link = nil
        guard let onOutcome else { return }
        self.onOutcome = nil
        onOutcome(outcome)
    }

    /// Forgets the exchange: a later answer is dropped.
    func detach() {
        onOutcome = nil
        link = nil
    }
}

/// One framed TCP connection to one endpoint: connect, handshake, then pipelined requests matched to answers
/// by correlation id. Loop thread only.
///
/// At most `window` requests are in flight; more wait in a backlog of at most `backlogMax`, and past that an
/// attempt is answered `lost` at once (its exchange backs off and retries). Losing the connection fails every
/// attempt on it at once, so each is retried elsewhere.
final class Link {
    enum State { case connecting, handshaking, ready, closed }

    let address: EndpointAddress
    private(set) var state = State.connecting
    private var connection: (any ClientConnection)?
    private var environment: (any ClientEnvironment)?
    private var inFlight: [CorrelationID: Attempt] = [:]
    private var backlog: Deque<Attempt> = []
    private var nextCorrelation: UInt64 = 0
    private var handshakeTimer: (any ClientTimer)?
    private var isWritable = true
    /// The latest answers' correlation ids and arrival times, oldest first (at most `recentAnswersMax`): how
    /// an exchange tells a node working through a backlog from one that lost its request.
    private var recentAnswers: Deque<(correlation: CorrelationID, at: ContinuousClock.Instant)> = []
    private static let recentAnswersMax = 64
    private let window: Int
    private let backlogMax: Int
    private let logger: Logger
    /// Called once when the link closes, so its owner forgets it.
    var onClosed: ((Link) -> Void)?
    /// Called with each event the node sends unasked (protocol v2, `docs/events.md`).
    var onEvent: ((ClientEvent, Link) -> Void)?

    init(address: EndpointAddress, window: Int, logger: Logger) {
        self.address = address
        self.window = window
        self.backlogMax = window * 4
        self.logger = logger
    }

    /// Connects and sends the handshake; attempts submitted meanwhile wait in the backlog.
    func open(environment: any ClientEnvironment, handshake: Handshake, timeout: Duration) {
        self.environment = environment
        handshakeTimer = environment.schedule(after: timeout) { [weak self] in
            self?.fail("no handshake answer within \(timeout)", wasConnected: true)
        }
        environment.connect(host: address.host, port: address.port, timeout: timeout) { [weak self] result in
            guard let self else {
                if case .success(let connection) = result { connection.abort() }
                return
            }
            switch result {
            case .failure(let error):
                self.fail("cannot connect: \(error)", wasConnected: false)
            case .success(let connection):
                self.connected(connection, handshake: handshake)
            }
        }
    }

    private func connected(_ connection: any ClientConnection, handshake: Handshake) {
        guard state == .connecting else {
            connection.abort()
            return
        }
        self.connection = connection
        state = .handshaking
        connection.onFrame = { [weak self] payload in self?.received(payload) }
        connection.onClose = { [weak self] loss in
            guard let self else { return }
            let hint = self.state == .handshaking ? loss.handshakeHint : ""
            self.fail("connection \(loss.reason)\(hint)", wasConnected: true)
        }
        connection.onWritable = { [weak self] in
            self?.isWritable = true
            self?.pump()
        }
        if connection.send(handshake.encoded()) != .queued { fail("cannot send the handshake", wasConnected: true) }
    }

    /// Queues `attempt`; it is sent as soon as the handshake is done and the window has room.
    func submit(_ attempt: Attempt) {
        guard state != .closed else {
            return attempt.deliver(.lost(wasSent: false, reason: "connection to \(address) closed"))
        }
        guard backlog.count < backlogMax else {
            return attempt.deliver(.lost(wasSent: false, reason: "too many requests queued for \(address)"))
        }
        attempt.link = self
        backlog.append(attempt)
        pump()
    }

    /// Takes `attempt` back: from the backlog, or from the in-flight table so that its answer is dropped.
    func withdraw(_ attempt: Attempt) {
        if let correlation = attempt.correlation {
            inFlight.removeValue(forKey: correlation)
        } else if let index = backlog.firstIndex(where: { $0 === attempt }) {
            backlog.remove(at: index)
        }
        attempt.detach()
        pump()
    }

    /// Sends queued attempts while the connection is ready, writable and the window has room.
    private func pump() {
        guard state == .ready, let connection, let environment else { return }
        while isWritable && inFlight.count < window && !backlog.isEmpty {
            let attempt = backlog.removeFirst()
            nextCorrelation += 1
            let correlation = CorrelationID(nextCorrelation)
            let sentAt = environment.now
            let request = ClientRequest(correlation: correlation, operation: attempt.operation, trace: attempt.trace)
            switch connection.send(request.encoded()) {
            case .queued:
                attempt.correlation = correlation
                attempt.sentAt = sentAt
                inFlight[correlation] = attempt
            case .backpressure:
                backlog.prepend(attempt)
                isWritable = false
            case .frameTooLarge:
                attempt.deliver(.answered(.failure(.invalidArgument(message: "the request is too large to send"))))
            case .closed:
                backlog.prepend(attempt)
                return fail("connection closed while sending", wasConnected: true)
            }
        }
    }

    private func received(_ payload: [UInt8]) {
        switch state {
        case .handshaking:
            receivedHandshakeAnswer(payload)
        case .ready:
            if payload.first == MessageKind.clientEvent.rawValue { return receivedEvent(payload) }
            do {
                let response = try ClientResponse(decoding: payload)
                noteAnswer(response.correlation)
                guard let attempt = inFlight.removeValue(forKey: response.correlation) else {
                    // An attempt its exchange gave up on: its answer is no longer wanted.
                    return logger.trace("answer for a withdrawn request", metadata: ["endpoint": "\(address)"])
                }
                attempt.deliver(.answered(response.outcome))
                pump()
            } catch {
                logger.warning(
                    "closing connection: undecodable answer",
                    metadata: [
                        "endpoint": "\(address)", "error": "\(error)",
                    ])
                fail("undecodable answer: \(error)", wasConnected: true)
            }
        case .connecting, .closed:
            return
        }
    }

    private func noteAnswer(_ correlation: CorrelationID) {
        guard let environment else { return }
        if recentAnswers.count == Self.recentAnswersMax { recentAnswers.removeFirst() }
        recentAnswers.append((correlation, environment.now))
    }

    /// Whether the node is still working through requests that came before `attempt`: it answered, since
    /// `since`, one sent earlier on this connection (or any at all, while `attempt` waits unsent behind them).
    /// A node that does so is busy, not gone; one that answers only later requests, or nothing, may have
    /// lost this one.
    func isWorkingThrough(before attempt: Attempt, since: ContinuousClock.Instant) -> Bool {
        guard state == .ready else { return false }
        guard let correlation = attempt.correlation else { return recentAnswers.last.map { $0.at >= since } ?? false }
        return recentAnswers.contains { $0.correlation < correlation && $0.at >= since }
    }

    /// An event frame: handed to the owner. An undecodable one closes the connection like an undecodable answer,
    /// since the stream can no longer be trusted.
    private func receivedEvent(_ payload: [UInt8]) {
        switch Result(catching: { () throws(WireError) in try ClientEvent(decoding: payload) }) {
        case .success(let event):
            onEvent?(event, self)
        case .failure(let error):
            logger.warning(
                "closing connection: undecodable event", metadata: ["endpoint": "\(address)", "error": "\(error)"])
            fail("undecodable event: \(error)", wasConnected: true)
        }
    }

    private func receivedHandshakeAnswer(_ payload: [UInt8]) {
        handshakeTimer?.cancel()
        handshakeTimer = nil
        switch Result(catching: { () throws(WireError) in try HandshakeAnswer(decoding: payload) }) {
        case .success(.accepted(let node)):
            logger.debug("connected", metadata: ["endpoint": "\(address)", "node": "\(node)"])
            state = .ready
            pump()
        case .success(.refused(let reason, let message)):
            logger.warning(
                "handshake refused",
                metadata: [
                    "endpoint": "\(address)", "reason": "\(reason)", "message": "\(message)",
                ])
            close(delivering: .refused(reason, message: message))
        case .failure(let error):
            fail("undecodable handshake answer: \(error)", wasConnected: true)
        }
    }

    /// Closes the link and answers every attempt on it: those sent as possibly applied, the rest as unsent.
    func fail(_ reason: String, wasConnected: Bool) {
        guard state != .closed else { return }
        if wasConnected {
            logger.debug("connection lost", metadata: ["endpoint": "\(address)", "reason": "\(reason)"])
        }
        close(delivering: nil, reason: reason)
    }

    private func close(delivering refusal: AttemptOutcome?, reason: String = "") {
        state = .closed
        handshakeTimer?.cancel()
        handshakeTimer = nil
        connection?.onClose = nil
        connection?.abort()
        connection = nil
        let sent = inFlight.sorted { $0.key < $1.key }.map(\.value)
        let unsent = Array(backlog)
        inFlight = [:]
        backlog = []
        onClosed?(self)
        onClosed = nil
        onEvent = nil
        for attempt in sent { attempt.deliver(refusal ?? .lost(wasSent: true, reason: reason)) }
        for attempt in unsent { attempt.deliver(refusal ?? .lost(wasSent: false, reason: reason)) }
    }

    /// Closes the connection for good (the client is closing).
    func shutDown() { fail("the client is closing", wasConnected: true) }
}

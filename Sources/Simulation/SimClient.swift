import LockHistory
import PadlockTypes
import Wire

/// A simulated CRM front end: it opens a session, renews it in the background, and loops locking a record
/// (or a field, or a shared hold), editing it in the fenced store, and releasing it. It retries with the
/// same request id, follows leader hints, gives up after a deadline and then resolves what it does not
/// know. Some pause while holding a lock, past their lease.
final class SimClient {
    let index: Int
    let endpoint: Int
    var clock: SimClock
    var random: SimRandom
    let owner: String
    let ttl: UInt64
    let isAdministrator: Bool
    unowned let simulation: Simulation

    var session: ClientSession?
    /// Sessions this client opened and then gave up on (its own deadline passed); their locks are lost.
    var abandonedSessions: [SessionID] = []
    var op: ClientOp?
    var holds: [BelievedHold] = []
    var attempts: [UInt64: Attempt] = [:]
    var nextCorrelation: UInt64 = 1
    var nextSerial: UInt64 = 1
    var leaderGuess: Int
    /// Paused (a long GC pause, a frozen VM): events wait until this true time.
    var pausedUntil: UInt64 = 0
    /// The liveness phase: finish what is in flight, start nothing new.
    var draining = false
    var drained = false
    var probeSucceeded = false
    /// First application answer per request id, for the exactly-once check.
    var answers: [RequestID: String] = [:]
    /// After the current acquire: what to do with the grant.
    var pendingEdit: (hold: BelievedHold, value: UInt64?, naive: Bool)?
    var renewalSerial: UInt64 = 0
    var completedOperations = 0

    init(index: Int, endpoint: Int, clock: SimClock, random: SimRandom, ttl: UInt64, simulation: Simulation) {
        self.index = index
        self.endpoint = endpoint
        self.clock = clock
        self.random = random
        self.owner = "crm-\(index)@frontend-\(index % 3)"
        self.ttl = ttl
        self.isAdministrator = index == 0
        self.simulation = simulation
        self.leaderGuess = index % simulation.nodes.count
    }

    var localNow: Double { clock.localMicroseconds(at: simulation.now) }

    /// The client's own conservative deadline for its session, as true time (for the checkers).
    func deadlineTrue(of session: ClientSession) -> UInt64 {
        let margin = Double(session.ttl) * 1000 * Simulation.clientMarginFraction
        let local = session.acknowledgedSendLocal + Double(session.ttl) * 1000 - margin
        return clock.trueTime(atLocal: local, notBefore: 0)
    }

    /// Whether the client's own deadline for its session has passed: its locks must not be used.
    var sessionLapsed: Bool {
        guard let session else { return true }
        return simulation.now >= deadlineTrue(of: session)
    }

    func start() {
        setTimer(.think, afterMilliseconds: Double(random.below(50)))
    }

    // MARK: Timers

    func setTimer(_ timer: ClientTimer, afterMilliseconds delay: Double, payload: UInt64 = 0) {
        let at = clock.trueTime(atLocal: localNow + delay * 1000, notBefore: simulation.now)
        simulation.schedule(.clientTimer(client: index, token: timer.token(payload)), at: at)
    }

    func timerFired(_ token: UInt64) {
        guard let (timer, payload) = ClientTimer.decode(token) else { return }
        switch timer {
        case .think: think()
        case .attemptTimeout: attemptTimedOut(correlation: payload)
        case .renewal: renewalDue(serial: payload)
        case .editDone: finishEdit()
        case .retry: if let op, op.serial == payload { sendAttempt() }
        }
    }

    // MARK: Choosing what to do

    private func think() {
        guard op == nil, pendingEdit == nil else { return }
        if draining {
            finishDraining()
            return
        }
        if session == nil || sessionLapsed {
            abandonSession()
            begin(.open(nonce: random.next()))
            return
        }
        let roll = random.below(100)
        if isAdministrator && roll < 6 {
            administer()
        } else if roll < 12 {
            if let hold = holds.first, random.chance(0.7) {
                begin(.checkFence(key: hold.key, fence: hold.fence))
            } else {
                begin(.checkFence(key: simulation.randomKey(&random), fence: FenceToken(random.between(1...200))))
            }
        } else if roll < 15 {
            begin(.close)
        } else {
            let mode: LockMode = random.chance(0.2) ? .shared : .exclusive
            let wait: UInt64 = random.chance(0.5) ? 0 : random.between(100...1500)
            begin(.acquire(key: simulation.randomKey(&random), mode: mode, wait: wait))
        }
    }

    private func administer() {
        if random.chance(0.6) {
            begin(.forceUnlock(key: simulation.randomKey(&random)))
        } else if let target = simulation.randomOpenSession(&random, excluding: session?.id) {
            begin(.revoke(target))
        } else {
            setTimer(.think, afterMilliseconds: 20)
        }
    }

    private func finishDraining() {
        guard !drained else { return }
        if !probeSucceeded {
            begin(.probe)
            return
        }
        drained = true
    }

    /// Forgets a session whose deadline passed: its locks are lost; the table will expire it.
    func abandonSession() {
        if let old = session {
            abandonedSessions.append(old.id)
            holds.removeAll { $0.session == old.id }
            simulation.sessionAbandoned(old.id)
        }
        session = nil
    }

    // MARK: Operations

    func begin(_ kind: ClientOpKind) {
        let serial = nextSerial
        nextSerial += 1
        var requestID: RequestID?
        if let session, kind.takesSequence {
            requestID = RequestID(session: session.id, sequence: session.nextSequence)
            self.session!.nextSequence += 1
        }
        guard let operation = wireOperation(kind, requestID: requestID) else {
            setTimer(.think, afterMilliseconds: 10)
            return
        }
        var deadline: Double? = nil
        if kind.hasDeadline {
            let wait: UInt64 = if case .acquire(_, _, let wait) = kind { wait } else { 0 }
            deadline = localNow + Double(3_000 + wait) * 1000
        }
        var op = ClientOp(
            kind: kind, operation: operation, requestID: requestID, session: session?.id, invokeTrue: simulation.now,
            deadlineLocal: deadline, serial: serial)
        if let action = historyAction(kind) { op.historyIndex = simulation.history.begin(client: index, action: action, at: simulation.now) }
        self.op = op
        sendAttempt()
    }

    private func wireOperation(_ kind: ClientOpKind, requestID: RequestID?) -> ClientOperation? {
        switch kind {
        case .open(let nonce): return .openSession(owner: owner, nonce: nonce, ttlMilliseconds: ttl)
        case .probe: return .checkFence(key: simulatorKey("crm/probe"), fence: FenceToken(1))
        case .checkFence(let key, let fence): return .checkFence(key: key, fence: fence)
        case .resolve: return nil
        default: break
        }
        guard let requestID else { return nil }
        switch kind {
        case .acquire(let key, let mode, let wait):
            let note = "editing \(key.segments.last ?? "")"
            return .acquire(requestID, Acquisition(key: key, mode: mode, waitMilliseconds: wait, note: note))
        case .release(let key, let fence): return .release(requestID, key: key, fence: fence)
        case .close: return .closeSession(requestID)
        case .forceUnlock(let key): return .forceUnlock(requestID, key: key, reason: "unlock stuck record")
        case .revoke(let target): return .revokeSession(requestID, target: target, reason: "log the user out")
        default: return nil
        }
    }

    private func historyAction(_ kind: ClientOpKind) -> LockAction? {
        switch kind {
        case .acquire(let key, let mode, _): session.map { .acquire(session: $0.id, key: key, mode: mode) }
        case .release(let key, let fence): session.map { .release(session: $0.id, key: key, fence: fence) }
        case .close: session.map { .endSession(session: $0.id) }
        case .checkFence(let key, let fence): .checkFence(key: key, fence: fence)
        case .forceUnlock(let key): .forceUnlock(key: key)
        case .revoke(let target): .endSession(session: target)
        case .open, .resolve, .probe: nil
        }
    }

    /// Sends the current operation to the node the client believes leads.
    func sendAttempt() {
        guard var op else { return }
        let correlation = nextCorrelation
        nextCorrelation += 1
        let node = leaderGuess
        let connection = simulation.sendRequest(
            from: self, to: node, ClientRequest(correlation: CorrelationID(correlation), operation: op.operation))
        attempts[correlation] = Attempt(
            purpose: .operation(serial: op.serial), node: node, connection: connection, sentLocal: localNow)
        op.sent = true
        if op.firstSentLocal == nil { op.firstSentLocal = localNow }
        self.op = op
        setTimer(.attemptTimeout, afterMilliseconds: 400, payload: correlation)
    }

    private func attemptTimedOut(correlation: UInt64) {
        guard let attempt = attempts.removeValue(forKey: correlation) else { return }
        leaderGuess = (attempt.node + 1) % simulation.nodes.count
        switch attempt.purpose {
        case .operation(let serial):
            guard let op, op.serial == serial else { return }
            retryOrGiveUp()
        case .renewal(let session, _):
            let outstanding = attempts.values.filter { if case .renewal = $0.purpose { true } else { false } }.count
            if self.session?.id == session && outstanding < 2 { sendRenewal() }
        }
    }

    /// A connection to `node` was reset: everything sent on it is lost; retry at once elsewhere.
    func connectionReset(_ connection: UInt64) {
        for correlation in attempts.keys.sorted() where attempts[correlation]?.connection == connection {
            attemptTimedOut(correlation: correlation)
        }
    }

    private func retryOrGiveUp() {
        guard let op else { return }
        if let deadline = op.deadlineLocal, localNow >= deadline {
            giveUp()
        } else {
            setTimer(.retry, afterMilliseconds: Double(random.between(5...40)), payload: op.serial)
        }
    }

    /// The deadline passed. A request that may have been applied is resolved; anything else simply failed.
    func giveUp() {
        guard let current = op else { return }
        op = nil
        if let requestID = current.requestID, current.sent {
            var resolution = ClientOp(
                kind: .resolve(original: current.kind), operation: .resolve(requestID), requestID: requestID,
                session: current.session, invokeTrue: current.invokeTrue, deadlineLocal: nil, serial: nextSerial)
            nextSerial += 1
            resolution.historyIndex = current.historyIndex
            op = resolution
            sendAttempt()
            return
        }
        if let history = current.historyIndex { simulation.history.complete(history, outcome: .failed, at: simulation.now) }
        setTimer(.think, afterMilliseconds: 10)
    }
}

extension ClientOpKind {
    /// Whether the operation changes state and so carries a request id.
    var takesSequence: Bool {
        switch self {
        case .acquire, .release, .close, .forceUnlock, .revoke: true
        case .open, .checkFence, .resolve, .probe: false
        }
    }

    /// Whether the client gives up after a deadline (and then resolves).
    var hasDeadline: Bool {
        switch self {
        case .open, .resolve, .probe: false
        default: true
        }
    }
}

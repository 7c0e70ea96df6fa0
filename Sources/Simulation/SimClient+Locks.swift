import LockHistory
import PadlockTypes
import Wire

extension SimClient {
    /// An acquire was answered: a grant is checked against every other client's beliefs, then edited.
    func acquired(_ current: ClientOp, key: LockKey, mode: LockMode, _ outcome: Result<ClientResult, ClientFailure>) {
        switch outcome {
        case .success(.granted(let holder)):
            complete(current, .granted(holder.fence))
            guard let session, session.id == holder.session else { return }
            if sessionLapsed {
                // Granted too late to be used safely: the client gives the session up (it will expire).
                abandonSession()
                return
            }
            let hold = BelievedHold(key: key, mode: mode, fence: holder.fence, session: session.id)
            simulation.checkGrant(hold, to: self)
            if !holds.contains(where: { $0.key == key && $0.fence == hold.fence }) { holds.append(hold) }
            startEdit(hold)
        case .failure(.held(let holders, _, _)):
            // The first holder is the conflict the table decided on; the checkers follow that one.
            let first = holders.first?.holder
            complete(current, .refused(holder: first.map { HolderRef(session: $0.session, fence: $0.fence) }))
        case .failure(.lockDelayed), .failure(.waitersAhead), .failure(.timedOut):
            complete(current, .refused(holder: nil))
        case .failure(.sessionExpired):
            // Gone now; an earlier copy of the request may have been granted before (outcome unknown).
            markSessionLost()
        case .failure(.overloaded), .failure(.invalidArgument):
            complete(current, .failed)
        default:
            complete(current, nil)
        }
    }

    /// Reads the record under the lock, works on it for a while (sometimes pausing past the lease), then
    /// writes it back with the fence.
    private func startEdit(_ hold: BelievedHold) {
        var value: UInt64?
        if hold.mode == .exclusive {
            value = simulation.store.read(hold.key, fence: hold.fence, session: hold.session)
        }
        let naive = random.chance(0.3)
        pendingEdit = (hold, value, naive)
        var editTime = Double(random.between(5...150))
        if simulation.options.clientPauses && random.chance(0.03) {
            // A long pause while holding the lock: the lease runs out meanwhile.
            let pause = UInt64(Double(ttl) * 1.3) * 1000
            pausedUntil = simulation.now + pause
            editTime = 1
        }
        setTimer(.editDone, afterMilliseconds: editTime)
    }

    func finishEdit() {
        guard let (hold, value, naive) = pendingEdit else { return }
        pendingEdit = nil
        let stillValid = holds.contains { $0.key == hold.key && $0.fence == hold.fence } && !sessionLapsed
        if let value, stillValid || naive {
            simulation.store.write(hold.key, fence: hold.fence, session: hold.session, value: value + 1, at: simulation.now)
        }
        holds.removeAll { $0.key == hold.key && $0.fence == hold.fence }
        if session?.id == hold.session && !sessionLapsed {
            begin(.release(key: hold.key, fence: hold.fence))
        } else {
            if session?.id == hold.session { abandonSession() }
            setTimer(.think, afterMilliseconds: 10)
        }
    }

    /// Completes the history operation; `nil` leaves its outcome unknown.
    func complete(_ current: ClientOp, _ outcome: LockOutcome?) {
        guard let history = current.historyIndex, let outcome else { return }
        simulation.history.complete(history, outcome: outcome, at: simulation.now)
    }

    /// The cluster says the session is gone: its locks are no longer believed held.
    func markSessionLost() {
        guard let current = session else { return }
        holds.removeAll { $0.session == current.id }
        abandonedSessions.append(current.id)
        simulation.sessionAbandoned(current.id)
        session = nil
    }

    // MARK: Renewals

    func scheduleRenewal() {
        renewalSerial += 1
        setTimer(.renewal, afterMilliseconds: Double(ttl) / 3, payload: renewalSerial)
    }

    func renewalDue(serial: UInt64) {
        guard serial == renewalSerial, session != nil else { return }
        sendRenewal()
        scheduleRenewal()
    }

    func sendRenewal() {
        guard let session else { return }
        let correlation = nextCorrelation
        nextCorrelation += 1
        let node = leaderGuess
        let connection = simulation.sendRequest(
            from: self, to: node,
            ClientRequest(correlation: CorrelationID(correlation), operation: .renewSession(session.id)))
        attempts[correlation] = Attempt(
            purpose: .renewal(session: session.id, sentLocal: localNow), node: node, connection: connection,
            sentLocal: localNow)
        setTimer(.attemptTimeout, afterMilliseconds: 300, payload: correlation)
    }

    func renewalAnswered(session renewed: SessionID, sentLocal: Double, _ outcome: Result<ClientResult, ClientFailure>) {
        guard var current = session, current.id == renewed else { return }
        switch outcome {
        case .success(.sessionRenewed):
            current.acknowledgedSendLocal = max(current.acknowledgedSendLocal, sentLocal)
            session = current
        case .failure(.sessionExpired):
            markSessionLost()
        case .failure(.notLeader(let hint)):
            if let hint, Int(hint.node.rawValue) >= 1, Int(hint.node.rawValue) <= simulation.nodes.count {
                leaderGuess = Int(hint.node.rawValue) - 1
                sendRenewal()
            } else {
                leaderGuess = (leaderGuess + 1) % simulation.nodes.count
            }
        default:
            break
        }
    }
}

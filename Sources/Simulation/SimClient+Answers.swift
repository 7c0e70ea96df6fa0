import LockHistory
import PadlockTypes
import Wire

extension SimClient {
    /// A response frame arrived.
    func received(_ response: ClientResponse) {
        let correlation = response.correlation.rawValue
        guard let attempt = attempts.removeValue(forKey: correlation) else {
            // A duplicate or a late answer: it must still agree with what the request was answered before.
            return
        }
        switch attempt.purpose {
        case .renewal(let session, let sentLocal):
            renewalAnswered(session: session, sentLocal: sentLocal, response.outcome)
        case .operation(let serial):
            guard let op, op.serial == serial else { return }
            if let requestID = op.requestID { checkExactlyOnce(requestID, response.outcome) }
            operationAnswered(op, response.outcome, sentLocal: attempt.sentLocal)
        }
    }

    /// Every application answer to one request id must be the same (guarantee 5).
    private func checkExactlyOnce(_ request: RequestID, _ outcome: Result<ClientResult, ClientFailure>) {
        if case .failure(.unknownRequest) = outcome, let first = answers[request] {
            simulation.violation("request \(request) was answered '\(first)' and later resolved as never applied")
            return
        }
        guard let answer = normalizedAnswer(outcome) else { return }
        if let first = answers[request] {
            if first != answer {
                simulation.violation("request \(request) of \(owner) answered '\(first)' and then '\(answer)'")
            }
        } else {
            answers[request] = answer
        }
    }

    private func operationAnswered(
        _ current: ClientOp, _ outcome: Result<ClientResult, ClientFailure>, sentLocal: Double
    ) {
        switch outcome {
        case .failure(.notLeader(let hint)):
            if let hint, Int(hint.node.rawValue) >= 1, Int(hint.node.rawValue) <= simulation.nodes.count {
                leaderGuess = Int(hint.node.rawValue) - 1
            } else {
                leaderGuess = (leaderGuess + 1) % simulation.nodes.count
            }
            retryAfter(milliseconds: hint == nil ? 20 : 1)
        case .failure(.unavailable), .failure(.overloaded):
            retryAfter(milliseconds: Double(random.between(10...60)))
        default:
            op = nil
            completedOperations += 1
            finish(current, outcome, sentLocal: sentLocal)
            if pendingEdit == nil { setTimer(.think, afterMilliseconds: Double(random.below(60))) }
        }
    }

    private func retryAfter(milliseconds: Double) {
        guard let op else { return }
        if let deadline = op.deadlineLocal, localNow >= deadline {
            giveUp()
        } else {
            setTimer(.retry, afterMilliseconds: milliseconds, payload: op.serial)
        }
    }

    /// Records an answered operation in the history and acts on it.
    private func finish(_ current: ClientOp, _ outcome: Result<ClientResult, ClientFailure>, sentLocal: Double) {
        var kind = current.kind
        if case .resolve(let original) = current.kind {
            kind = original
            if case .failure(.unknownRequest) = outcome {
                complete(current, .failed)
                redo(original)
                return
            }
        }
        switch kind {
        case .open: opened(outcome, sentLocal: current.firstSentLocal ?? sentLocal)
        case .acquire(let key, let mode, _): acquired(current, key: key, mode: mode, outcome)
        case .release: complete(current, releaseOutcome(outcome))
        case .close:
            if case .success(.sessionClosed) = outcome {
                complete(current, .done)
                holds.removeAll { $0.session == current.session }
                session = nil
            } else {
                _ = sessionGone(outcome)
            }
        case .checkFence:
            if case .success(.fenceChecked(let check)) = outcome {
                complete(current, .fenceCurrent(check.isCurrent))
            } else {
                complete(current, .failed)
            }
        case .forceUnlock:
            switch outcome {
            case .success(.forceUnlocked): complete(current, .done)
            case .failure(.notHeld): complete(current, .notHeld)
            default: _ = sessionGone(outcome)
            }
        case .revoke:
            if case .success(.sessionRevoked) = outcome { complete(current, .done) } else { complete(current, .failed) }
        case .probe:
            if case .success = outcome { probeSucceeded = true }
        case .resolve:
            break
        }
        if case .failure(.invalidArgument(let message)) = outcome {
            simulation.violation("\(owner): a well-formed request (\(current.operation)) was refused: \(message)")
        }
    }

    /// A release or close that resolve reports as never applied is sent again, as a new request: the client
    /// still wants the lock gone.
    private func redo(_ original: ClientOpKind) {
        guard session != nil else { return }
        if sessionLapsed {
            abandonSession()
            return
        }
        switch original {
        case .release(let key, let fence): begin(.release(key: key, fence: fence))
        case .close: begin(.close)
        default: break
        }
    }

    /// "Session expired" says the session is gone now, not that this request never applied: an earlier copy
    /// (a retry, a duplicate) may have been applied before it ended. Its outcome stays unknown.
    private func sessionGone(_ outcome: Result<ClientResult, ClientFailure>) -> Bool {
        if case .failure(.sessionExpired) = outcome {
            markSessionLost()
            return true
        }
        return false
    }

    private func releaseOutcome(_ outcome: Result<ClientResult, ClientFailure>) -> LockOutcome? {
        switch outcome {
        case .success(.released): return .released
        case .failure(.notHeld): return .notHeld
        case .failure(.sessionExpired):
            markSessionLost()
            return nil
        default: return nil
        }
    }

    private func opened(_ outcome: Result<ClientResult, ClientFailure>, sentLocal: Double) {
        guard case .success(.sessionOpened(let grant)) = outcome else { return }
        session = ClientSession(id: grant.session, ttl: grant.ttlMilliseconds, acknowledgedSendLocal: sentLocal)
        simulation.sessionOpened(grant.session, by: self)
        scheduleRenewal()
    }
}

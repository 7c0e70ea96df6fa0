import Wire

// Renewals in batches (issue 19): when one session's renewal falls due, every open session whose renewal
// falls due within half a renewal interval goes in the same request, so a client renews all its sessions with
// about one request per renewal interval. Each session keeps its own lease bookkeeping: its deadline counts
// from the send time of the attempt that carried it.

/// One renewal request in flight and the sessions it renews. Loop thread only.
final class RenewalBatch {
    private(set) var members: [PoolSession]
    var exchange: Exchange?

    init(_ members: [PoolSession]) { self.members = members }

    /// Takes `session` out (it was lost or closed); the request is withdrawn once nobody is left in it.
    func drop(_ session: PoolSession) {
        members.removeAll { $0 === session }
        guard members.isEmpty else { return }
        _ = exchange?.cancel()
        exchange = nil
    }

    /// Ends the batch: the sessions still in it, which forget it.
    func finish() -> [PoolSession] {
        let finished = members
        members = []
        exchange = nil
        for session in finished where session.renewal === self { session.renewal = nil }
        return finished
    }
}

extension ClientCore {
    /// `trigger`'s renewal fell due: renews it with every open session due within half its renewal interval
    /// (sessions with a renewal in flight wait for its answer), in requests of at most
    /// `WireLimits.renewalBatchCountMax` sessions.
    func renewDue(_ trigger: PoolSession) {
        guard trigger.state == .open, trigger.renewal == nil, let timings = trigger.timings else { return }
        let horizon = environment.now + timings.renewalInterval / 2
        var due = [trigger]
        for session in sessions where session !== trigger && session.state == .open && session.renewal == nil {
            guard let at = session.renewalDue, at <= horizon else { continue }
            due.append(session)
        }
        var start = 0
        while start < due.count {
            let end = min(due.count, start + WireLimits.renewalBatchCountMax)
            renew(Array(due[start..<end]))
            start = end
        }
    }

    /// Renews `batch` in one request (a single session's as `renewSession`), retried to other endpoints
    /// until answered or the last of their leases lapses. Each attempt counts from its own send time; an
    /// attempt whose answer never came counts for nothing.
    private func renew(_ batch: [PoolSession]) {
        var members: [PoolSession] = []
        var remaining = Duration.zero
        var attemptTimeout = configuration.attemptTimeout
        var halfInterval = Duration.seconds(3600)
        let now = environment.now
        for session in batch {
            guard session.id != nil, let lease = session.lease, let timings = session.timings else { continue }
            session.renewalTimer?.cancel()
            session.renewalTimer = nil
            session.renewalDue = nil
            guard lease.deadline > now else {
                updateLeaseState(session)
                continue
            }
            members.append(session)
            remaining = max(remaining, lease.deadline - now)
            attemptTimeout = min(attemptTimeout, timings.renewalInterval)
            halfInterval = min(halfInterval, timings.renewalInterval / 2)
        }
        let ids = members.compactMap(\.id)
        guard let first = ids.first else { return }
        let renewal = RenewalBatch(members)
        for session in members { session.renewal = renewal }
        let operation: ClientOperation = ids.count == 1 ? .renewSession(first) : .renewSessions(ids)
        // A batch's answer waits for its slowest session (a coverage checkpoint's commit); giving up on a
        // busy leader after one attempt timeout would send every session again and add to its load. Half a
        // renewal interval still moves to another endpoint well before any lease is at risk.
        if ids.count > 1 { attemptTimeout = max(attemptTimeout, halfInterval) }
        let exchange = Exchange(
            operation, kind: .read, label: ids.count == 1 ? "renewSession" : "renewSessions",
            deadline: environment.now + remaining, attemptTimeout: attemptTimeout, transport: transport)
        renewal.exchange = exchange
        metrics.renewalRequest()
        exchange.start { [weak self] outcome in
            let members = renewal.finish()
            self?.renewalAnswered(outcome, members)
        }
    }

    /// Hands each session of a finished batch its own answer.
    private func renewalAnswered(_ outcome: ExchangeOutcome, _ members: [PoolSession]) {
        switch outcome {
        case .answered(.success(.sessionsRenewed(let answers)), let sentAt, _):
            var byID: [SessionID: Result<SessionGrant, ClientFailure>] = [:]
            for answer in answers where byID[answer.session] == nil { byID[answer.session] = answer.outcome }
            for session in members {
                let answer = session.id.flatMap { byID[$0] }
                renewalAnswered(
                    session, answer ?? .failure(.invalidArgument(message: "no answer for it")), sentAt: sentAt)
            }
        case .answered(.success(.sessionRenewed(let grant)), let sentAt, _):
            for session in members { renewalAnswered(session, .success(grant), sentAt: sentAt) }
        case .answered(.success(let other), let sentAt, _):
            let failure = ClientFailure.invalidArgument(message: "the cluster answered a renewal with \(other)")
            for session in members { renewalAnswered(session, .failure(failure), sentAt: sentAt) }
        case .answered(.failure(let failure), let sentAt, _):
            for session in members { renewalAnswered(session, .failure(failure), sentAt: sentAt) }
        case .refused(let error):
            for session in members where session.state == .open {
                metrics.renewal("failed")
                logger.warning(
                    "renewal refused",
                    metadata: ["session": "\(session.id.map { "\($0)" } ?? "?")", "error": "\(error)"])
                scheduleRenewal(session, at: environment.now + configuration.backoffCap)
            }
        case .gaveUp:
            for session in members where session.state == .open {
                metrics.renewal("failed")
                updateLeaseState(session)
            }
        }
    }

    /// One session's renewal answer: renewed from `sentAt` (the send time of the attempt that carried it),
    /// lost when the cluster says it ended, otherwise tried again after a backoff.
    private func renewalAnswered(
        _ session: PoolSession, _ answer: Result<SessionGrant, ClientFailure>, sentAt: ContinuousClock.Instant
    ) {
        guard session.state == .open, let id = session.id, let lease = session.lease, let timings = session.timings
        else { return }
        switch answer {
        case .success:
            metrics.renewal("renewed")
            if lease.extend(to: sentAt + timings.validity, now: environment.now) {
                scheduleRenewal(session, at: sentAt + timings.renewalInterval)
            }
            updateLeaseState(session)
        case .failure(.sessionExpired):
            metrics.renewal("expired")
            markLost(session, reason: "the cluster says the session expired or was revoked")
        case .failure(let other):
            metrics.renewal("failed")
            logger.warning("renewal refused", metadata: ["session": "\(id)", "answer": "\(other)"])
            scheduleRenewal(session, at: environment.now + configuration.backoffCap)
        }
    }
}

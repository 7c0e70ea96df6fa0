import Wire

// Opening, renewing and losing sessions, and the lease states their locks report (rule 5).

extension ClientCore {
    /// Opens one session for `owner`: `openSession` with a random nonce, retried with the same nonce until
    /// answered.
    func openSession(owner: String) {
        let session = PoolSession(nonce: environment.random(in: 1...UInt64.max), owner: owner)
        sessions.append(session)
        let ttl = configuration.sessionTTL.wholeMilliseconds
        let exchange = Exchange(
            .openSession(owner: owner, nonce: session.nonce, ttlMilliseconds: ttl), kind: .mutating,
            label: "openSession", deadline: callDeadline(), attemptTimeout: configuration.attemptTimeout,
            transport: transport)
        session.opening = exchange
        exchange.start { [weak self] outcome in
            session.opening = nil
            guard let self, session.state == .opening else { return }
            switch outcome {
            case .answered(.success(.sessionOpened(let grant)), _, let firstSentAt):
                self.sessionOpened(session, grant: grant, firstSentAt: firstSentAt)
            case .answered(.success(let other), _, _):
                self.openFailed(session, .unavailable("the cluster answered an open with \(other)"), definitive: false)
            case .answered(.failure(let failure), _, _):
                let error = self.error(for: failure, in: "openSession")
                let definitive = error.code == .invalidArgument || error.code == .permissionDenied
                self.openFailed(session, error, definitive: definitive)
            case .refused(let error):
                self.openFailed(session, error, definitive: true)
            case .gaveUp(let may, let problem):
                // An open that may have been applied leaves a session nobody renews; it expires on its own.
                self.logger.debug(
                    "could not open a session",
                    metadata: [
                        "problem": "\(problem)", "mayHaveApplied": "\(may)",
                    ])
                self.openFailed(
                    session, .unavailable("could not open a session: \(problem)", retryAfter: problem.retryAfter),
                    definitive: false)
            }
        }
    }

    private func sessionOpened(_ session: PoolSession, grant: SessionGrant, firstSentAt: ContinuousClock.Instant) {
        // The lease runs from the send time of the open's FIRST attempt: whichever attempt the cluster applied,
        // its countdown started after that.
        let timings = configuration.leaseTimings(grantedTTL: .milliseconds(Int64(min(grant.ttlMilliseconds, 1 << 40))))
        let lease = SessionLease(
            deadline: firstSentAt + timings.validity, atRiskWindow: timings.atRiskWindow, clock: environment.clock,
            ignoresMargin: environment.injectedBugs.leaseIgnoresMargin, margin: timings.ttl - timings.validity)
        session.id = grant.session
        session.timings = timings
        session.lease = lease
        session.state = .open
        lastOpenProblem = nil
        sessionsByID[grant.session] = session
        metrics.sessionsOpen(sessionsByID.count)
        logger.debug("session opened", metadata: ["session": "\(grant.session)", "ttl": "\(timings.ttl)"])
        guard lease.state(at: environment.now) != .lost else {
            return markLost(
                session, reason: "it was acknowledged only after its lease had lapsed", loss: .leaseRanOut)
        }
        scheduleRenewal(session, at: firstSentAt + timings.renewalInterval)
        updateLeaseState(session)
        free(session)
    }

    private func openFailed(_ session: PoolSession, _ error: PadlockError, definitive: Bool) {
        lastOpenProblem = Problem(error.message, retryAfter: error.retryAfter)
        session.state = .closed
        sessions.remove(session)
        guard definitive else { return openSessionsIfNeeded() }
        // Bad credentials or a refused owner will not change: every call of that owner waiting for a session
        // hears it now.
        let waiting = sessionWaiters.filter { $0.owner == session.owner }
        sessionWaiters.removeAll { $0.owner == session.owner }
        for call in waiting { call.finish(.failed(error, nil)) }
    }

    /// Sets when `session`'s next renewal falls due; at that time it is renewed with every session due soon.
    func scheduleRenewal(_ session: PoolSession, at instant: ContinuousClock.Instant) {
        session.renewalTimer?.cancel()
        session.renewalDue = instant
        session.renewalTimer = environment.schedule(after: instant - environment.now) { [weak self, weak session] in
            guard let self, let session else { return }
            session.renewalTimer = nil
            self.renewDue(session)
        }
    }

    /// Tells the session's locks its lease state when it changed, and sets a timer for the next change:
    /// `.atRisk` when the deadline is within the window, `.lost` when it passes. Computed locally, never
    /// waiting for the cluster.
    func updateLeaseState(_ session: PoolSession) {
        guard session.state == .open, let lease = session.lease else { return }
        session.stateTimer?.cancel()
        session.stateTimer = nil
        let now = environment.now
        let state = lease.state(at: now)
        if state == .lost {
            return markLost(session, reason: "no renewal was acknowledged before its deadline", loss: .leaseRanOut)
        }
        if state != session.publishedState {
            session.publishedState = state
            if state == .atRisk {
                logger.warning(
                    "locks at risk", metadata: ["session": "\(session.id!)", "locks": "\(session.locks.count)"])
            }
            for lock in session.locks.values { lock.publish() }
            reportLocksAtRisk()
        }
        let next = lease.nextChange(after: state)
        // One millisecond late, so the timer never fires just before the transition it waits for.
        session.stateTimer = environment.schedule(after: next - now + .milliseconds(1)) { [weak self, weak session] in
            guard let self, let session else { return }
            session.stateTimer = nil
            self.updateLeaseState(session)
        }
    }

    /// Abandons `session`: it is never renewed or used again, and every lock of it is `.lost`, for `loss`
    /// (by default: the session ended, for `reason`). The cluster expires it on its own (with lock-delay),
    /// which releases anything it still holds.
    func markLost(_ session: PoolSession, reason: String, loss: LockLossReason? = nil) {
        guard session.state == .open || session.state == .opening else { return }
        session.state = .lost
        // Whatever the session's outstanding or settling requests did, the session's end releases it.
        for request in resolutionWaiters.keys where request.session == session.id {
            answerUnsettled(request, as: .answerNotKept)
        }
        session.lease?.end()
        session.stopTimers()
        sessions.remove(session)
        if let id = session.id {
            sessionsByID[id] = nil
            dropEvents(for: id)
        }
        let locks = session.locks.values.sorted { $0.key < $1.key }
        session.locks = [:]
        if !locks.isEmpty {
            logger.warning(
                "locks lost",
                metadata: [
                    "session": "\(session.id.map { "\($0)" } ?? "?")", "reason": "\(reason)",
                    "keys": "\(locks.map(\.key.string).joined(separator: ", "))",
                ])
        }
        // A lock whose release was sent ends with that release's answer: released if it was applied before the
        // session ended (the cluster's notices then never name it), lost otherwise.
        let ended = locks.filter { !$0.isReleasing }
        for lock in ended { lock.end(.lost, reason: loss ?? .sessionEnded(reason)) }
        metrics.locksLost(ended.count)
        metrics.sessionsOpen(sessionsByID.count)
        reportLocksAtRisk()
        let waiting = session.dedicatedWaiters
        session.dedicatedWaiters = []
        for call in waiting { call.finish(.failed(Self.sessionGone, nil)) }
        openSessionsIfNeeded()
    }

    func reportLocksAtRisk() {
        let count = sessions.filter { $0.state == .open && $0.publishedState == .atRisk }.map(\.locks.count)
            .reduce(0, +)
        metrics.locksAtRisk(count)
    }
}

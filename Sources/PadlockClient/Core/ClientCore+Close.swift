import Wire

extension ClientCore {
    /// Closes the client (rule 9): every call in progress is answered `cancelled`, every open session is
    /// closed with `closeSession` (a clean release of its locks, without lock-delay), and then every
    /// connection is closed. Sessions still unanswered at `closeDeadline` are left to expire on their own.
    ///
    /// A session busy with an outstanding request is closed too: the close carries a later sequence, so the
    /// outstanding request either was applied before it (and its lock or waiter goes with the session) or
    /// never will be.
    func close(completion: @escaping () -> Void) {
        guard !isClosing else { return completion() }
        isClosing = true
        stopEvents()
        let cancelling = cancellers.values
        cancellers = [:]
        for cancel in cancelling { cancel() }
        let waiting = sessionWaiters
        sessionWaiters = []
        for call in waiting { call.finish(.failed(.clientClosed, nil)) }
        for (_, waiters) in resolutionWaiters { for waiter in waiters { waiter(.failure(.clientClosed)) } }
        resolutionWaiters = [:]
        let open = sessions.filter { $0.state == .open }
        for session in sessions where session.state != .open {
            session.stopTimers()
            session.state = .closed
        }
        var pending = open.count
        let finish = { [weak self] in
            guard let self else { return completion() }
            self.transport.shutDown()
            // Locks and the core refer to each other through the handle; the closed client breaks the cycle.
            self.handle = nil
            self.metrics.sessionsOpen(0)
            self.metrics.locksAtRisk(0)
            completion()
        }
        guard pending > 0 else { return finish() }
        let deadline = environment.now + configuration.closeDeadline
        for session in open {
            closeSession(session, deadline: deadline) { _ in
                pending -= 1
                if pending == 0 { finish() }
            }
        }
    }

    /// Ends every session of `owner` cleanly (sign-out): each is closed with `closeSession`, which releases
    /// its locks without lock-delay; calls of that owner still waiting for a session are answered `cancelled`.
    /// Answers how many locks were released, or `unavailable` when some session could not be closed in time
    /// (its locks are then lost and expire with the session).
    func releaseAll(owner: String, ticket: CallTicket, completion: @escaping (Result<Int, PadlockError>) -> Void) {
        guard admit(ticket, completion) else { return }
        let waiting = sessionWaiters.filter { $0.owner == owner }
        sessionWaiters.removeAll { $0.owner == owner }
        for call in waiting { call.finish(.failed(Self.ownerSignedOut(owner), nil)) }
        let mine = sessions.remove(of: owner) { $0.state == .open }
        // Closed from now on: an acquire still in flight on one of them ends `cancelled` instead of retrying.
        for session in mine { session.state = .closed }
        var pending = mine.count
        var released = 0
        var unconfirmed = 0
        guard pending > 0 else { return complete(ticket, "releaseAll", .success(0), completion) }
        let deadline = callDeadline()
        for session in mine {
            let count = session.locks.count
            closeSession(session, deadline: deadline) { [weak self] closed in
                if closed { released += count } else { unconfirmed += count }
                pending -= 1
                guard pending == 0, let self else { return }
                self.metrics.sessionsOpen(self.sessionsByID.count)
                let result: Result<Int, PadlockError> =
                    unconfirmed == 0
                    ? .success(released)
                    : .failure(
                        .unavailable(
                            "\(released) locks of \(owner) were released, but \(unconfirmed) could not be before the "
                                + "deadline; they are lost and expire with their sessions (with lock-delay)"))
                self.complete(ticket, "releaseAll", result, completion)
                self.openSessionsIfNeeded()
            }
        }
    }

    /// The answer of a call of `owner` that `releaseAll(owner:)` overtook.
    static func ownerSignedOut(_ owner: String) -> PadlockError {
        PadlockError(
            .cancelled, "releaseAll(owner: \(owner)) ended this owner's sessions while the call was in progress")
    }

    /// Closes one session with `closeSession`, which releases its locks cleanly; `done` says whether the
    /// cluster confirmed it (otherwise its locks are lost and it expires on its own).
    func closeSession(_ session: PoolSession, deadline: ContinuousClock.Instant, done: @escaping (Bool) -> Void) {
        session.stopTimers()
        let waiting = session.dedicatedWaiters
        session.dedicatedWaiters = []
        for call in waiting { call.finish(.failed(.clientClosed, nil)) }
        let id = session.nextRequestID()
        onRequestNumbered?(.closeSession(id))
        let exchange = Exchange(
            .closeSession(id), kind: .mutating, label: "closeSession", deadline: deadline,
            attemptTimeout: configuration.attemptTimeout, transport: transport)
        exchange.start { [weak self] outcome in
            let closed: Bool
            if case .answered(.success(.sessionClosed), _, _) = outcome { closed = true } else { closed = false }
            if !closed {
                self?.logger.warning(
                    "session not closed cleanly; it expires on its own",
                    metadata: [
                        "session": "\(session.id.map { "\($0)" } ?? "?")", "outcome": "\(outcome)",
                    ])
            }
            // A close that was not confirmed may or may not have been applied: its fate stays unknown.
            self?.onRequestSettled?(id, closed ? .sessionClosed : .answerNotKept)
            session.state = .closed
            session.lease?.end()
            let locks = session.locks.values
            session.locks = [:]
            let unconfirmed = LockLossReason.sessionEnded("it could not be closed in time; the cluster expires it")
            for lock in locks { lock.end(closed ? .released : .lost, reason: unconfirmed) }
            if let id = session.id {
                self?.sessionsByID[id] = nil
                self?.dropEvents(for: id)
            }
            done(closed)
        }
    }
}

import EventLoop

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
        let deadline = loop.now + configuration.closeDeadline
        for session in open {
            closeSession(session, deadline: deadline) {
                pending -= 1
                if pending == 0 { finish() }
            }
        }
    }

    private func closeSession(_ session: PoolSession, deadline: Ticks, done: @escaping () -> Void) {
        session.stopTimers()
        let waiting = session.dedicatedWaiters
        session.dedicatedWaiters = []
        for call in waiting { call.finish(.failed(.clientClosed, nil)) }
        let exchange = Exchange(
            .closeSession(session.nextRequestID()), kind: .mutating, label: "closeSession", deadline: deadline,
            attemptTimeout: configuration.attemptTimeout, transport: transport)
        exchange.start { [weak self] outcome in
            let closed: Bool
            if case .answered(.success(.sessionClosed), _, _) = outcome { closed = true } else { closed = false }
            if !closed {
                self?.logger.warning("session not closed cleanly; it expires on its own", metadata: [
                    "session": "\(session.id.map { "\($0)" } ?? "?")", "outcome": "\(outcome)",
                ])
            }
            session.state = .closed
            session.lease?.end()
            let locks = session.locks.values
            session.locks = [:]
            for lock in locks { lock.end(closed ? .released : .lost) }
            if let id = session.id { self?.sessionsByID[id] = nil }
            done()
        }
    }
}

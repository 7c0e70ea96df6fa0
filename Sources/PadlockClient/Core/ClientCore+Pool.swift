import Wire

// The session pool (rule 4): sessions are opened lazily up to `maximumConcurrentSessions`; each carries at
// most one mutating request at a time; a call waits, under its own deadline, for a free session.

extension ClientCore {
    /// Starts `call`: on a free suitable session now, or once one frees or opens.
    func startMutation(_ call: MutationCall) {
        if let dedicated = call.dedicated {
            guard dedicated.state == .open else {
                return call.finish(.failed(Self.sessionGone, nil))
            }
            if !dedicated.isBusy { return assign(call, to: dedicated) }
            dedicated.dedicatedWaiters.append(call)
        } else {
            if let session = freeSession(for: call.keys, owner: call.owner) { return assign(call, to: session) }
            guard sessionWaiters.count < configuration.maximumWaitingCalls else {
                let retryAfter = PadlockError.localOverloadRetryAfter
                return call.finish(
                    .failed(
                        .unavailable(
                            "\(sessionWaiters.count) calls already wait for a free session (maximumWaitingCalls); "
                                + "retry in \(Wording.duration(retryAfter))", retryAfter: retryAfter), nil))
            }
            sessionWaiters.append(call)
            openSessionsIfNeeded()
        }
        call.waitTimer = environment.schedule(after: call.deadline - environment.now) { [weak self, weak call] in
            guard let self, let call, call.phase == .waitingForSession else { return }
            self.removeWaiter(call)
            let busy = self.sessions.filter(\.isBusy).count
            var problem = Problem("no session was free before the deadline (\(self.sessions.count) open, \(busy) busy)")
            // Why no session opened, such as a quota the cluster enforces or an overload.
            if let why = self.lastOpenProblem ?? self.sessions.lazy.compactMap(\.opening).first?.problem {
                problem = Problem(problem.text + "; opening one: \(why.text)", retryAfter: why.retryAfter)
            }
            call.finish(.gaveUp(mayHaveApplied: false, problem: problem, nil, nil))
        }
    }

    /// Takes a waiting call out of line (deadline, cancellation).
    func removeWaiter(_ call: MutationCall) {
        sessionWaiters.removeAll { $0 === call }
        call.dedicated?.dedicatedWaiters.removeAll { $0 === call }
    }

    /// The least loaded open, free session of `owner` that may acquire `keys`.
    private func freeSession(for keys: [LockKey], owner: String) -> PoolSession? {
        // One pass without an intermediate array: this runs for every acquire and release.
        var best: PoolSession?
        for session in sessions.of(owner) where session.state == .open && !session.isBusy {
            guard session.accepts(keys) else { continue }
            if let chosen = best, chosen.locks.count <= session.locks.count { continue }
            best = session
        }
        return best
    }

    /// Marks `session` busy with `call` and sends its request.
    func assign(_ call: MutationCall, to session: PoolSession) {
        precondition(!session.isBusy, "session \(String(describing: session.id)) given a second request")
        call.waitTimer?.cancel()
        call.waitTimer = nil
        session.isBusy = true
        session.reservedKeys = call.keys
        call.session = session
        call.phase = .sending
        send(call, on: session)
    }

    /// Numbers and sends `call`'s request on `session`, which the caller has already made busy.
    func send(_ call: MutationCall, on session: PoolSession) {
        let id = session.nextRequestID()
        call.requestID = id
        session.activeRequest = id
        let operation = call.build(id)
        onRequestNumbered?(operation)
        let exchange = Exchange(
            operation, kind: .mutating, label: call.label, deadline: call.deadline,
            attemptTimeout: call.attemptTimeout, transport: transport)
        exchange.trace = call.trace
        if environment.injectedBugs.freshSequenceOnRetry {
            // The injected bug: each retry is numbered anew, so the cluster cannot tell it is the same request.
            exchange.renumber = { [weak session] in session.map { call.build($0.nextRequestID()) } ?? call.build(id) }
        }
        call.exchange = exchange
        // The exchange holds the call until it finishes; `finish` drops the exchange again.
        exchange.start { outcome in
            switch outcome {
            case .answered(let result, _, _): call.finish(.answered(result, session, id))
            case .gaveUp(let may, let problem): call.finish(.gaveUp(mayHaveApplied: may, problem: problem, session, id))
            case .refused(let error): call.finish(.failed(error, session))
            }
        }
    }

    /// Cancels `call` wherever it is; the outcome says whether its request may have been applied.
    func cancelMutation(_ call: MutationCall) {
        switch call.phase {
        case .waitingForSession:
            removeWaiter(call)
            call.finish(.cancelled(mayHaveApplied: false, nil, nil))
        case .sending:
            let may = call.exchange?.cancel() ?? false
            call.finish(.cancelled(mayHaveApplied: may, call.session, call.requestID))
        case .done:
            return
        }
    }

    /// Frees `session` for the next call: its own waiters first (releases), then the oldest suitable waiter.
    func free(_ session: PoolSession) {
        if let active = session.activeRequest { answerUnsettled(active) }
        session.isBusy = false
        session.reservedKeys = []
        session.changingMode = nil
        session.activeRequest = nil
        guard session.state == .open, !isClosing else { return }
        if !session.dedicatedWaiters.isEmpty {
            return assign(session.dedicatedWaiters.removeFirst(), to: session)
        }
        if let index = sessionWaiters.firstIndex(where: { call in
            call.owner == session.owner && session.accepts(call.keys)
        }) {
            return assign(sessionWaiters.remove(at: index), to: session)
        }
        // Nobody of this owner waits: another owner's call may need its place in a full pool.
        if !sessionWaiters.isEmpty { openSessionsIfNeeded() }
    }

    /// Answers any `resolve` still waiting for `request` once nothing will settle it: from the book when its
    /// fate was recorded, else with the news that it could not be learned (a path that recorded nothing).
    func answerUnsettled(_ request: RequestID, as fallback: Resolution? = nil) {
        guard let waiters = resolutionWaiters.removeValue(forKey: request) else { return }
        let answer: Result<Resolution, PadlockError> =
            (resolutions[request] ?? fallback).map { .success($0) }
            ?? .failure(.unavailable("the fate of request \(request) could not be learned; inspect the keys concerned"))
        for waiter in waiters { waiter(answer) }
    }

    /// Opens sessions for the calls that wait, each of its owner, within the pool's bounds: at most
    /// `maximumConcurrentSessions` in all (closing idle sessions of other owners to make room) and
    /// `maximumSessionsPerOwner` per owner. A session already opening serves one waiting call of its owner.
    func openSessionsIfNeeded() {
        guard !isClosing, !sessionWaiters.isEmpty else { return }
        // Counted only for the owners that wait, through the pool's owner index.
        var opening: [String: Int] = [:]
        var perOwner: [String: Int] = [:]
        for call in sessionWaiters where perOwner[call.owner] == nil {
            (perOwner[call.owner], opening[call.owner]) = sessions.counts(of: call.owner)
        }
        for call in sessionWaiters {
            if let count = opening[call.owner], count > 0 {
                opening[call.owner] = count - 1
                continue
            }
            let ownerMax = configuration.maximumSessionsPerOwner ?? configuration.maximumConcurrentSessions
            guard perOwner[call.owner, default: 0] < ownerMax else { continue }
            if sessions.count >= configuration.maximumConcurrentSessions {
                guard closeIdleSession(notOf: call.owner) else { return }
            }
            openSession(owner: call.owner)
            perOwner[call.owner, default: 0] += 1
        }
    }

    /// Closes the least recently useful idle session of another owner than `owner`, to make room in a full
    /// pool; returns false when there is none. Its close releases nothing (it holds no lock).
    private func closeIdleSession(notOf owner: String) -> Bool {
        guard let session = sessions.first(where: { $0.owner != owner && $0.isIdle }) else { return false }
        sessions.remove(session)
        metrics.sessionEvicted()
        closeSession(session, deadline: environment.now + configuration.closeDeadline) { _ in }
        return true
    }

    static let sessionGone = PadlockError(
        .lockLost, "the lock's session has ended (its lease lapsed or the cluster ended it); the lock is gone")
}

import Wire

extension ClientCore {
    /// What became of `request`: from this client's own book when it sent the request (waiting while the
    /// request is outstanding or being settled), else from the cluster's `resolve`.
    func resolve(
        _ request: RequestID, ticket: CallTicket, completion: @escaping (Result<Resolution, PadlockError>) -> Void
    ) {
        guard admit(ticket, completion) else { return }
        if let known = resolutions[request] { return complete(ticket, "resolve", .success(known), completion) }
        var answered = false
        let reply: (Result<Resolution, PadlockError>) -> Void = { [weak self] result in
            guard !answered else { return }
            answered = true
            self?.complete(ticket, "resolve", result, completion)
        }
        if let session = sessionsByID[request.session] {
            guard session.hasNumbered(request) else {
                // Resolving a sequence this client has not used yet would make the table skip it: refuse.
                return reply(
                    .failure(.invalid("this client never sent request \(request); resolve only ids it reported")))
            }
            if resolutionWaiters[request] != nil || session.activeRequest == request {
                resolutionWaiters[request, default: []].append(reply)
                cancellers[ticket.id] = { reply(.failure(.callCancelled)) }
                return
            }
        }
        let exchange = Exchange(
            .resolve(request), kind: .read, label: "resolve", deadline: callDeadline(),
            attemptTimeout: configuration.attemptTimeout, transport: transport)
        exchange.trace = ticket.trace
        cancellers[ticket.id] = { [weak exchange] in
            _ = exchange?.cancel()
            reply(.failure(.callCancelled))
        }
        exchange.start { [weak self] outcome in
            guard let self else { return }
            switch outcome {
            case .answered(.success(let answer), _, _): reply(.success(Self.resolution(of: answer)))
            case .answered(.failure(let failure), _, _): reply(self.resolution(of: failure))
            case .refused(let error): reply(.failure(error))
            case .gaveUp(_, let problem):
                reply(
                    .failure(
                        .unavailable(
                            "no leader answered the resolve before the deadline: \(problem); ask again",
                            retryAfter: problem.retryAfter)))
            }
        }
    }

    private static func resolution(of answer: ClientResult) -> Resolution {
        switch answer {
        case .granted(let holder): .granted(holder)
        case .grantedKeys(let holders): holders.first.map { .granted($0) } ?? .answerNotKept
        case .holdPlaced(let hold, _): .holdPlaced(hold)
        case .holdsLifted(let holds): .holdsLifted(holds)
        case .released: .released
        case .forceUnlocked(let previous): .forceUnlocked(previous)
        case .sessionRevoked: .sessionRevoked
        case .sessionClosed: .sessionClosed
        case .waitCancelled: .notApplied
        default: .answerNotKept
        }
    }

    private func resolution(of failure: ClientFailure) -> Result<Resolution, PadlockError> {
        switch failure {
        case .unknownRequest: .success(.notApplied)
        case .superseded, .sessionExpired: .success(.answerNotKept)
        case .invalidArgument, .permissionDenied: .failure(error(for: failure, in: "resolve"))
        default: .success(.refused(error(for: failure, in: "request")))
        }
    }

    /// An administrator's force-unlock of `key`: answers every holder it released (none when nobody held
    /// it); this client's own locks among them are lost from now on.
    func forceUnlock(
        _ key: LockKey, reason: String, ticket: CallTicket,
        completion: @escaping (Result<[Holder], PadlockError>) -> Void
    ) {
        administer(
            "forceUnlock", build: { .forceUnlock($0, key: key, reason: reason) }, ticket: ticket,
            answered: {
                [weak self] answer, _ in
                guard let self else { return .failure(.clientClosed) }
                switch answer {
                case .success(.forceUnlocked(let previous)):
                    self.noteForcedRelease(of: previous, key: key, reason: reason)
                    return .success(.forceUnlocked(previous))
                case .failure(.notHeld): return .success(.forceUnlocked([]))
                case .success(let other): return .failure(PadlockClient.unexpected(other, "forceUnlock"))
                case .failure(let failure): return .failure(self.error(for: failure, in: "forceUnlock", key: key))
                }
            }
        ) { result in
            completion(
                result.map { fate in
                    if case .forceUnlocked(let previous) = fate { previous } else { [] }
                })
        }
    }

    /// An administrator's revocation of `session`; `sessionExpired` when it has already ended.
    func revokeSession(
        _ session: SessionID, reason: String, ticket: CallTicket,
        completion: @escaping (Result<Void, PadlockError>) -> Void
    ) {
        administer(
            "revokeSession", build: { .revokeSession($0, target: session, reason: reason) }, ticket: ticket,
            answered: {
                [weak self] answer, _ in
                guard let self else { return .failure(.clientClosed) }
                switch answer {
                case .success(.sessionRevoked):
                    if let ours = self.sessionsByID[session] {
                        self.markLost(
                            ours, reason: "revoked by \(self.owner)",
                            loss: .cluster(.sessionRevoked(by: self.owner, reason: reason)))
                    }
                    return .success(.sessionRevoked)
                case .failure(.sessionExpired):
                    // About the target: this client's own session would have said so through its renewals.
                    return .failure(PadlockError(.sessionExpired, "\(session) has already ended; nothing was revoked"))
                case .success(let other): return .failure(PadlockClient.unexpected(other, "revokeSession"))
                case .failure(let failure): return .failure(self.error(for: failure, in: "revokeSession"))
                }
            }
        ) { result in completion(result.map { _ in () }) }
    }

    /// Runs an administrative request on any free pool session; `answered` maps the cluster's final answer.
    func administer(
        _ label: String, build: @escaping (RequestID) -> ClientOperation, ticket: CallTicket,
        answered: @escaping (Result<ClientResult, ClientFailure>, PoolSession) -> Result<Resolution, PadlockError>,
        completion: @escaping (Result<Resolution, PadlockError>) -> Void
    ) {
        administer(label, build: build, ticket: ticket, answered: answered, fate: { $0 }, completion: completion)
    }

    /// Runs an administrative request on any free pool session; `answered` maps the cluster's final answer to
    /// the call's value, and `fate` that value to what `resolve` reports.
    func administer<Value>(
        _ label: String, build: @escaping (RequestID) -> ClientOperation, ticket: CallTicket,
        answered: @escaping (Result<ClientResult, ClientFailure>, PoolSession) -> Result<Value, PadlockError>,
        fate: @escaping (Value) -> Resolution, completion: @escaping (Result<Value, PadlockError>) -> Void
    ) {
        guard admit(ticket, completion) else { return }
        let settle: (PoolSession, RequestID) -> Void = { [weak self] session, id in
            self?.settleByResolving(session, id) { answer in
                (try? answered(answer, session).get()).map(fate) ?? .answerNotKept
            }
        }
        let call = MutationCall(
            label: label, key: nil, owner: owner, dedicated: nil, deadline: callDeadline(),
            attemptTimeout: configuration.attemptTimeout, build: build
        ) { [weak self] outcome in
            guard let self else { return }
            let result: Result<Value, PadlockError>
            switch outcome {
            case .answered(let answer, let session, let id):
                result = answered(answer, session)
                self.settled(id, result.map(fate).resolution)
                if session.isBusy && session.activeRequest == id { self.free(session) }
            case .gaveUp(let may, let problem, let session, let id):
                if may, let session, let id {
                    settle(session, id)
                    result = .failure(.outcomeUnknown(id, "the \(label)"))
                } else {
                    if let id { self.settled(id, .notApplied) }
                    if let session { self.free(session) }
                    result = .failure(
                        .unavailable(
                            "no leader answered the \(label) before the deadline: \(problem)",
                            retryAfter: problem.retryAfter))
                }
            case .failed(let error, let session):
                if let session { self.free(session) }
                result = .failure(error)
            case .cancelled(let may, let session, let id):
                if may, let session, let id {
                    settle(session, id)
                } else if let session {
                    self.free(session)
                }
                result = .failure(.callCancelled)
            }
            self.complete(ticket, label, result, completion)
        }
        call.trace = ticket.trace
        cancellers[ticket.id] = { [weak self] in self?.cancelMutation(call) }
        startMutation(call)
    }

    /// Marks this client's own locks among `previous` (holders a force-unlock released) as lost.
    func noteForcedRelease(of previous: [Holder], key: LockKey, reason: String) {
        for holder in previous {
            guard let session = sessionsByID[holder.session], let lock = session.locks[key], lock.fence == holder.fence
            else { continue }
            logger.warning("lock released by force", metadata: ["key": "\(key)", "fence": "\(holder.fence)"])
            forget(lock, in: session, as: .lost, reason: .cluster(.forceUnlocked(by: owner, reason: reason)))
        }
    }
}

extension Result where Success == Resolution, Failure == PadlockError {
    /// What `resolve` reports for this outcome: the resolution, or the refusal.
    var resolution: Resolution {
        switch self {
        case .success(let resolution): resolution
        case .failure(let error): .refused(error)
        }
    }
}

import Wire

/// The arguments of an acquire, validated by the public API.
struct AcquireSpec {
    var key: LockKey
    /// The owner label of the session it goes through (the call's, or the client's default).
    var owner: String
    var mode: LockMode
    var waitMilliseconds: UInt64
    var note: String
    /// A takeover's reason: the acquire ends every conflicting holder at once instead of waiting (the wait
    /// is then 0). Nil for an ordinary acquire.
    var takeover: String? = nil
    /// Told each new queue position of the acquire while it waits (1: next).
    var onQueuePosition: (@Sendable (Int) -> Void)? = nil
    /// The roles the requester claims, checked against holds (`docs/holds.md`).
    var roles: [String] = []
    /// Every key of an all-or-nothing acquire (the first is `key`); nil for a single-key acquire.
    var batch: [LockKey]? = nil

    /// The keys asked for, in the request's order.
    var keys: [LockKey] { batch ?? [key] }

    /// What the acquire is called in messages: its key, or its keys.
    var subject: String {
        guard let batch, batch.count > 1 else { return "\(key)" }
        return batch.map(\.string).joined(separator: ", ")
    }

    /// The request to send for `id`: a takeover, an acquire of several keys or with roles (protocol v3), or
    /// a plain acquire.
    func operation(_ id: RequestID) -> ClientOperation {
        let acquisition = Acquisition(key: key, mode: mode, waitMilliseconds: waitMilliseconds, note: note)
        if let takeover { return .takeover(id, acquisition, reason: takeover) }
        if batch != nil || !roles.isEmpty { return .acquireKeys(id, keys: keys, acquisition, roles: roles) }
        return .acquire(id, acquisition)
    }
}

extension ClientCore {
    /// Acquires `spec.key` on a pool session. An acquire that may wait gets its wait on top of the deadline
    /// and of each attempt's timeout, since the cluster answers it only when it is granted or times out.
    func acquire(_ spec: AcquireSpec, ticket: CallTicket, completion: @escaping (Result<Lock, PadlockError>) -> Void) {
        acquireKeys(spec, ticket: ticket) { result in
            completion(
                result.flatMap { locks in
                    locks.first.map { .success($0) } ?? .failure(.unavailable("the cluster granted no key; retry"))
                })
        }
    }

    /// Acquires every key of `spec` at once (all or nothing), answering the locks in the keys' order.
    func acquireKeys(
        _ spec: AcquireSpec, ticket: CallTicket, completion: @escaping (Result<[Lock], PadlockError>) -> Void
    ) {
        guard admit(ticket, completion) else { return }
        let started = environment.now
        let deadline = callDeadline(extra: .milliseconds(Int64(spec.waitMilliseconds)))
        startAcquire(spec, ticket: ticket, deadline: deadline) { [weak self] result in
            guard let self else { return }
            let outcome = (try? result.get()).map { _ in "ok" } ?? (result.failure?.code.name ?? "error")
            self.metrics.acquired(after: self.environment.now - started, outcome: outcome)
            self.complete(ticket, "acquire", result, completion)
        }
    }

    private func startAcquire(
        _ spec: AcquireSpec, ticket: CallTicket, deadline: ContinuousClock.Instant,
        done: @escaping (Result<[Lock], PadlockError>) -> Void
    ) {
        let call = MutationCall(
            label: spec.takeover == nil ? "acquire" : "takeover", key: spec.key, keys: spec.keys, owner: spec.owner,
            dedicated: nil, deadline: deadline,
            attemptTimeout: configuration.attemptTimeout + .milliseconds(Int64(spec.waitMilliseconds)),
            build: { [weak self] id in
                self?.acquireNumbered(id, spec)
                return spec.operation(id)
            },
            onOutcome: { [weak self] outcome in
                if let id = outcome.requestID { self?.events.positions[id] = nil }
                self?.acquireEnded(outcome, spec: spec, ticket: ticket, deadline: deadline, done: done)
            })
        call.trace = ticket.trace
        cancellers[ticket.id] = { [weak self] in self?.cancelMutation(call) }
        startMutation(call)
    }

    /// An acquire that may wait was numbered: its session is subscribed, so that its queue positions (and, once
    /// granted, the lock's loss) reach the client.
    private func acquireNumbered(_ id: RequestID, _ spec: AcquireSpec) {
        guard spec.waitMilliseconds > 0 else { return }
        if let onQueuePosition = spec.onQueuePosition { events.positions[id] = (onQueuePosition, nil) }
        wantEvents(for: id.session, after: nil)
    }

    private func acquireEnded(
        _ outcome: MutationOutcome, spec: AcquireSpec, ticket: CallTicket, deadline: ContinuousClock.Instant,
        done: @escaping (Result<[Lock], PadlockError>) -> Void
    ) {
        switch outcome {
        case .answered(_, let session, let id) where session.state == .closed:
            // releaseAll(owner:) closed the session under this acquire: the close releases whatever it was
            // granted, and the owner signed out, so the acquire ends rather than retrying on a new session.
            settled(id, .answerNotKept)
            done(.failure(Self.ownerSignedOut(spec.owner)))
        case .answered(.success(.granted(let holder)), let session, let id) where spec.keys.count == 1:
            acquireGranted(
                [holder], session: session, id: id, spec: spec, ticket: ticket, deadline: deadline, done: done)
        case .answered(.success(.grantedKeys(let holders)), let session, let id) where holders.count == spec.keys.count:
            acquireGranted(
                holders, session: session, id: id, spec: spec, ticket: ticket, deadline: deadline, done: done)
        case .answered(.failure(.sessionExpired), let session, let id):
            // The session ended, so this request was not applied (and whatever it held is released): retry on
            // a new session under the same deadline.
            markLost(session, reason: "the cluster says it ended")
            settled(id, .answerNotKept)
            retryAcquire(spec, ticket: ticket, deadline: deadline, done: done, "its session ended")
        case .answered(.failure(.superseded), let session, let id):
            markLost(session, reason: "the cluster no longer keeps its answers (superseded)")
            settled(id, .answerNotKept)
            done(.failure(.unavailable("the cluster lost track of the acquire's session; retry")))
        case .answered(.failure(let failure), let session, let id):
            let error = self.error(
                for: failure, in: "acquire", key: spec.batch == nil ? spec.key : nil, owner: spec.owner
            ).naming(spec)
            settled(id, .refused(error))
            free(session)
            done(.failure(error))
        case .answered(.success(let other), let session, let id):
            settled(id, .answerNotKept)
            free(session)
            done(.failure(.unavailable("the cluster answered the acquire with \(other); retry")))
        case .gaveUp(let may, let problem, let session, let id):
            if may, let session, let id {
                // Never leak a grant (rule 7): the session stays busy until the request is settled.
                settleAcquire(session, id, spec)
                return done(.failure(.outcomeUnknown(id, "the acquire of \(spec.subject)")))
            }
            if let session { free(session) }
            if let id { settled(id, .notApplied) }
            done(
                .failure(
                    .unavailable(
                        "could not acquire \(spec.subject) before the deadline: \(problem)",
                        retryAfter: problem.retryAfter)
                ))
        case .failed(let error, let session):
            if let session { free(session) }
            done(.failure(error))
        case .cancelled(let may, let session, let id):
            if may, let session, let id {
                settleAcquire(session, id, spec)
            } else {
                if let session { free(session) }
                if let id { settled(id, .notApplied) }
            }
            done(.failure(.callCancelled))
        }
    }

    /// The cluster granted every key of `spec` to `session`, one holder per key in the keys' order.
    private func acquireGranted(
        _ holders: [Holder], session: PoolSession, id: RequestID, spec: AcquireSpec, ticket: CallTicket,
        deadline: ContinuousClock.Instant, done: @escaping (Result<[Lock], PadlockError>) -> Void
    ) {
        // A grant that arrives after the lease lapsed (the client was paused, or the answer was slow) finds the
        // session lost even if its loss timer has not fired yet: the cluster may have expired it and granted
        // the keys to others meanwhile.
        updateLeaseState(session)
        guard session.state == .open, let lease = session.lease, let first = holders.first else {
            // The session was lost while the grant travelled; the cluster expires both. Try a new session.
            settled(id, .answerNotKept)
            return retryAcquire(spec, ticket: ticket, deadline: deadline, done: done, "its session was lost")
        }
        let locks = zip(spec.keys, holders).map { key, holder in
            Lock(key: key, holder: holder, requestID: id, lease: lease, client: handle)
        }
        for lock in locks { session.locks[lock.key] = lock }
        // Their losses from the grant on: the fence is the grant's log index.
        wantEvents(for: first.session, after: max(first.fence.rawValue, 1) - 1)
        settled(id, .granted(first))
        free(session)
        done(.success(locks))
    }

    private func retryAcquire(
        _ spec: AcquireSpec, ticket: CallTicket, deadline: ContinuousClock.Instant,
        done: @escaping (Result<[Lock], PadlockError>) -> Void,
        _ why: String
    ) {
        guard environment.now < deadline, !isClosing else {
            return done(.failure(.unavailable("could not acquire \(spec.subject) before the deadline: \(why)")))
        }
        metrics.retry("acquire")
        startAcquire(spec, ticket: ticket, deadline: deadline, done: done)
    }

    /// Releases `lock` through its own session. Not cancellable: abandoning a release would leave it held.
    func release(_ lock: Lock, ticket: CallTicket, completion: @escaping (Result<Void, PadlockError>) -> Void) {
        if isClosing {
            // `close()` closes the lock's session, which releases it; a release queued behind it would never run.
            return completion(lock.state == .released ? .success(()) : .failure(.clientClosed))
        }
        guard let session = sessionsByID[lock.holder.session], session.state == .open, session.locks[lock.key] === lock
        else {
            if lock.state == .released { return completion(.success(())) }
            // A notice that ended the lock may have arrived after `Lock.release` looked at its state.
            if lock.state == .lost { return complete(ticket, "release", .failure(lock.lostBeforeRelease), completion) }
            lock.end(.lost)
            return complete(ticket, "release", .failure(Self.sessionGone), completion)
        }
        let reply: (Result<Void, PadlockError>) -> Void = { [weak self] result in
            self?.complete(ticket, "release", result, completion)
        }
        let call = startRelease(lock, on: session, deadline: callDeadline(), trace: ticket.trace, reply: reply)
        // Only `close()` uses this: the ticket is not cancellable, so the task's cancellation never reaches it.
        cancellers[ticket.id] = { [weak self] in self?.cancelMutation(call) }
    }

    /// Sends a release of `lock` through `session` once it is free; `reply` is nil for a background release.
    @discardableResult
    func startRelease(
        _ lock: Lock, on session: PoolSession, deadline: ContinuousClock.Instant, trace: TraceContext? = nil,
        reply: ((Result<Void, PadlockError>) -> Void)?
    ) -> MutationCall {
        lock.noteReleaseSent()
        let call = MutationCall(
            label: "release", key: nil, owner: session.owner, dedicated: session, deadline: deadline,
            attemptTimeout: configuration.attemptTimeout,
            build: { .release($0, key: lock.key, fence: lock.fence) },
            onOutcome: { [weak self] outcome in self?.releaseEnded(outcome, lock: lock, reply: reply) })
        call.trace = trace
        startMutation(call)
        return call
    }

    private func releaseEnded(
        _ outcome: MutationOutcome, lock: Lock, reply: ((Result<Void, PadlockError>) -> Void)?
    ) {
        switch outcome {
        case .answered(let result, let session, let id):
            let error = releaseAnswered(result, lock: lock, session: session, id: id)
            reply?(error.map { .failure($0) } ?? .success(()))
        case .gaveUp(let may, let problem, let session, let id):
            let background = "; the library keeps releasing it in the background until done or its session ends"
            if let session {
                settleRelease(session, lock, pending: may ? id : nil, round: 1)
            } else if let owner = sessionsByID[lock.holder.session], reply != nil {
                startRelease(
                    lock, on: owner, deadline: environment.now + (owner.timings?.ttl ?? .seconds(15)), reply: nil)
            }
            if may, let id {
                reply?(.failure(.outcomeUnknown(id, "the release of \(lock.key)")))
            } else {
                reply?(
                    .failure(.unavailable("could not release \(lock.key) before the deadline: \(problem)\(background)"))
                )
            }
        case .failed(let error, let session):
            if let session { free(session) }
            if error == Self.sessionGone { lock.end(.lost) }
            reply?(.failure(error))
        case .cancelled(_, let session, _):
            if let session { free(session) }
            reply?(.failure(.callCancelled))
        }
    }

    /// Acts on the cluster's answer to a release; returns the error to report, nil when released.
    func releaseAnswered(
        _ result: Result<ClientResult, ClientFailure>, lock: Lock, session: PoolSession, id: RequestID
    ) -> PadlockError? {
        switch result {
        case .success(.released):
            settled(id, .released)
            forget(lock, in: session, as: .released)
            free(session)
            return nil
        case .failure(.notHeld) where lock.state == .released:
            // A concurrent release of the same lock got there first.
            settled(id, .released)
            free(session)
            return nil
        case .failure(.notHeld), .failure(.lockLost):
            let error = self.error(for: .lockLost, in: "release", key: lock.key)
            settled(id, .refused(error))
            forget(lock, in: session, as: .lost)
            free(session)
            return error
        case .failure(.sessionExpired), .failure(.superseded):
            settled(id, .answerNotKept)
            markLost(session, reason: "the cluster says it ended")
            // A lock whose release was in flight when its session was marked lost waited for this answer.
            lock.end(.lost, reason: .sessionEnded("the cluster says the session ended before the release"))
            return self.error(for: .sessionExpired, in: "release", key: lock.key)
        case .failure(let failure):
            settled(id, .refused(self.error(for: failure, in: "release", key: lock.key)))
            free(session)
            return self.error(for: failure, in: "release", key: lock.key)
        case .success(let other):
            settled(id, .answerNotKept)
            free(session)
            return .unavailable("the cluster answered the release with \(other); release again")
        }
    }

    /// Drops `lock` from its session and ends its streams (with why, when lost).
    func forget(_ lock: Lock, in session: PoolSession, as final: LeaseState, reason: LockLossReason? = nil) {
        if session.locks[lock.key] === lock { session.locks[lock.key] = nil }
        lock.end(final, reason: reason)
        if final == .lost { metrics.locksLost(1) }
    }
}

extension PadlockError {
    /// The refusal of an all-or-nothing acquire says which keys it asked for and that none is held.
    func naming(_ spec: AcquireSpec) -> PadlockError {
        guard spec.batch != nil else { return self }
        var error = self
        error.message = "the all-or-nothing acquire of \(spec.subject) was refused and holds none of them: \(message)"
        return error
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

import Wire

// Settling requests whose caller gave up while they may have been applied (rule 7). The session stays busy
// until the fate is known, so no later request of the session can make the table forget the answer. A
// settlement that cannot finish abandons its session: the cluster expires it, releasing whatever it held.

extension ClientCore {
    /// How many rounds a settlement tries before it abandons the session.
    static let settleRoundsMax = 8

    /// Records the fate of `request` and answers every `resolve` waiting for it.
    func settled(_ request: RequestID, _ resolution: Resolution) {
        resolutions.record(request, resolution)
        onRequestSettled?(request, resolution)
        for waiter in resolutionWaiters.removeValue(forKey: request) ?? [] { waiter(.success(resolution)) }
    }

    /// Marks `request` as being settled, so that `resolve` waits for it.
    private func beginSettling(_ request: RequestID) {
        if resolutionWaiters[request] == nil { resolutionWaiters[request] = [] }
    }

    /// Whether a settlement step may go on; ends it when the session is gone or the rounds are used up.
    private func mayContinue(_ session: PoolSession, _ request: RequestID, round: Int) -> Bool {
        if session.state == .open && round <= Self.settleRoundsMax && !isClosing { return true }
        if session.state == .open && !isClosing {
            markLost(session, reason: "a request of it (\(request)) could not be settled")
        }
        settled(request, .answerNotKept)
        return false
    }

    /// Settles an acquire the caller gave up on. The cluster's record of the request is the authority:
    /// `resolve` answers its stored result (a grant, which is then released; a refusal) or, when it was never
    /// applied, records it as abandoned so that it never will be. A resolve of an acquire still queued would
    /// wait as long as the queue does, so an acquire that may wait is looked for among the key's waiters
    /// first and withdrawn with `cancelWait` when it is there. Once a withdrawal may have been applied the
    /// request is superseded and `resolve` no longer knows it, so only a grant on the key can be found.
    func settleAcquire(
        _ session: PoolSession, _ request: RequestID, _ spec: AcquireSpec, round: Int = 1, withdrawn: Bool = false
    ) {
        beginSettling(request)
        guard mayContinue(session, request, round: round) else { return }
        guard spec.waitMilliseconds > 0 else { return resolveAcquire(session, request, spec, round: round) }
        inspectStep(spec.key) { [weak self] inspection in
            guard let self, self.mayContinue(session, request, round: round) else { return }
            guard let inspection else { return self.settleAcquire(session, request, spec, round: round + 1) }
            let waits = inspection.waiters.contains { $0.key == spec.key && $0.session == session.id }
            if waits {
                self.withdraw(session, request, spec, round: round)
            } else if withdrawn {
                self.findLeakedGrant(session, request, spec, round: round)
            } else {
                self.resolveAcquire(session, request, spec, round: round)
            }
        }
    }

    /// Resolves a given-up acquire: the stored answer, or abandoned if it was never applied.
    private func resolveAcquire(_ session: PoolSession, _ request: RequestID, _ spec: AcquireSpec, round: Int) {
        resolveStep(session, request) { [weak self] answer in
            guard let self, self.mayContinue(session, request, round: round) else { return }
            switch answer {
            case .success(.granted(let holder))?:
                self.releaseLeaked(session, request, spec.keys, holder, round: round)
            case .success(.grantedKeys(let holders))? where !holders.isEmpty:
                // One fence for the batch: every key is released with it, key by key.
                self.releaseLeaked(session, request, spec.keys, holders[0], round: round)
            case .failure(.unknownRequest)?:
                self.settled(request, .notApplied)
                self.free(session)
            case .failure(.sessionExpired)?, .failure(.superseded)?:
                self.markLost(session, reason: "the cluster ended it while a request was settled")
                self.settled(request, .answerNotKept)
            case .failure(let failure)?:
                self.settled(request, .refused(self.error(for: failure, in: "acquire", key: spec.key)))
                self.free(session)
            case .success?:
                self.settled(request, .answerNotKept)
                self.free(session)
            case nil:
                self.settleAcquire(session, request, spec, round: round + 1)
            }
        }
    }

    /// Withdraws a given-up acquire seen queued. `notWaiting` means it left the queue since (granted, or its
    /// wait ran out); the withdrawal superseded the request, so the key is inspected for the grant. A grant
    /// not found may have been granted and ended already: its fate stays unknown rather than guessed.
    private func withdraw(_ session: PoolSession, _ request: RequestID, _ spec: AcquireSpec, round: Int) {
        heldStep(session, "cancelWait", build: { .cancelWait($0, key: spec.key) }) { [weak self] outcome in
            guard let self, self.mayContinue(session, request, round: round) else { return }
            switch outcome {
            case .answered(.success(.waitCancelled), _, _):
                self.settled(request, .notApplied)
                self.free(session)
            case .answered(.failure(.sessionExpired), _, _), .answered(.failure(.superseded), _, _):
                self.markLost(session, reason: "the cluster ended it while a request was settled")
                self.settled(request, .answerNotKept)
            case .answered:
                self.findLeakedGrant(session, request, spec, round: round)
            case .gaveUp, .failed, .cancelled:
                self.settleAcquire(session, request, spec, round: round + 1, withdrawn: true)
            }
        }
    }

    private func findLeakedGrant(_ session: PoolSession, _ request: RequestID, _ spec: AcquireSpec, round: Int) {
        inspectStep(spec.key) { [weak self] inspection in
            guard let self, self.mayContinue(session, request, round: round) else { return }
            guard let inspection else { return self.findLeakedGrant(session, request, spec, round: round + 1) }
            let ours = inspection.holders.first { $0.key == spec.key && $0.holder.session == session.id }
            if let ours {
                // A batch is granted all at once under one fence: its other keys hold the same grant.
                self.releaseLeaked(session, request, spec.keys, ours.holder, round: round)
            } else {
                self.settled(request, .answerNotKept)
                self.free(session)
            }
        }
    }

    /// Inspects `key` (a linearizable read); nil when no leader answered before the deadline.
    private func inspectStep(_ key: LockKey, _ completion: @escaping (KeyInspection?) -> Void) {
        let exchange = Exchange(
            .inspect(key), kind: .read, label: "inspect", deadline: callDeadline(),
            attemptTimeout: configuration.attemptTimeout, transport: transport)
        exchange.start { outcome in
            guard case .answered(.success(.inspected(let inspection)), _, _) = outcome else { return completion(nil) }
            completion(inspection)
        }
    }

    /// Releases, key by key, the grant (`holder`'s fence) of `keys` that arrived after its caller gave up.
    private func releaseLeaked(
        _ session: PoolSession, _ request: RequestID, _ keys: [LockKey], _ holder: Holder, round: Int
    ) {
        guard let key = keys.first else {
            settled(request, .grantedThenReleased(holder))
            return free(session)
        }
        heldStep(session, "release", build: { .release($0, key: key, fence: holder.fence) }) { [weak self] outcome in
            guard let self, self.mayContinue(session, request, round: round) else { return }
            switch outcome {
            case .answered:
                self.logger.info(
                    "released a grant that arrived after its caller gave up",
                    metadata: [
                        "key": "\(key)", "fence": "\(holder.fence)", "request": "\(request)",
                    ])
                self.releaseLeaked(session, request, Array(keys.dropFirst()), holder, round: round)
            case .gaveUp, .failed, .cancelled:
                self.releaseLeaked(session, request, keys, holder, round: round + 1)
            }
        }
    }

    /// Settles a release whose deadline passed: resolves the pending one, and releases again if it was never
    /// applied (the caller asked for the lock to go; it must not stay held).
    func settleRelease(_ session: PoolSession, _ lock: Lock, pending: RequestID?, round: Int) {
        guard session.state == .open, round <= Self.settleRoundsMax, !isClosing else {
            if let pending { settled(pending, .answerNotKept) }
            if session.state == .open && !isClosing { markLost(session, reason: "a release could not be settled") }
            // Its session is gone and whether the release was applied is not known: say so, never guess.
            if !isClosing { lock.end(.lost, reason: .endedWithoutNotice) }
            return
        }
        guard let pending else {
            return heldStep(session, "release", build: { .release($0, key: lock.key, fence: lock.fence) }) {
                [weak self] outcome in
                guard let self else { return }
                switch outcome {
                case .answered(let result, _, let id):
                    _ = self.releaseAnswered(result, lock: lock, session: session, id: id)
                case .gaveUp(let may, _, _, let id):
                    self.settleRelease(session, lock, pending: may ? id : nil, round: round + 1)
                case .failed, .cancelled:
                    self.settleRelease(session, lock, pending: nil, round: round + 1)
                }
            }
        }
        beginSettling(pending)
        resolveStep(session, pending) { [weak self] answer in
            guard let self else { return }
            switch answer {
            case .failure(.unknownRequest)?:
                self.settled(pending, .notApplied)
                self.settleRelease(session, lock, pending: nil, round: round + 1)
            case let answer?:
                _ = self.releaseAnswered(answer, lock: lock, session: session, id: pending)
            case nil:
                self.settleRelease(session, lock, pending: pending, round: round + 1)
            }
        }
    }

    /// Settles an administrative request by resolving it until the cluster answers.
    func settleByResolving(
        _ session: PoolSession, _ request: RequestID, round: Int = 1,
        _ fate: @escaping (Result<ClientResult, ClientFailure>) -> Resolution
    ) {
        beginSettling(request)
        guard mayContinue(session, request, round: round) else { return }
        resolveStep(session, request) { [weak self] answer in
            guard let self, self.mayContinue(session, request, round: round) else { return }
            guard let answer else { return self.settleByResolving(session, request, round: round + 1, fate) }
            self.settled(request, fate(answer))
            self.free(session)
        }
    }

    /// Sends `resolve(request)` until answered; nil when the deadline passed first.
    private func resolveStep(
        _ session: PoolSession, _ request: RequestID,
        _ completion: @escaping (Result<ClientResult, ClientFailure>?) -> Void
    ) {
        let exchange = Exchange(
            .resolve(request), kind: .mutating, label: "resolve", deadline: callDeadline(),
            attemptTimeout: configuration.attemptTimeout, transport: transport)
        exchange.start { outcome in
            if case .answered(let result, _, _) = outcome { return completion(result) }
            completion(nil)
        }
    }

    /// Sends one more request on a session the settlement already holds busy.
    private func heldStep(
        _ session: PoolSession, _ label: String, build: @escaping (RequestID) -> ClientOperation,
        _ completion: @escaping (MutationOutcome) -> Void
    ) {
        let call = MutationCall(
            label: label, key: nil, owner: session.owner, dedicated: session, deadline: callDeadline(),
            attemptTimeout: configuration.attemptTimeout, build: build, onOutcome: completion)
        call.session = session
        call.phase = .sending
        send(call, on: session)
    }
}

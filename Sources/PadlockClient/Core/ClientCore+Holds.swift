import Foundation
import Wire

// Mode changes of held locks, and holds placed and lifted (`docs/holds.md`).

/// The arguments of a mode change, validated by ``Lock``.
struct ModeChangeSpec {
    var mode: LockMode
    var waitMilliseconds: UInt64
    var roles: [String]

    /// `upgrade` or `downgrade`.
    var label: String { mode == .exclusive ? "upgrade" : "downgrade" }
}

extension ClientCore {
    /// Changes `lock`'s mode through its own session; on a grant the lock takes the new fence.
    func changeMode(
        _ lock: Lock, _ spec: ModeChangeSpec, ticket: CallTicket,
        completion: @escaping (Result<Void, PadlockError>) -> Void
    ) {
        guard admit(ticket, completion) else { return }
        guard let session = sessionsByID[lock.holder.session], session.state == .open, session.locks[lock.key] === lock
        else {
            if lock.state == .released {
                return complete(ticket, spec.label, .failure(Self.modeOfReleased(lock, spec)), completion)
            }
            if lock.state != .lost { lock.end(.lost) }
            return complete(ticket, spec.label, .failure(lock.lostBeforeRelease), completion)
        }
        let wait = Duration.milliseconds(Int64(spec.waitMilliseconds))
        let call = MutationCall(
            label: spec.label, key: nil, owner: session.owner, dedicated: session, deadline: callDeadline(extra: wait),
            attemptTimeout: configuration.attemptTimeout + wait,
            build: { [weak session] id in
                session?.changingMode = lock.key
                return .changeMode(
                    id, key: lock.key, fence: lock.fence, mode: spec.mode, waitMilliseconds: spec.waitMilliseconds,
                    roles: spec.roles)
            },
            onOutcome: { [weak self] outcome in
                guard let self else { return }
                self.complete(ticket, spec.label, self.modeChangeEnded(outcome, lock, spec), completion)
            })
        call.trace = ticket.trace
        cancellers[ticket.id] = { [weak self] in self?.cancelMutation(call) }
        startMutation(call)
    }

    static func modeOfReleased(_ lock: Lock, _ spec: ModeChangeSpec) -> PadlockError {
        .invalid("the lock on \(lock.key) (\(lock.fence)) was released; acquire it again instead of a \(spec.label)")
    }

    private func modeChangeEnded(
        _ outcome: MutationOutcome, _ lock: Lock, _ spec: ModeChangeSpec
    ) -> Result<Void, PadlockError> {
        switch outcome {
        case .answered(let answer, let session, let id):
            let result = modeChangeAnswered(answer, lock, session, spec)
            settled(id, result.map { .granted(lock.holder) }.resolution)
            if session.isBusy && session.activeRequest == id { free(session) }
            return result
        case .gaveUp(let may, let problem, let session, let id):
            if may, let session, let id {
                settleModeChange(session, id, lock, spec)
                return .failure(.outcomeUnknown(id, "the \(spec.label) of \(lock.key)"))
            }
            if let session { free(session) }
            if let id { settled(id, .notApplied) }
            return .failure(
                .unavailable(
                    "could not \(spec.label) \(lock.key) before the deadline: \(problem); the lock keeps its mode",
                    retryAfter: problem.retryAfter))
        case .failed(let error, let session):
            if let session { free(session) }
            if error == Self.sessionGone { lock.end(.lost) }
            return .failure(error)
        case .cancelled(let may, let session, let id):
            if may, let session, let id {
                settleModeChange(session, id, lock, spec)
            } else if let session {
                free(session)
            }
            return .failure(.callCancelled)
        }
    }

    /// Settles a mode change whose caller gave up: a grant found by `resolve` still changes the lock.
    private func settleModeChange(_ session: PoolSession, _ id: RequestID, _ lock: Lock, _ spec: ModeChangeSpec) {
        settleByResolving(session, id) { [weak self] answer in
            guard let self else { return .answerNotKept }
            return self.modeChangeAnswered(answer, lock, session, spec).map { .granted(lock.holder) }.resolution
        }
    }

    /// Acts on the cluster's answer to a mode change: the lock takes the new grant, or ends when the cluster
    /// says it is gone.
    private func modeChangeAnswered(
        _ answer: Result<ClientResult, ClientFailure>, _ lock: Lock, _ session: PoolSession, _ spec: ModeChangeSpec
    ) -> Result<Void, PadlockError> {
        switch answer {
        case .success(.granted(let holder)):
            if holder.fence > lock.fence { lock.changed(to: holder) }
            return .success(())
        case .failure(.notHeld), .failure(.lockLost):
            forget(lock, in: session, as: .lost)
            return .failure(error(for: .lockLost, in: spec.label, key: lock.key))
        case .failure(.sessionExpired), .failure(.superseded):
            markLost(session, reason: "the cluster says it ended")
            return .failure(error(for: .sessionExpired, in: spec.label, key: lock.key))
        case .failure(.held(let locks, let truncated, let waiterCount)):
            // The lock being upgraded is no conflict of its own: name only the others.
            let others = locks.filter { !($0.key == lock.key && $0.holder.session == lock.holder.session) }
            let failure = ClientFailure.held(
                by: others.isEmpty ? locks : others, truncated: truncated, waiterCount: waiterCount)
            var refused = error(for: failure, in: spec.label, key: lock.key, owner: session.owner)
            refused.message = refused.message.replacingOccurrences(
                of: "try again later or acquire with a wait",
                with: "the lock stays shared; try again later or upgrade with a wait")
            return .failure(refused)
        case .failure(let failure):
            return .failure(error(for: failure, in: spec.label, key: lock.key, owner: session.owner))
        case .success(let other):
            return .failure(PadlockClient.unexpected(other, spec.label))
        }
    }
}

extension ClientCore {
    /// Places a hold; this client's own locks it ended are lost from now on.
    func placeHold(
        _ placement: HoldPlacement, ticket: CallTicket, completion: @escaping (Result<HoldPlaced, PadlockError>) -> Void
    ) {
        administer(
            "placeHold", build: { .placeHold($0, placement) }, ticket: ticket,
            answered: { [weak self] answer, _ in
                guard let self else { return .failure(.clientClosed) }
                switch answer {
                case .success(.holdPlaced(let hold, let ended)):
                    let reason = "hold '\(hold.rule)': \(hold.reason)"
                    for info in ended { self.noteForcedRelease(of: [info.holder], key: info.key, reason: reason) }
                    return .success(HoldPlaced(hold: hold, endedHolders: ended))
                case .success(let other): return .failure(PadlockClient.unexpected(other, "placeHold"))
                case .failure(let failure):
                    return .failure(self.error(for: failure, in: "placeHold", key: placement.key))
                }
            }, fate: { .holdPlaced($0.hold) }, completion: completion)
    }

    /// Lifts the hold of `rule` on `key` (every hold on it when nil); answers the holds lifted.
    func liftHold(
        _ key: LockKey, rule: String?, reason: String, ticket: CallTicket,
        completion: @escaping (Result<[Hold], PadlockError>) -> Void
    ) {
        administer(
            "liftHold", build: { .liftHold($0, key: key, rule: rule, reason: reason) }, ticket: ticket,
            answered: { [weak self] answer, _ in
                guard let self else { return .failure(.clientClosed) }
                switch answer {
                case .success(.holdsLifted(let holds)): return .success(holds)
                case .success(let other): return .failure(PadlockClient.unexpected(other, "liftHold"))
                case .failure(.noHold):
                    let which = rule.map { "of rule '\($0)' " } ?? ""
                    return .failure(
                        .invalid(
                            "there is no hold \(which)on \(key) to lift; list the holds (padlock hold list) to see "
                                + "what is in place"))
                case .failure(let failure): return .failure(self.error(for: failure, in: "liftHold", key: key))
                }
            }, fate: { .holdsLifted($0) }, completion: completion)
    }
}

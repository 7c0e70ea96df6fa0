import LockTable
import PadlockTypes
import Raft
import Wire

extension Node {
    /// Handles one client request. Any node answers `status`; everything else is the leader's, and other
    /// nodes answer `notLeader` with a hint. Bad input is answered `invalidArgument` before anything is
    /// proposed.
    ///
    /// `caller` is the authenticated client that sent it (`docs/security.md`), nil on an open port: the
    /// sessions it opens record it (and count against its quota), and its name goes into the audit trail with
    /// the administrator's owner label.
    package func receive(_ request: ClientRequest, from client: ClientID, caller: Caller? = nil) {
        guard failure == nil else { return }
        observeRole()
        let reply = ReplyTarget(client: client, correlation: request.correlation)
        if case .status = request.operation {
            respond(reply, .success(.status(statusReport())))
            return
        }
        if case .backupChunk(let transfer, let offset) = request.operation {
            return serveBackupChunk(transfer: transfer, offset: offset, reply)
        }
        guard leadership != nil else {
            respond(reply, .failure(.notLeader(leaderHint)))
            return
        }
        guard pendingRequestCount < configuration.pendingRequestsMax else {
            respond(reply, .failure(.overloaded(reason: "too many requests in flight on the leader; retry later")))
            return
        }
        if let problem = Self.inputProblem(request.operation) {
            respond(reply, .failure(.invalidArgument(message: problem)))
            return
        }
        route(request.operation, reply, caller: caller)
        requestFlush()
    }

    /// Requests waiting for a commit, a read confirmation or a renewal decision.
    var pendingRequestCount: Int {
        proposals.count + reads.count + (leadership.map { $0.renewalsAwaitingCoverage.count } ?? 0)
    }

    private func route(_ operation: ClientOperation, _ reply: ReplyTarget, caller: Caller?) {
        switch operation {
        case .openSession(let owner, let nonce, let ttl):
            let granted = configuration.grantedTTL(requested: ttl)
            let command: Command =
                if let caller {
                    .openClientSession(
                        owner: owner, nonce: nonce, ttlMilliseconds: granted, client: caller.name,
                        sessionsMax: caller.sessionsMax)
                } else {
                    .openSession(owner: owner, nonce: nonce, ttlMilliseconds: granted)
                }
            propose(command, .client(.open), reply)
        case .renewSession(let session):
            renew(session, reply)
        case .renewSessions(let sessions):
            renewBatch(sessions, reply)
        case .closeSession(let request):
            propose(.closeSession(request), .client(.close), reply)
        case .acquire(let request, let acquisition):
            let command = Command.acquire(
                request, key: acquisition.key, mode: acquisition.mode, waitMilliseconds: acquisition.waitMilliseconds,
                note: acquisition.note)
            propose(command, .client(.acquire), reply)
        case .release(let request, let key, let fence):
            propose(.release(request, key: key, fence: fence), .client(.release), reply)
        case .cancelWait(let request, let key):
            propose(.cancelWait(request, key: key), .client(.cancelWait), reply)
        case .forceUnlock(let request, let key, let reason):
            let admin = administrator(of: request, caller: caller)
            propose(.forceUnlock(request, key: key, reason: reason, admin: admin), .client(.forceUnlock), reply)
        case .takeover(let request, let acquisition, let reason):
            // The taker is audited like an administrator: its session's owner and its client's name.
            let actor = administrator(of: request, caller: caller)
            let command = Command.takeover(
                request, key: acquisition.key, mode: acquisition.mode, note: acquisition.note, reason: reason,
                admin: actor)
            propose(command, .client(.takeover), reply)
        case .acquireKeys, .changeMode, .placeHold, .liftHold, .holds:
            routeHoldOperation(operation, reply, caller: caller)
        case .revokeSession(let request, let target, let reason):
            let admin = administrator(of: request, caller: caller)
            propose(.revokeSession(request, session: target, reason: reason, admin: admin), .client(.revoke), reply)
        case .resolve(let request):
            propose(.resolve(request), .client(.resolve), reply)
        case .inspect(let key):
            reads.collecting.append(PendingRead(query: .inspect(key), reply: reply))
        case .list(let query):
            reads.collecting.append(PendingRead(query: .list(query), reply: reply))
        case .checkFence(let key, let fence):
            reads.collecting.append(PendingRead(query: .checkFence(key, fence), reply: reply))
        case .audit(let after, let limit):
            reads.collecting.append(PendingRead(query: .audit(after: after, limit: limit), reply: reply))
        case .status:
            respond(reply, .success(.status(statusReport())))
        case .addMember, .promoteMember, .removeMember:
            changeMembership(operation, reply)
        case .members:
            reads.collecting.append(PendingRead(query: .members, reply: reply))
        case .subscribe(let subscription):
            reads.collecting.append(PendingRead(query: .subscribe(subscription), reply: reply))
        case .unsubscribe(let subscription):
            unsubscribe(subscription, reply)
        case .backup:
            reads.collecting.append(PendingRead(query: .backup, reply: reply))
        case .backupChunk(let transfer, let offset):
            serveBackupChunk(transfer: transfer, offset: offset, reply)
        }
    }

    /// Routes the protocol v3 operations: all-or-nothing acquires, mode changes and holds (`docs/holds.md`).
    private func routeHoldOperation(_ operation: ClientOperation, _ reply: ReplyTarget, caller: Caller?) {
        switch operation {
        case .acquireKeys(let request, let keys, let acquisition, let roles):
            // One key and no roles is exactly a plain acquire, which older nodes apply too.
            let command: Command =
                keys.count == 1 && roles.isEmpty
                ? .acquire(
                    request, key: keys[0], mode: acquisition.mode, waitMilliseconds: acquisition.waitMilliseconds,
                    note: acquisition.note)
                : .acquireKeys(
                    request, keys: keys, mode: acquisition.mode, waitMilliseconds: acquisition.waitMilliseconds,
                    note: acquisition.note, roles: roles)
            propose(command, .client(.acquire), reply)
        case .changeMode(let request, let key, let fence, let mode, let wait, let roles):
            let command = Command.changeMode(
                request, key: key, fence: fence, mode: mode, waitMilliseconds: wait, roles: roles)
            propose(command, .client(.acquire), reply)
        case .placeHold(let request, let placement):
            let actor = administrator(of: request, caller: caller)
            propose(.placeHold(request, placement, actor: actor), .client(.placeHold), reply)
        case .liftHold(let request, let key, let rule, let reason):
            let actor = administrator(of: request, caller: caller)
            propose(
                .liftHold(request, key: key, rule: rule, reason: reason, actor: actor), .client(.liftHold), reply)
        case .holds(let prefix, let after, let limit):
            reads.collecting.append(
                PendingRead(query: .holds(prefix: prefix, after: after, limit: limit), reply: reply))
        default:
            preconditionFailure("routeHoldOperation does not route \(operation.name)")
        }
    }

    /// The identity an administrator's action is audited under: its session's owner label, and the name of
    /// the authenticated client that sent it (`client ops-console: alice@admin`), cut to the owner bound.
    private func administrator(of request: RequestID, caller: Caller?) -> String {
        let owner = table.session(request.session)?.owner ?? "\(request.session)"
        guard let caller else { return owner }
        return "client \(caller.name): \(owner)".cut(toUTF8Count: InputLimits.ownerByteCountMax)
    }

    /// Revokes `sessions` through the committed revoke path, as the node itself: each revoke is proposed as
    /// the target session's own request with the highest sequence number (nothing of that session can come
    /// after its end), audited under `admin` with `reason`. Leader only; elsewhere it does nothing (the
    /// leader's own reload revokes them). Returns how many were proposed.
    @discardableResult
    package func revokeSessions(_ sessions: [SessionID], reason: String, admin: String) -> Int {
        guard failure == nil, leadership != nil else { return 0 }
        var proposed = 0
        for session in sessions where table.session(session) != nil {
            let request = RequestID(session: session, sequence: UInt64.max)
            let command = Command.revokeSession(
                request, session: session, reason: reason.cut(toUTF8Count: InputLimits.reasonByteCountMax),
                admin: admin.cut(toUTF8Count: InputLimits.ownerByteCountMax))
            if propose(command, .client(.revoke), nil) { proposed += 1 }
        }
        requestFlush()
        return proposed
    }

    /// Why an operation is bad input, before anything is proposed; nil when it is acceptable.
    static func inputProblem(_ operation: ClientOperation) -> String? {
        switch operation {
        case .openSession(let owner, _, let ttl):
            if owner.isEmpty { return ClientAnswers.message(for: .ownerEmpty) }
            if owner.utf8.count > InputLimits.ownerByteCountMax { return ClientAnswers.message(for: .ownerTooLong) }
            let range = InputLimits.sessionTTLMillisecondsMin...InputLimits.sessionTTLMillisecondsMax
            if !range.contains(ttl) { return ClientAnswers.message(for: .ttlOutOfRange) }
        case .acquire(_, let acquisition):
            if acquisition.note.utf8.count > InputLimits.noteByteCountMax {
                return ClientAnswers.message(for: .noteTooLong)
            }
            if acquisition.waitMilliseconds > InputLimits.waitMillisecondsMax {
                return ClientAnswers.message(for: .waitTooLong)
            }
        case .forceUnlock(_, _, let reason), .revokeSession(_, _, let reason):
            if reason.utf8.count > InputLimits.reasonByteCountMax { return ClientAnswers.message(for: .reasonTooLong) }
        case .takeover(_, let acquisition, let reason):
            if reason.isEmpty {
                return "a takeover needs a reason: the previous holders are told it, and it is audited"
            }
            if reason.utf8.count > InputLimits.reasonByteCountMax { return ClientAnswers.message(for: .reasonTooLong) }
            if acquisition.note.utf8.count > InputLimits.noteByteCountMax {
                return ClientAnswers.message(for: .noteTooLong)
            }
        case .list(let query):
            if query.limit < 1 { return "a listing's limit must be at least 1" }
        case .holds(_, _, let limit):
            if limit < 1 { return "a listing's limit must be at least 1" }
        case .acquireKeys(_, let keys, let acquisition, let roles):
            if let problem = HoldLimits.problem(keys: keys) ?? HoldLimits.problem(roles: roles) {
                return problem.description
            }
            if acquisition.note.utf8.count > InputLimits.noteByteCountMax {
                return ClientAnswers.message(for: .noteTooLong)
            }
            if acquisition.waitMilliseconds > InputLimits.waitMillisecondsMax {
                return ClientAnswers.message(for: .waitTooLong)
            }
        case .changeMode(_, _, _, _, let wait, let roles):
            if let problem = HoldLimits.problem(roles: roles) { return problem.description }
            if wait > InputLimits.waitMillisecondsMax { return ClientAnswers.message(for: .waitTooLong) }
        case .placeHold(_, let placement):
            if let problem = placement.problem { return problem.description }
        case .liftHold(_, _, let rule, let reason):
            if reason.isEmpty { return "lifting a hold needs a reason: it is audited with the hold's rule" }
            if reason.utf8.count > InputLimits.reasonByteCountMax { return ClientAnswers.message(for: .reasonTooLong) }
            if let rule, rule.isEmpty { return HoldInputProblem.ruleEmpty.description }
            if let rule, rule.utf8.count > HoldLimits.ruleByteCountMax {
                return HoldInputProblem.ruleTooLong.description
            }
        case .audit(_, let limit):
            if limit < 1 { return "an audit page's limit must be at least 1" }
        case .renewSessions(let sessions):
            if sessions.isEmpty { return "a batch renewal must name at least one session" }
        default:
            break
        }
        return nil
    }

    /// Proposes `command` stamped now; its answer goes to `reply` once it is applied.
    @discardableResult
    func propose(_ command: Command, _ purpose: ProposalPurpose, _ reply: ReplyTarget?) -> Bool {
        let data = EntryCodec.commandData(command, stamp: nextStamp())
        let refusal: ClientFailure
        switch raft.propose(data) {
        case .accepted(let index, let term):
            proposals[index] = PendingProposal(term: term, reply: reply, purpose: purpose)
            counters.proposals += 1
            if configuration.injectedBugs.notifiesLossesOnProposal { announceProposedLosses(command, at: index) }
            return true
        case .notLeader:
            refusal = .notLeader(leaderHint)
        case .transferInProgress:
            refusal = .unavailable(reason: "leadership is being handed over", retryAfterMilliseconds: 50)
        case .overloaded:
            refusal = .overloaded(reason: "the leader holds too many uncommitted requests; retry later")
        case .rejected(let why):
            refusal = .invalidArgument(message: "\(why)")
        }
        if let reply { respond(reply, .failure(refusal)) }
        return false
    }
}

import LockTable
import PadlockTypes
import Raft
import Wire

extension Node {
    /// Applies one committed entry and acts on what it produced.
    func apply(_ entry: Entry) {
        precondition(
            entry.index == applied.next && entry.index <= raft.committedIndex && entry.index <= durableIndex,
            "node \(id) (term \(raft.term)): entry \(entry.index)@\(entry.term) handed out for applying after "
                + "\(applied), with Raft's commit at \(raft.committedIndex) and the log durable through "
                + "\(durableIndex); entries apply one after another, committed and durable")
        applied = entry.index
        counters.appliedEntries += 1
        switch entry.kind {
        case .noop:
            observer?.node(id, applied: entry, result: nil, table: table)
            if let leadership, leadership.firstIndex == entry.index { becomeReady() }
        case .configChange:
            if let change = ConfigChange(encoded: entry.data) { membershipChangeApplied(change) }
            observer?.node(id, applied: entry, result: nil, table: table)
            if let proposal = proposals.removeValue(forKey: entry.index), let reply = proposal.reply {
                respond(
                    reply,
                    proposal.term == entry.term
                        ? .success(.members(memberList()))
                        : .failure(.unavailable(reason: "the leader changed", retryAfterMilliseconds: 0)))
            }
        case .normal:
            applyCommand(entry)
        }
    }

    private func applyCommand(_ entry: Entry) {
        let result: LockTable.Applied
        let command: Command?
        switch EntryCodec.payload(in: entry.data) {
        case .command(let stamp, let decoded)?:
            command = decoded
            lastStamp = max(lastStamp, stamp.rawValue)
            clocks.observe(stamp: stamp.rawValue, monotonic: environment.monotonicMilliseconds)
            result = table.apply(decoded, at: entry.index.rawValue, time: stamp)
        case .member(let node, let addresses)?:
            addressBook[node] = addresses
            observer?.node(id, applied: entry, result: nil, table: table)
            return
        case .incarnation(let node, let record)?:
            recordIncarnation(record, of: node)
            observer?.node(id, applied: entry, result: nil, table: table)
            return
        case nil:
            command = nil
            result = table.apply(encoded: [], at: entry.index.rawValue, time: table.lastTime)
        }
        observer?.node(id, applied: entry, result: result, table: table)
        if let command, leadership?.isReady == true { noteApplied(command, result: result.result) }
        publishEvents(of: result, command: command, at: entry.index)
        for event in result.events { handle(event) }
        if let proposal = proposals.removeValue(forKey: entry.index) {
            guard proposal.term == entry.term else {
                if let reply = proposal.reply {
                    respond(reply, .failure(.unavailable(reason: "the leader changed", retryAfterMilliseconds: 0)))
                }
                return
            }
            finish(proposal, result: result, command: command)
        }
    }

    /// The leader keeps its lease book and waiter set in step with what the table now holds.
    private func noteApplied(_ command: Command, result: CommandResult) {
        switch (command, result) {
        case (.openSession(_, _, let ttl), .sessionOpened(let session, _)),
            (.openClientSession(_, _, let ttl, _, _), .sessionOpened(let session, _)):
            addLease(session, ttl: ttl, remaining: ttl, generation: 0, now: environment.monotonicMilliseconds)
        case (.checkpointLeases(let checkpoints), _):
            for checkpoint in checkpoints { refreshRecordedLease(checkpoint.session) }
        default:
            break
        }
    }

    /// Acts on one event of an applied command: answers queued acquires, forgets ended sessions.
    private func handle(_ event: Event) {
        switch event {
        case .waiterGranted(let request, _, let holder):
            answerWaiter(request, .success(.granted(holder)))
        case .waiterTimedOut(let request, _, let answer):
            let requested = waiterRequests[request]
            answerWaiter(
                request,
                ClientAnswers.outcome(of: answer, kind: .acquire, table: table, requested: requested).reply
                    ?? .failure(.timedOut))
        case .waiterDropped(let request, _, let reason):
            answerWaiter(request, .failure(reason == .sessionEnded ? .sessionExpired : .timedOut))
        case .waiterGrantedKeys(let request, _, let holders):
            answerWaiter(request, .success(ClientAnswers.granted(holders)))
        case .sessionEnded(let session, _):
            sessionEnded(session)
        case .lockReleased, .modeChanged, .keyChanged:
            break
        }
    }

    private func answerWaiter(_ request: RequestID, _ outcome: Result<ClientResult, ClientFailure>) {
        waiterRequests[request] = nil
        guard let targets = waiterReplies.removeValue(forKey: request) else { return }
        for target in targets { respond(target, outcome) }
    }

    /// Answers the proposal an applied entry carried, or finishes the leader's own housekeeping.
    private func finish(_ proposal: PendingProposal, result: LockTable.Applied, command: Command?) {
        switch proposal.purpose {
        case .client(let kind):
            guard let reply = proposal.reply else { return }
            let requested = command.flatMap(ClientAnswers.Requested.init)
            let answer = ClientAnswers.outcome(
                of: result.result, kind: kind, table: table, events: result.events, request: command?.requestID,
                requested: requested)
            if let outcome = answer.reply {
                respond(reply, outcome)
            } else if let waiting = answer.waitsFor {
                waiterReplies[waiting, default: []].append(reply)
                if let requested { waiterRequests[waiting] = requested }
            }
        case .coverage(let grants, let proposedAt):
            coverageApplied(grants, proposedAt: proposedAt)
        case .expiry(let session):
            expiryApplied(session, result: result.result)
        case .waiterExpiry(let request):
            leadership?.waiterExpiriesInFlight.remove(request)
        case .decay, .lockDelayNudge, .membership, .quotas:
            break
        }
    }

    func respond(_ target: ReplyTarget, _ outcome: Result<ClientResult, ClientFailure>) {
        if let part = target.part { return answerPart(part, outcome) }
        environment.respond(ClientResponse(correlation: target.correlation, outcome: outcome), to: target.client)
    }
}

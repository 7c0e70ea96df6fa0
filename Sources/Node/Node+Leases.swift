import LockTable
import PadlockTypes
import Raft
import Wire

// The leader's side of lock leases (docs/leases.md): renewals without log entries, coverage checkpoints that
// let it acknowledge them, decay checkpoints that stop elections from extending leases, and expiry.

extension Node {
    /// The TTL the leader's lease decisions use: the session's, unless the self-test's bug shortens it.
    func effectiveTTL(_ ttl: UInt64) -> UInt64 {
        configuration.injectedBugs.expiresSessionsEarly ? max(ttl / 3, 1) : ttl
    }

    /// Starts tracking a session: it may be expired `remaining` after `now` unless renewed.
    func addLease(_ session: SessionID, ttl: UInt64, remaining: UInt64, generation: UInt64, now: UInt64) {
        guard leadership != nil, leadership?.leases[session] == nil else { return }
        let lease = SessionLease(
            ttl: effectiveTTL(ttl), deadline: now + effectiveTTL(remaining), generation: generation, lastRenewal: now,
            recordedRemaining: remaining)
        leadership?.leases[session] = lease
        leadership?.leaseDeadlines.insert(session, deadline: lease.deadline)
    }

    /// After a checkpoint entry is applied, the lease book learns what the table now records.
    func refreshRecordedLease(_ session: SessionID) {
        guard let recorded = table.session(session)?.checkpointRemainingMilliseconds else { return }
        leadership?.leases[session]?.recordedRemaining = recorded
    }

    /// A client renews its session. The countdown restarts now; the answer waits until leadership is
    /// confirmed (a ReadIndex round, or the commit of a coverage checkpoint proposed after the renewal).
    func renew(_ session: SessionID, _ reply: ReplyTarget) {
        // No copy of the leadership state is held here: `handleRenewal` changes it in place.
        guard let isReady = leadership?.isReady else {
            respond(reply, .failure(.notLeader(leaderHint)))
            return
        }
        let renewal = WaitingRenewal(receipt: environment.monotonicMilliseconds, reply: reply)
        guard isReady else {
            self.leadership?.renewalsBeforeReady.append((session, renewal))
            return
        }
        handleRenewal(session, renewal)
    }

    /// A client renews several sessions in one request: each goes through `renew` as a part of one batch,
    /// with the same receipt time, and the batch answers once every part is answered.
    func renewBatch(_ sessions: [SessionID], _ reply: ReplyTarget) {
        guard leadership != nil else {
            respond(reply, .failure(.notLeader(leaderHint)))
            return
        }
        let batch = renewalBatches.start(sessions, reply: reply)
        for (index, session) in sessions.enumerated() {
            var part = reply
            part.part = BatchPart(batch: batch, index: index)
            renew(session, part)
        }
    }

    /// One part of a batch is answered; the last one answers the batch's request. When every part was
    /// answered `notLeader` (leadership lost meanwhile), the whole request is, so the client follows the hint.
    func answerPart(_ part: BatchPart, _ outcome: Result<ClientResult, ClientFailure>) {
        let answer: Result<SessionGrant, ClientFailure>
        switch outcome {
        case .success(.sessionRenewed(let grant)): answer = .success(grant)
        case .success(let other): answer = .failure(.invalidArgument(message: "unexpected renewal answer \(other)"))
        case .failure(let failure): answer = .failure(failure)
        }
        guard let batch = renewalBatches.record(part, answer) else { return }
        let answers = zip(batch.sessions, batch.answers).map { session, answer in
            SessionRenewal(session: session, outcome: answer ?? .failure(.sessionExpired))
        }
        let notLeader = answers.compactMap { entry -> LeaderHint?? in
            if case .failure(.notLeader(let hint)) = entry.outcome { return .some(hint) }
            return nil
        }
        if notLeader.count == answers.count, let hint = notLeader.last {
            respond(batch.reply, .failure(.notLeader(hint)))
        } else {
            respond(batch.reply, .success(.sessionsRenewed(answers)))
        }
    }

    func handleRenewal(_ session: SessionID, _ renewal: WaitingRenewal) {
        // In place: a renewal costs the same whatever the number of sessions (a batch renews thousands).
        let answeredByRead = updateLeadership { leadership -> Bool in
            // Not open as far as this leader has applied: a read tells the truth once the table is current.
            guard var lease = leadership.leases[session] else { return true }
            if leadership.expiriesInFlight.contains(session) {
                leadership.renewalsAwaitingExpiry[session, default: []].append(renewal)
                return false
            }
            lease.deadline = max(lease.deadline, renewal.receipt + lease.ttl)
            lease.generation += 1
            lease.lastRenewal = max(lease.lastRenewal, renewal.receipt)
            leadership.leases[session] = lease
            if renewal.receipt < lease.ackUntil { return true }
            leadership.renewalsAwaitingCoverage[session, default: []].append(renewal)
            leadership.coverageNeeded.insert(session)
            return false
        }
        if answeredByRead ?? true {
            reads.collecting.append(
                PendingRead(query: .renewal(session, receipt: renewal.receipt), reply: renewal.reply))
        }
    }

    /// Proposes one checkpoint for the sessions whose renewals wait for coverage: it records enough lease time
    /// for any renewal the leader acknowledges until each session's window end.
    func proposeCoverage() {
        guard let leadership, !leadership.coverageNeeded.isEmpty else { return }
        let now = environment.monotonicMilliseconds
        let sessions = leadership.coverageNeeded.sorted()
        self.leadership?.coverageNeeded = []
        var start = 0
        while start < sessions.count {
            let chunk = sessions[start..<min(sessions.count, start + configuration.checkpointBatchMax)]
            start += chunk.count
            var checkpoints: [LeaseCheckpoint] = []
            var grants: [CoverageGrant] = []
            for session in chunk {
                guard let lease = leadership.leases[session] else { continue }
                let windowEnd = now + lease.coverageWindow
                let remaining = max(lease.neededRemaining(at: now), lease.coverageWindow + lease.ttl)
                checkpoints.append(
                    LeaseCheckpoint(
                        session: session, renewalGeneration: lease.generation, remainingMilliseconds: remaining))
                grants.append(CoverageGrant(session: session, windowEnd: windowEnd))
            }
            guard !checkpoints.isEmpty else { continue }
            if !propose(.checkpointLeases(checkpoints), .coverage(grants, proposedAt: now), nil) {
                // Overloaded: try again at the next flush.
                for grant in grants { self.leadership?.coverageNeeded.insert(grant.session) }
            }
        }
    }

    /// A coverage checkpoint committed: renewals that arrived before it was proposed are acknowledged, and
    /// later ones inside the new window go through a read.
    func coverageApplied(_ grants: [CoverageGrant], proposedAt: UInt64) {
        guard var leadership else { return }
        for grant in grants {
            guard var lease = leadership.leases[grant.session] else { continue }
            lease.ackUntil = max(lease.ackUntil, grant.windowEnd)
            leadership.leases[grant.session] = lease
            let waiting = leadership.renewalsAwaitingCoverage.removeValue(forKey: grant.session) ?? []
            var still: [WaitingRenewal] = []
            for renewal in waiting {
                if renewal.receipt <= proposedAt {
                    respond(renewal.reply, .success(.sessionRenewed(renewalGrant(grant.session, lease))))
                } else if renewal.receipt < lease.ackUntil {
                    reads.collecting.append(
                        PendingRead(query: .renewal(grant.session, receipt: renewal.receipt), reply: renewal.reply))
                } else {
                    still.append(renewal)
                }
            }
            if !still.isEmpty {
                leadership.renewalsAwaitingCoverage[grant.session] = still
            } else {
                leadership.coverageNeeded.remove(grant.session)
            }
        }
        self.leadership = leadership
        requestFlush()
    }

    /// The answer to a renewal: the TTL and the leader's deadline as an entry stamp would show it.
    func renewalGrant(_ session: SessionID, _ lease: SessionLease) -> SessionGrant {
        counters.renewals += 1
        let ttl = table.session(session)?.ttlMilliseconds ?? lease.ttl
        let deadline = Timestamp(rawValue: currentStamp).adding(milliseconds: ttl)
        return SessionGrant(session: session, ttlMilliseconds: ttl, renewalDeadline: deadline)
    }

    /// A session ended (closed, expired, revoked): renewals waiting on it learn it, and its lease is dropped.
    func sessionEnded(_ session: SessionID) {
        let waiting = updateLeadership { leadership in
            leadership.leases[session] = nil
            leadership.coverageNeeded.remove(session)
            leadership.expiriesInFlight.remove(session)
            return (leadership.renewalsAwaitingCoverage.removeValue(forKey: session) ?? [])
                + (leadership.renewalsAwaitingExpiry.removeValue(forKey: session) ?? [])
        }
        for renewal in waiting ?? [] { respond(renewal.reply, .failure(.sessionExpired)) }
    }

    /// An expiry this leader proposed was applied. If it did not end the session (renewed since, or not due by
    /// the table's deadline), the countdown goes on and waiting renewals are handled as if they arrived now.
    func expiryApplied(_ session: SessionID, result: CommandResult) {
        let soonest = environment.monotonicMilliseconds + configuration.tickMilliseconds * 10
        let waiting = updateLeadership { leadership in
            leadership.expiriesInFlight.remove(session)
            if let lease = leadership.leases[session] {
                leadership.leaseDeadlines.insert(session, deadline: max(lease.deadline, soonest))
            }
            return leadership.renewalsAwaitingExpiry.removeValue(forKey: session) ?? []
        }
        for renewal in waiting ?? [] { handleRenewal(session, renewal) }
    }

    /// Runs `body` on the leadership state in place, when leading. Copying the state out and back would copy
    /// its per-session tables whenever one is changed, which made each renewal cost as much as every session
    /// (seen as 700 ms stalls and elections when 6,000 sessions renewed in three batches). `body` must not
    /// reach `self.leadership`, which is empty while it runs.
    func updateLeadership<T>(_ body: (inout Leadership) -> T) -> T? {
        guard var state = leadership.take() else { return nil }
        defer { leadership = state }
        return body(&state)
    }
}

import LockTable
import PadlockTypes
import Raft
import Wire

extension Node {
    /// Notices a won or lost leadership after any input that reached Raft.
    func observeRole() {
        let role = raft.role
        let term = raft.term
        if role == .leader {
            if leadership?.term != term {
                if leadership != nil { loseLeadership() }
                becomeLeader()
            }
        } else if leadership != nil {
            loseLeadership()
        }
        if role != observedRole || term != observedTerm {
            observedRole = role
            observedTerm = term
            observer?.node(id, becameRole: role, term: term)
        }
    }

    private func becomeLeader() {
        // The no-op Raft appended on winning is the first entry of the term.
        var first = raft.lastIndex
        while first.previous > raft.snapshotIndex, raft.term(at: first.previous) == raft.term { first = first.previous }
        lastStamp = max(lastStamp, table.lastTime.rawValue)
        leadership = Leadership(
            term: raft.term, firstIndex: first, stampBase: (lastStamp, environment.monotonicMilliseconds))
    }

    /// The no-op is applied: the table holds everything earlier leaders committed. Every session's countdown
    /// starts from the lease time the table records, measured from now (docs/leases.md), and no renewal is
    /// acknowledged before a checkpoint of this term covers it.
    func becomeReady() {
        guard var leadership else { return }
        let now = environment.monotonicMilliseconds
        leadership.isReady = true
        leadership.lastDecayScan = now
        self.leadership = leadership
        for session in table.allSessions() {
            addLease(
                session.id, ttl: session.ttlMilliseconds, remaining: session.checkpointRemainingMilliseconds,
                generation: session.renewalGeneration, now: now)
        }
        let early = leadership.renewalsBeforeReady
        self.leadership?.renewalsBeforeReady = []
        for (session, renewal) in early { handleRenewal(session, renewal) }
        recordOwnIncarnation()
        for (peer, incarnation) in identity.announced.sorted(by: { $0.key < $1.key }) {
            noteIncarnation(of: peer, incarnation)
        }
    }

    /// Lost the term: every answer that depended on leading it becomes "try the leader". Proposals may still
    /// commit under the next leader; the client's retry with the same request id then gets their answer.
    /// Confirmed reads are still served (their linearization point has passed); renewals are not, because
    /// their safety depends on this leader's checkpoints.
    func loseLeadership() {
        guard let old = leadership else { return }
        leadership = nil
        endSubscriptions()
        let notLeader = Result<ClientResult, ClientFailure>.failure(.notLeader(leaderHint))
        for index in proposals.keys.sorted() {
            if let reply = proposals[index]?.reply { respond(reply, notLeader) }
        }
        proposals = [:]
        for request in waiterReplies.keys.sorted(by: { ($0.session, $0.sequence) < ($1.session, $1.sequence) }) {
            for reply in waiterReplies[request] ?? [] { respond(reply, notLeader) }
        }
        waiterReplies = [:]
        waiterRequests = [:]
        for read in reads.collecting { respond(read.reply, notLeader) }
        reads.collecting = []
        for context in reads.awaitingConfirmation.keys.sorted() {
            for read in reads.awaitingConfirmation[context] ?? [] { respond(read.reply, notLeader) }
        }
        reads.awaitingConfirmation = [:]
        reads.confirmed.removeAll { entry in
            guard case .renewal = entry.read.query else { return false }
            respond(entry.read.reply, notLeader)
            return true
        }
        var waiting = old.renewalsBeforeReady.map(\.renewal)
        for session in old.renewalsAwaitingCoverage.keys.sorted() { waiting += old.renewalsAwaitingCoverage[session]! }
        for session in old.renewalsAwaitingExpiry.keys.sorted() { waiting += old.renewalsAwaitingExpiry[session]! }
        for renewal in waiting { respond(renewal.reply, notLeader) }
    }

    /// What `status` answers: this node's view of itself and, on the leader, of its peers.
    package func statusReport() -> NodeStatus {
        let status = raft.status
        let membership = raft.configuration
        let role: NodeRole =
            switch status.role {
            case .leader: .leader
            case .candidate, .preCandidate: .candidate
            case .follower: membership.isLearner(id) ? .learner : .follower
            }
        let now = environment.monotonicMilliseconds
        let horizon = UInt64(configuration.raft.electionTicks) * configuration.tickMilliseconds
        let reachable = { (peer: NodeID) in (self.lastHeard[peer].map { now >= $0 && now - $0 < horizon }) ?? false }
        let peers = status.progress.filter { $0.0 != id }.map { peer, progress in
            PeerProgress(
                node: peer, matchIndex: progress.match,
                isLearner: progress.isLearner, isReachable: reachable(peer))
        }
        let health = clusterHealth(reachable: reachable)
        let counts = table.counts
        return NodeStatus(
            node: id, role: role, term: status.term,
            leader: status.leader, commitIndex: status.committedIndex,
            appliedIndex: applied, lastIndex: status.lastIndex,
            snapshotIndex: status.snapshotIndex, sessionCount: UInt64(counts.sessions),
            lockCount: UInt64(counts.heldLocks), waiterCount: UInt64(counts.waiters),
            members: membership.voters,
            learners: membership.learners, peers: peers, canCommit: health.canCommit,
            problems: health.problems)
    }
}

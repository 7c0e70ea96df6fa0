import PadlockTypes

extension RaftNode {
    /// Advances the node's logical clock by one tick: followers count toward an election, leaders toward
    /// a heartbeat and a check-quorum round.
    package mutating func tick() {
        tickCount += 1
        if role == .leader {
            tickLeader()
        } else {
            electionElapsed += 1
            if isPromotable && electionElapsed >= randomizedElectionTimeout {
                electionElapsed = 0
                campaign(transfer: false)
            }
        }
    }

    /// Starts an election now, as if the election timeout had passed (with a pre-vote when enabled).
    /// Does nothing on a leader or on a node that cannot vote.
    package mutating func campaign() {
        guard role != .leader else { return }
        campaign(transfer: false)
    }

    private mutating func tickLeader() {
        heartbeatElapsed += 1
        electionElapsed += 1
        if electionElapsed >= config.electionTicks {
            electionElapsed = 0
            if config.checkQuorum && !quorumRecentlyActive() {
                becomeFollower(term: term, leader: nil)
                return
            }
            // A transfer that has not finished within an election timeout is abandoned.
            transferTarget = nil
        }
        if heartbeatElapsed >= config.heartbeatTicks {
            heartbeatElapsed = 0
            broadcastHeartbeat()
        }
    }

    /// Whether a majority of voters (this node included) was heard from since the last check; resets the marks.
    private mutating func quorumRecentlyActive() -> Bool {
        var active = 0
        for member in log.configuration.voters {
            if member == id || progress[member]?.recentActive == true { active += 1 }
        }
        for member in log.configuration.members where member != id { progress[member]?.recentActive = false }
        return active >= log.configuration.quorum
    }

    mutating func resetElectionTimeout() {
        let spread = UInt64(config.electionTicks)
        randomizedElectionTimeout = config.electionTicks + Int(random.next(below: spread))
    }

    /// Moves to `newTerm` (forgetting the vote when the term changes) and clears per-role state.
    mutating func reset(term newTerm: Term) {
        precondition(
            newTerm >= term,
            "node \(id) (\(role), term \(term), vote \(voteDescription)): "
                + "term would go back to \(newTerm); terms never decrease (§5.1)")
        if newTerm != term {
            term = newTerm
            vote = nil
        }
        leader = nil
        electionElapsed = 0
        heartbeatElapsed = 0
        resetElectionTimeout()
        votes = [:]
        progress = [:]
        lostAcknowledgements = [:]
        transferTarget = nil
        leaseRevoked = false
        uncommittedBytes = 0
        needsBroadcast = false
        // Reads waiting for confirmation are dropped: only the leader that took them could confirm them,
        // and the caller retries after its own timeout.
        pendingReads = []
        readsAwaitingCommit = []
        roundSentTicks = []
    }

    mutating func becomeFollower(term newTerm: Term, leader newLeader: NodeID?) {
        reset(term: newTerm)
        role = .follower
        leader = newLeader
    }

    mutating func campaign(transfer: Bool) {
        // A node at the last term below the limit could not send a request anyone accepts, and one whose log
        // ends at the last index below it could not append its no-op as leader; staying a follower keeps
        // `term.next` and `lastIndex.next` within the limits.
        guard isPromotable, term.next.isWithinLimit, log.lastIndex.next.isWithinLimit else { return }
        if config.preVote && !transfer {
            preCampaign()
        } else {
            startElection(transfer: transfer)
        }
    }

    /// Asks for pre-votes for the next term while keeping the current one, so a failed attempt
    /// disturbs nobody (dissertation §9.6).
    private mutating func preCampaign() {
        reset(term: term)
        role = .preCandidate
        votes[id] = true
        if tallyVotes() == .won {
            startElection(transfer: false)
            return
        }
        for voter in log.configuration.voters where voter != id {
            send(.preVote(lastIndex: log.lastIndex, lastTerm: log.lastTerm), to: voter, term: term.next)
        }
    }

    private mutating func startElection(transfer: Bool) {
        reset(term: term.next)
        role = .candidate
        castVote(for: id)
        votes[id] = true
        if tallyVotes() == .won {
            becomeLeader()
            return
        }
        for voter in log.configuration.voters where voter != id {
            send(.vote(lastIndex: log.lastIndex, lastTerm: log.lastTerm, transfer: transfer), to: voter)
        }
    }

    enum ElectionOutcome { case won, lost, pending }

    func tallyVotes() -> ElectionOutcome {
        var granted = 0
        var rejected = 0
        for voter in log.configuration.voters {
            switch votes[voter] {
            case true?: granted += 1
            case false?: rejected += 1
            case nil: break
            }
        }
        let quorum = log.configuration.quorum
        if granted >= quorum { return .won }
        if log.configuration.voters.count - rejected < quorum { return .lost }
        return .pending
    }

    private mutating func winElection() {
        if role == .preCandidate {
            startElection(transfer: false)
        } else {
            becomeLeader()
        }
    }

    /// Counts one answer to this node's (pre-)vote request.
    mutating func recordVote(from voter: NodeID, granted: Bool) {
        if votes[voter] == nil { votes[voter] = granted }
        switch tallyVotes() {
        case .won: winElection()
        case .lost: becomeFollower(term: term, leader: nil)
        case .pending: break
        }
    }

    /// Answers a vote or pre-vote request whose term is not below ours (§5.2, §5.4.1).
    mutating func answerVoteRequest(_ message: Message, lastIndex: LogIndex, lastTerm: Term, preVote: Bool) {
        let canVote =
            vote == message.from || (vote == nil && leader == nil) || (preVote && message.term > term)
        let granted = canVote && log.isUpToDate(lastIndex: lastIndex, lastTerm: lastTerm)
        let answer: Message.Kind = preVote ? .preVoteResponse(granted: granted) : .voteResponse(granted: granted)
        // A granted pre-vote answers in the term the candidate asked about, so it can count it.
        send(answer, to: message.from, term: granted ? message.term : term)
        if granted && !preVote {
            precondition(
                message.term == term,
                "node \(id) (term \(term)) grants \(message.from) a vote for term \(message.term); a vote is cast only "
                    + "in the node's own term")
            electionElapsed = 0
            castVote(for: message.from)
        }
    }

    /// The vote cast in the current term, for messages.
    private var voteDescription: String { vote.map { "\($0)" } ?? "none" }

    /// Records this node's vote in the current term: at most one candidate per term (§5.2). The vote reaches
    /// the disk in the next `Ready`'s hard state, which `ready()` checks against the last one persisted.
    private mutating func castVote(for candidate: NodeID) {
        precondition(
            vote == nil || vote == candidate,
            "node \(id) votes for \(candidate) in term \(term) after voting for \(voteDescription)"
                + " in the same term; one vote per term (§5.2)")
        vote = candidate
    }

    mutating func becomeLeader() {
        precondition(role == .candidate, "node \(id) became leader from \(role) in term \(term)")
        reset(term: term)
        role = .leader
        leader = id
        for member in log.configuration.members {
            progress[member] = Progress(next: log.lastIndex.next, isLearner: log.configuration.isLearner(member))
        }
        ensureOwnProgress()
        let noop = Entry(term: term, index: log.lastIndex.next, kind: .noop, data: [])
        log.append([noop])
        progress[id]?.next = log.lastIndex.next
        broadcastAppend()
    }

    /// The leader tracks its own durable log like a follower's, in replicate state.
    mutating func ensureOwnProgress() {
        var own = progress[id] ?? Progress(next: log.lastIndex.next, isLearner: false)
        own.becomeReplicate()
        _ = own.acknowledge(log.persisted, round: heartbeatRound)
        progress[id] = own
    }
}

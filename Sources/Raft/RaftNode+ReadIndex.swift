extension RaftNode {
    /// Asks for a linearizable read point (dissertation §6.4). The answer arrives as a `ReadState` in a
    /// later `Ready` once a heartbeat round started after this call is acknowledged by a majority; reads
    /// made before that round's heartbeats leave in a `Ready` share it. A leader that has not yet committed
    /// an entry of its term holds reads until it has. Reads pending when leadership is lost are dropped.
    package mutating func readIndex(context: [UInt8]) -> ReadIndexResult {
        guard role == .leader else { return .notLeader(hint: leader) }
        if log.term(at: log.committed) != term {
            readsAwaitingCommit.append(context)
            return .pending
        }
        if leaderLeaseIsValid {
            readStates.append(ReadState(index: log.committed, context: context))
            return .pending
        }
        if !roundOpen { broadcastHeartbeat() }
        pendingReads.append(PendingRead(round: heartbeatRound, index: log.committed, context: context))
        confirmReads()
        return .pending
    }

    /// Moves reads held for the first commit of the term into a heartbeat round.
    mutating func releaseReadsAwaitingCommit() {
        let contexts = readsAwaitingCommit
        readsAwaitingCommit = []
        for context in contexts { _ = readIndex(context: context) }
    }

    /// The newest heartbeat round a majority of voters (this node included) has answered.
    private var quorumAcknowledgedRound: UInt64 {
        let rounds = log.configuration.voters.map { progress[$0]?.acknowledgedRound ?? 0 }.sorted(by: >)
        guard !rounds.isEmpty else { return 0 }
        return rounds[log.configuration.quorum - 1]
    }

    /// Releases every pending read whose round a majority has answered.
    mutating func confirmReads() {
        guard role == .leader, !pendingReads.isEmpty else { return }
        let confirmed = quorumAcknowledgedRound
        while let first = pendingReads.first, first.round <= confirmed {
            readStates.append(ReadState(index: first.index, context: first.context))
            pendingReads.removeFirst()
        }
    }

    /// Whether a majority answered a heartbeat sent recently enough that no other leader can have been
    /// elected since: followers that hear from a leader ignore vote requests for an election timeout.
    /// The margin of two ticks absorbs tick skew between nodes; a transfer voids the lease for the term.
    private var leaderLeaseIsValid: Bool {
        guard config.leaderLeaseReads, !leaseRevoked, transferTarget == nil else { return false }
        let round = quorumAcknowledgedRound
        guard let sent = roundSentTicks.first(where: { $0.round == round }) else { return false }
        return tickCount - sent.tick < config.electionTicks - 2
    }
}

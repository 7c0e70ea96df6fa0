import PadlockTypes

extension RaftNode {
    /// Proposes a command. On a leader it is appended at once and replicated with the next `Ready`, which
    /// batches every proposal made since the previous one into one append per follower.
    package mutating func propose(_ data: [UInt8]) -> ProposeResult {
        if let refusal = proposalRefusal() { return refusal }
        // One command larger than the cap is still accepted by an idle leader, or it could never commit.
        if uncommittedBytes > 0 && uncommittedBytes + data.count > config.maxUncommittedBytes { return .overloaded }
        return appendProposal(kind: .normal, data: data)
    }

    /// Proposes a membership change, validated against the latest configuration in the log.
    package mutating func proposeConfigChange(_ change: ConfigChange) -> ProposeResult {
        if let refusal = proposalRefusal() { return refusal }
        if log.configIndex > log.committed { return .rejected(.changeInProgress) }
        if let reason = log.configuration.rejection(of: change) { return .rejected(reason) }
        if case .promote(let learner) = change, (progress[learner]?.match ?? .zero) < log.committed {
            // A voter that lags would weaken the quorum until it caught up.
            return .rejected(.learnerNotCaughtUp(learner))
        }
        let result = appendProposal(kind: .configChange, data: change.encoded)
        synchronizeProgress()
        return result
    }

    /// Hands leadership to `target`: catch it up, then tell it to campaign at once. Proposals are refused
    /// until the transfer ends; it is abandoned after an election timeout.
    package mutating func transferLeadership(to target: NodeID) -> TransferResult {
        guard role == .leader else { return .notLeader(hint: leader) }
        if target == id { return .alreadyLeader }
        guard log.configuration.isVoter(target) else { return .notVoter(target) }
        transferTarget = target
        electionElapsed = 0
        if progress[target]?.match == log.lastIndex {
            sendTimeoutNow(to: target)
        } else {
            sendAppend(to: target, evenIfEmpty: true)
        }
        return .started
    }

    private func proposalRefusal() -> ProposeResult? {
        if role != .leader { return .notLeader(hint: leader) }
        if transferTarget != nil { return .transferInProgress }
        // Only a log grown from a forged index gets here; the next entry would be refused everywhere.
        if !log.lastIndex.next.isWithinLimit { return .overloaded }
        return nil
    }

    private mutating func appendProposal(kind: Entry.Kind, data: [UInt8]) -> ProposeResult {
        let entry = Entry(term: term, index: log.lastIndex.next, kind: kind, data: data)
        log.append([entry])
        uncommittedBytes += data.count
        progress[id]?.next = log.lastIndex.next
        needsBroadcast = true
        return .accepted(index: entry.index, term: term)
    }

    /// Brings the leader's progress table in line with the latest configuration. Removed nodes keep their
    /// progress until the removal commits (see `peers`).
    mutating func synchronizeProgress() {
        let configuration = log.configuration
        for member in configuration.members where member != id {
            if progress[member] == nil {
                progress[member] = Progress(next: log.lastIndex, isLearner: configuration.isLearner(member))
            }
            progress[member]?.isLearner = configuration.isLearner(member)
        }
        if let target = transferTarget, !configuration.isVoter(target) { transferTarget = nil }
    }
}

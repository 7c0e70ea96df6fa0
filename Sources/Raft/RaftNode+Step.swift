import PadlockTypes

extension RaftNode {
    /// Handles one message from another node. Messages for another node, from this node, or from a
    /// stale term are dropped (answered only where that helps the sender learn the newer term). A message
    /// carrying a term or index at or above the limits (`Message.boundsProblem`) is dropped and counted:
    /// nothing a peer sends can make this node trap or adopt a term it could never leave.
    package mutating func step(_ message: Message) {
        guard message.to == id, message.from != id, message.from.rawValue != 0 else { return }
        guard message.boundsProblem == nil else {
            droppedMessages += 1
            return
        }
        guard acceptTerm(of: message) else { return }
        switch message.kind {
        case .preVote(let lastIndex, let lastTerm):
            answerVoteRequest(message, lastIndex: lastIndex, lastTerm: lastTerm, preVote: true)
        case .vote(let lastIndex, let lastTerm, _):
            answerVoteRequest(message, lastIndex: lastIndex, lastTerm: lastTerm, preVote: false)
        default:
            switch role {
            case .leader: stepLeader(message)
            case .preCandidate, .candidate: stepCandidate(message)
            case .follower: stepFollower(message)
            }
        }
    }

    /// Applies the term rules (§5.1); returns whether the message should be handled further.
    private mutating func acceptTerm(of message: Message) -> Bool {
        if message.term > term { return acceptHigherTerm(of: message) }
        if message.term < term {
            answerStaleTerm(message)
            return false
        }
        return true
    }

    private mutating func acceptHigherTerm(of message: Message) -> Bool {
        switch message.kind {
        case .preVote, .vote:
            if isTransferVote(message) == false && hearsFromLeader {
                // Check-quorum's other half: while a leader is heard from, a vote request is a rejoining or
                // removed node that should not disrupt it, so it is ignored without adopting its term.
                return false
            }
        default:
            break
        }
        switch message.kind {
        case .preVote, .preVoteResponse(granted: true):
            // Pre-votes never change terms: a granted answer carries the term the pre-candidate asked about.
            return true
        case .timeoutNow:
            // Only the leader of this node's own term may hand over; a leader of a newer term would have
            // replicated to us first. A forged or stale one from a higher term must not force an election.
            droppedMessages += 1
            return false
        case .append, .heartbeat, .snapshot:
            becomeFollower(term: message.term, leader: message.from)
        default:
            becomeFollower(term: message.term, leader: nil)
        }
        return true
    }

    private func isTransferVote(_ message: Message) -> Bool {
        if case .vote(_, _, let transfer) = message.kind { return transfer }
        return false
    }

    /// Whether this node heard from a leader within the election timeout (and check-quorum is on).
    private var hearsFromLeader: Bool {
        config.checkQuorum && leader != nil && electionElapsed < config.electionTicks
    }

    private mutating func answerStaleTerm(_ message: Message) {
        switch message.kind {
        case .append, .heartbeat:
            // A node that bumped its term while cut off cannot win with pre-vote if its log is behind, and
            // would ignore this leader forever; telling the leader our term forces a fresh election.
            guard config.checkQuorum || config.preVote else { return }
            send(.appendResponse(index: .zero, rejected: true, hintIndex: .zero, hintTerm: .zero), to: message.from)
        case .preVote:
            send(.preVoteResponse(granted: false), to: message.from)
        default:
            break
        }
    }

    private mutating func stepFollower(_ message: Message) {
        switch message.kind {
        case .append(let prevIndex, let prevTerm, let entries, let commit):
            heardFromLeader(message.from)
            handleAppend(from: message.from, prevIndex: prevIndex, prevTerm: prevTerm, entries: entries, commit: commit)
        case .heartbeat(let commit, let round):
            heardFromLeader(message.from)
            handleHeartbeat(from: message.from, commit: commit, round: round)
        case .snapshot(let snapshot):
            heardFromLeader(message.from)
            handleSnapshot(from: message.from, snapshot)
        case .timeoutNow:
            // The leader is handing over: campaign at once, skipping the pre-vote, with the transfer flag
            // so that voters still hearing from the old leader answer. Only the leader this node follows in
            // this term may ask; from anyone else it is forged or confused, and forcing elections is harm.
            guard message.from == leader else {
                droppedMessages += 1
                return
            }
            campaign(transfer: true)
        default:
            break
        }
    }

    private mutating func heardFromLeader(_ sender: NodeID) {
        electionElapsed = 0
        leader = sender
    }

    private mutating func stepCandidate(_ message: Message) {
        switch message.kind {
        case .append, .heartbeat, .snapshot:
            // Another node won this term.
            becomeFollower(term: term, leader: message.from)
            stepFollower(message)
        case .preVoteResponse(let granted) where role == .preCandidate:
            recordVote(from: message.from, granted: granted)
        case .voteResponse(let granted) where role == .candidate:
            recordVote(from: message.from, granted: granted)
        default:
            break
        }
    }

    private mutating func stepLeader(_ message: Message) {
        switch message.kind {
        case .appendResponse(let index, let rejected, let hintIndex, let hintTerm):
            handleAppendResponse(
                from: message.from, index: index, rejected: rejected, hintIndex: hintIndex, hintTerm: hintTerm)
        case .heartbeatResponse(let round, let lastIndex):
            handleHeartbeatResponse(from: message.from, round: round, lastIndex: lastIndex)
        default:
            break
        }
    }
}

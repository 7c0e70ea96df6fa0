import PadlockTypes

extension RaftNode {
    /// Sends every follower what it is missing (an empty append carries a new commit index).
    mutating func broadcastAppend() {
        for member in peers {
            _ = sendAppend(to: member, evenIfEmpty: true)
        }
    }

    /// Sends one append (or a snapshot) to `follower` unless its window is full. Returns whether it sent.
    @discardableResult
    mutating func sendAppend(to follower: NodeID, evenIfEmpty: Bool) -> Bool {
        guard var state = progress[follower],
            !state.isPaused(maxMessages: config.maxInflightMessages, maxBytes: config.maxInflightBytes)
        else { return false }
        let prevIndex = state.next.previous
        guard let prevTerm = log.term(at: prevIndex) else {
            // The entries it needs are compacted away: only the snapshot can catch it up. One snapshot at a
            // time; the caller reports the outcome through reportSnapshot(to:status:).
            state.becomeSnapshot(log.snapshotIndex)
            progress[follower] = state
            send(.snapshot(log.snapshot), to: follower)
            return true
        }
        let batch = appendBatch(from: state.next)
        if batch.entries.isEmpty && !evenIfEmpty { return false }
        state.recordSent(lastIndex: batch.entries.last?.index ?? prevIndex, bytes: batch.bytes)
        progress[follower] = state
        send(
            .append(prevIndex: prevIndex, prevTerm: prevTerm, entries: batch.entries, commit: log.committed),
            to: follower)
        return !batch.entries.isEmpty
    }

    /// The entries from `start` that fit one append message.
    private func appendBatch(from start: LogIndex) -> (entries: [Entry], bytes: Int) {
        var entries: [Entry] = []
        var bytes = 0
        let end = min(log.lastIndex, start + (config.maxEntriesPerAppend - 1))
        for entry in log.entries(from: start, through: end) {
            if !entries.isEmpty && bytes + entry.data.count > config.maxBytesPerAppend { break }
            entries.append(entry)
            bytes += entry.data.count
        }
        return (entries, bytes)
    }

    /// Starts a new heartbeat round: followers reset their election timers, learn the commit index,
    /// and their answers confirm leadership for reads waiting on this round.
    mutating func broadcastHeartbeat() {
        heartbeatRound += 1
        roundOpen = true
        roundSentTicks.append((heartbeatRound, tickCount))
        roundSentTicks.removeAll { tickCount - $0.tick > config.electionTicks }
        progress[id]?.acknowledgedRound = heartbeatRound
        for member in peers {
            guard let state = progress[member] else { continue }
            send(.heartbeat(commit: min(state.match, log.committed), round: heartbeatRound), to: member)
        }
        confirmReads()
    }

    mutating func handleAppendResponse(
        from follower: NodeID, index: LogIndex, rejected: Bool, hintIndex: LogIndex, hintTerm: Term
    ) {
        guard var state = progress[follower] else { return }
        guard rejected || index <= log.lastIndex else {
            // Acknowledging entries we never sent would commit entries that do not exist.
            droppedMessages += 1
            return
        }
        state.recentActive = true
        if rejected {
            let hint = hintTerm == .zero ? hintIndex : lastIndex(atOrBelow: hintIndex, withTermAtMost: hintTerm)
            let changed = state.rejection(of: index, hint: hint)
            progress[follower] = state
            if changed { sendAppend(to: follower, evenIfEmpty: true) }
            return
        }
        let wasPaused = state.isPaused(maxMessages: config.maxInflightMessages, maxBytes: config.maxInflightBytes)
        guard state.acknowledge(index, round: heartbeatRound) else {
            progress[follower] = state
            return
        }
        switch state.state {
        case .probe: state.becomeReplicate()
        case .snapshot(let pending) where state.match >= pending: state.becomeReplicate()
        default: break
        }
        progress[follower] = state
        if !advanceCommit() {
            // A follower that was paused may have missed the latest commit index: tell it even if there
            // is nothing new to send, then fill its window.
            if wasPaused { sendAppend(to: follower, evenIfEmpty: true) }
            while sendAppend(to: follower, evenIfEmpty: false) {}
        }
        if transferTarget == follower && state.match == log.lastIndex {
            sendTimeoutNow(to: follower)
        }
    }

    mutating func handleHeartbeatResponse(from follower: NodeID, round: UInt64, lastIndex: LogIndex) {
        guard var state = progress[follower] else { return }
        guard round <= heartbeatRound else {
            // A round we never started would confirm reads no majority confirmed.
            droppedMessages += 1
            return
        }
        if round > state.matchRound && lastIndex < state.match {
            // This answer left after the follower acknowledged `match`, and its log now ends before it: the
            // follower lost entries it acknowledged (a data directory restored from a copy). Its answer
            // does not confirm reads, and the leader probes from where its log really ends.
            lostAcknowledgements[follower] = LostAcknowledgement(
                node: follower, acknowledged: state.match, lastIndex: lastIndex)
            state.forgetMatch(followerLastIndex: lastIndex)
            progress[follower] = state
            sendAppend(to: follower, evenIfEmpty: true)
            return
        }
        state.recentActive = true
        state.probeSent = false
        state.acknowledgedRound = max(state.acknowledgedRound, round)
        // A full window whose appends were lost would never drain; freeing one lets the next append
        // reveal the gap and move the follower back to probing.
        if state.state == .replicate && state.inflight.count >= config.maxInflightMessages {
            state.inflightBytes -= state.inflight.removeFirst().bytes
        }
        progress[follower] = state
        if state.match < log.lastIndex { sendAppend(to: follower, evenIfEmpty: true) }
        confirmReads()
    }

    /// Searches our log downward from `index` for the last entry whose term is at most `term`.
    func lastIndex(atOrBelow index: LogIndex, withTermAtMost maxTerm: Term) -> LogIndex {
        var candidate = min(index, log.lastIndex)
        while candidate > log.snapshotIndex, let found = log.term(at: candidate), found > maxTerm {
            candidate = candidate.previous
        }
        return candidate
    }

    /// Commits the highest index a majority of voters hold, if it is from the current term (§5.4.2).
    /// Returns whether the commit index moved (and the news was broadcast).
    @discardableResult
    mutating func advanceCommit() -> Bool {
        let voters = log.configuration.voters
        guard !voters.isEmpty else { return false }
        let matches = voters.map { progress[$0]?.match ?? .zero }.sorted(by: >)
        let candidate = matches[log.configuration.quorum - 1]
        guard candidate > log.committed,
            log.term(at: candidate) == term || config.injectedBugs.commitsPreviousTermByCounting
        else { return false }
        let previous = log.committed
        log.commit(to: candidate)
        for entry in log.entries(from: previous.next, through: candidate) where entry.term == term {
            uncommittedBytes = max(0, uncommittedBytes - entry.data.count)
        }
        if log.term(at: previous) != term { releaseReadsAwaitingCommit() }
        broadcastAppend()
        if log.configIndex <= log.committed { forgetRemovedPeers() }
        if !log.configuration.isVoter(id) && log.configIndex <= log.committed {
            // The leader's own removal is committed: it steps down and, not being a voter, stays quiet.
            becomeFollower(term: term, leader: nil)
        }
        return true
    }

    /// The nodes the leader replicates to, sorted: the members of the latest configuration plus nodes whose
    /// removal has not committed yet, which keep receiving the log so that they learn of their removal
    /// (and stop campaigning) instead of timing out forever.
    var peers: [NodeID] { progress.keys.filter { $0 != id }.sorted() }

    /// Drops the progress of nodes whose removal has committed.
    private mutating func forgetRemovedPeers() {
        let members = log.configuration.members
        for peer in peers where !members.contains(peer) { progress[peer] = nil }
    }

    mutating func sendTimeoutNow(to target: NodeID) {
        leaseRevoked = true
        send(.timeoutNow, to: target)
    }
}

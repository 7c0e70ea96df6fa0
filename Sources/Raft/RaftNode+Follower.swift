import PadlockTypes

extension RaftNode {
    /// Accepts entries that follow a matching entry (§5.3), or rejects with a hint.
    mutating func handleAppend(
        from sender: NodeID, prevIndex: LogIndex, prevTerm: Term, entries: [Entry], commit: LogIndex
    ) {
        if prevIndex < log.committed {
            // Everything through our commit index already matches the leader: say so.
            respondAppend(to: sender, index: log.committed)
            return
        }
        guard isContiguous(entries, after: prevIndex, prevTerm: prevTerm) else {
            droppedMessages += 1
            return
        }
        guard log.matches(index: prevIndex, term: prevTerm) else {
            let hintIndex = lastIndex(atOrBelow: min(prevIndex, log.lastIndex), withTermAtMost: prevTerm)
            let hintTerm = log.term(at: hintIndex) ?? .zero
            send(
                .appendResponse(index: prevIndex, rejected: true, hintIndex: hintIndex, hintTerm: hintTerm), to: sender)
            return
        }
        guard let lastNew = log.appendReplicated(after: prevIndex, entries) else {
            droppedMessages += 1
            return
        }
        log.commit(to: min(commit, lastNew))
        respondAppend(to: sender, index: lastNew)
    }

    /// Entries from the network are checked rather than trusted: a malformed append is dropped. Indexes must
    /// follow `prevIndex` one by one, and terms must be at least 1, never decrease (starting from `prevTerm`)
    /// and not exceed the message's: every log a leader holds looks like that, and a log that did not would
    /// be refused at the next start.
    private func isContiguous(_ entries: [Entry], after prevIndex: LogIndex, prevTerm: Term) -> Bool {
        var expected = prevIndex.next
        var previousTerm = max(prevTerm, Term(1))
        for entry in entries {
            guard entry.index == expected, entry.term >= previousTerm, entry.term <= term else { return false }
            expected = expected.next
            previousTerm = entry.term
        }
        return true
    }

    private mutating func respondAppend(to sender: NodeID, index: LogIndex) {
        send(.appendResponse(index: index, rejected: false, hintIndex: .zero, hintTerm: .zero), to: sender)
    }

    mutating func handleHeartbeat(from sender: NodeID, commit: LogIndex, round: UInt64) {
        // The leader sends at most what it knows we match, so this never commits a foreign entry — unless
        // our log ends before that: then it lost entries it acknowledged (a directory restored from a copy),
        // what it holds may be stale, and it commits nothing. The answer's last index tells the leader.
        if commit <= log.lastIndex { log.commit(to: commit) }
        send(.heartbeatResponse(round: round, lastIndex: log.lastIndex), to: sender)
    }

    /// Installs a snapshot from the leader unless our log already covers it (§7).
    mutating func handleSnapshot(from sender: NodeID, _ snapshot: Snapshot) {
        let metadata = snapshot.metadata
        guard metadata.term <= term, metadata.index.rawValue > 0, !metadata.configuration.voters.isEmpty else {
            droppedMessages += 1
            return
        }
        if metadata.index <= log.committed {
            respondAppend(to: sender, index: log.committed)
        } else if log.matches(index: metadata.index, term: metadata.term) {
            // Our log already holds the snapshot's last entry, so everything before it matches too.
            log.commit(to: metadata.index)
            respondAppend(to: sender, index: log.committed)
        } else {
            log.install(snapshot)
            respondAppend(to: sender, index: log.lastIndex)
        }
    }
}

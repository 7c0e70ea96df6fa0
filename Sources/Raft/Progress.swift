import PadlockTypes

/// What the leader knows about one follower's log, and how it is currently sending to it.
package struct Progress: Sendable {
    /// How the leader sends to a follower.
    package enum State: Hashable, Sendable {
        /// Unsure where the follower's log ends: one append at a time, waiting for each answer.
        case probe
        /// The follower is known to match: appends are pipelined up to the in-flight window.
        case replicate
        /// A snapshot through the given index is on its way; nothing else is sent until it is reported.
        case snapshot(LogIndex)
    }

    /// The highest index known to match the leader's log.
    package internal(set) var match: LogIndex
    /// The next index to send.
    package internal(set) var next: LogIndex
    /// How the leader is sending.
    package internal(set) var state: State
    /// Whether the node is a learner.
    package internal(set) var isLearner: Bool
    /// In probe state: an append is outstanding, so wait for its answer or the next heartbeat.
    var probeSent = false
    /// Heard from since the last check-quorum round.
    var recentActive = false
    /// The latest heartbeat round this follower answered.
    var acknowledgedRound: UInt64 = 0
    /// The leader's heartbeat round when `match` last rose: an answer to a later round was sent after the
    /// follower acknowledged `match`, so a log ending before `match` there means it lost acknowledged entries.
    var matchRound: UInt64 = 0
    /// The last index and byte size of each append in flight, oldest first.
    var inflight: [(index: LogIndex, bytes: Int)] = []
    var inflightBytes = 0

    init(next: LogIndex, isLearner: Bool) {
        self.match = .zero
        self.next = next
        self.state = .probe
        self.isLearner = isLearner
    }

    /// Whether the leader should hold further appends for now.
    func isPaused(maxMessages: Int, maxBytes: Int) -> Bool {
        switch state {
        case .probe: return probeSent
        case .replicate: return inflight.count >= maxMessages || inflightBytes >= maxBytes
        case .snapshot: return true
        }
    }

    mutating func becomeProbe() {
        if case .snapshot(let pending) = state {
            next = max(match.next, pending.next)
        } else {
            next = match.next
        }
        state = .probe
        probeSent = false
        clearInflight()
    }

    mutating func becomeReplicate() {
        state = .replicate
        next = match.next
        probeSent = false
        clearInflight()
    }

    mutating func becomeSnapshot(_ index: LogIndex) {
        state = .snapshot(index)
        clearInflight()
    }

    /// Records an acknowledgement through `index`, received while heartbeat round `round` was the latest
    /// sent; returns whether it told the leader anything new.
    mutating func acknowledge(_ index: LogIndex, round: UInt64) -> Bool {
        var updated = false
        if index > match {
            match = index
            matchRound = round
            updated = true
            probeSent = false
        }
        next = max(next, index.next)
        freeInflight(through: index)
        return updated
    }

    /// Handles a rejection of the append after `rejected`; `hint` is the last index that may match.
    /// Returns false when the rejection is stale.
    mutating func rejection(of rejected: LogIndex, hint: LogIndex) -> Bool {
        if state == .replicate {
            if rejected <= match { return false }
            becomeProbe()
            return true
        }
        if next.previous != rejected { return false }
        next = max(min(rejected, hint.next), match.next)
        probeSent = false
        return true
    }

    /// The follower's log ends at `lastIndex`, before entries it acknowledged: what it once matched is
    /// gone, so the leader forgets the match and probes from its actual end instead of waiting for ever for
    /// an answer past `match` (the only place `match` goes back).
    mutating func forgetMatch(followerLastIndex lastIndex: LogIndex) {
        match = .zero
        matchRound = 0
        state = .probe
        next = lastIndex.next
        probeSent = false
        clearInflight()
    }

    mutating func recordSent(lastIndex: LogIndex, bytes: Int) {
        switch state {
        case .replicate:
            next = lastIndex.next
            inflight.append((lastIndex, bytes))
            inflightBytes += bytes
        case .probe:
            probeSent = true
        case .snapshot:
            preconditionFailure("append sent while a snapshot is pending")
        }
    }

    private mutating func freeInflight(through index: LogIndex) {
        while let first = inflight.first, first.index <= index {
            inflightBytes -= first.bytes
            inflight.removeFirst()
        }
    }

    private mutating func clearInflight() {
        inflight.removeAll()
        inflightBytes = 0
    }
}

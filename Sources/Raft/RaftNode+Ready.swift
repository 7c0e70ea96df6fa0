import PadlockTypes

extension RaftNode {
    /// Whether `ready()` has work for the caller. False while a `Ready` is handed out and not yet advanced.
    package var hasReady: Bool {
        if readyOutstanding { return false }
        return needsBroadcast || !outbox.isEmpty || !readStates.isEmpty || hardState != persistedHardState
            || log.pendingSnapshot != nil || !log.unpersistedEntries.isEmpty || !log.entriesToApply.isEmpty
    }

    /// Collects the work for the caller; see `Ready` for the order in which to do it. At most one `Ready`
    /// is outstanding: call `advance(_:)` with it before asking for the next one.
    package mutating func ready() -> Ready {
        precondition(!readyOutstanding, "node \(id): ready() called again before advance()")
        if needsBroadcast {
            needsBroadcast = false
            broadcastAppend()
        }
        // Heartbeats leaving now were sent before any later read arrived, so later reads need a new round.
        roundOpen = false
        let current = hardState
        if current != persistedHardState { checkSuccessor(of: persistedHardState, current) }
        let toApply = entriesToApply()
        checkHandedOut(toApply)
        let entries = Array(log.unpersistedEntries)
        let snapshot = log.pendingSnapshot
        let ready = Ready(
            hardState: current == persistedHardState ? nil : current,
            mustSync: Self.mustSync(current, after: persistedHardState, entries: entries, snapshot: snapshot),
            entries: entries,
            snapshot: snapshot,
            committedEntries: toApply,
            readStates: readStates,
            messages: outbox.filter { !$0.requiresPersistence },
            messagesAfterPersist: outbox.filter(\.requiresPersistence)
        )
        outbox = []
        readStates = []
        readyOutstanding = true
        return ready
    }

    /// Takes the messages that may leave before anything is persisted (appends, heartbeats, snapshots,
    /// `timeoutNow`), even while a `Ready` is outstanding, so that a slow disk write does not hold back the
    /// leader's heartbeats and replication. Messages that promise durable state stay queued for the next
    /// `Ready`, in order. Proposals made since the last `Ready` are broadcast now: followers may persist
    /// them before the leader does, and the leader still counts itself only after `advance`.
    package mutating func takeMessages() -> [Message] {
        if needsBroadcast {
            needsBroadcast = false
            broadcastAppend()
        }
        guard outbox.contains(where: { !$0.requiresPersistence }) else { return [] }
        // Heartbeats leaving now were sent before any later read arrived, so later reads need a new round.
        roundOpen = false
        let early = outbox.filter { !$0.requiresPersistence }
        outbox.removeAll { !$0.requiresPersistence }
        return early
    }

    /// Whether a Ready must be durable before its answers leave: the paper's persistent state is the current
    /// term, the vote and the log, so new entries, a snapshot (it replaces the log) or a changed term or vote
    /// must be synced; the commit index is volatile state that a node learns again from the leader.
    /// `previous` is the hard state of the last Ready: its term and vote are durable, since a change of
    /// either is synced, even when its commit index was never written.
    static func mustSync(_ current: HardState, after previous: HardState, entries: [Entry], snapshot: Snapshot?) -> Bool
    {
        !entries.isEmpty || snapshot != nil || current.term != previous.term || current.vote != previous.vote
    }

    /// The next committed entries to apply, at most `maxApplyBytesPerReady` of commands (at least one entry).
    private func entriesToApply() -> [Entry] {
        var batch: [Entry] = []
        var bytes = 0
        for entry in log.entriesToApply {
            if !batch.isEmpty && bytes + entry.data.count > config.maxApplyBytesPerReady { break }
            batch.append(entry)
            bytes += entry.data.count
        }
        return batch
    }

    /// A hard state about to be handed out for persisting follows the last persisted one: the term never goes
    /// back, a vote once cast is never changed within its term, and the commit index never regresses.
    private func checkSuccessor(of persisted: HardState, _ next: HardState) {
        let sameTerm = next.term == persisted.term
        precondition(
            next.term > persisted.term || (sameTerm && (persisted.vote == nil || next.vote == persisted.vote)),
            "node \(id): hard state term \(next.term) vote \(String(describing: next.vote)) would replace "
                + "the persisted term \(persisted.term) vote \(String(describing: persisted.vote)); terms never "
                + "decrease and a term has one vote")
        precondition(
            next.commit >= persisted.commit,
            "node \(id) (term \(term)): commit index would go back from \(persisted.commit) to \(next.commit)")
    }

    /// Entries handed out for applying are the next ones after `applied`, committed, and durable here; the
    /// node checks the same facts as it applies them (`Node.apply`).
    private func checkHandedOut(_ batch: [Entry]) {
        guard let first = batch.first, let last = batch.last else { return }
        precondition(
            first.index == log.applied.next && last.index <= log.committed && last.index <= log.persisted,
            "node \(id) (term \(term)) would hand out entries \(first.index)...\(last.index) for applying with "
                + "applied \(log.applied), committed \(log.committed), persisted \(log.persisted)")
    }

    /// Acknowledges that `ready` was handled: persisted, sent and applied as its documentation describes.
    package mutating func advance(_ ready: Ready) {
        precondition(readyOutstanding, "node \(id): advance() without an outstanding ready()")
        readyOutstanding = false
        if let hardState = ready.hardState { persistedHardState = hardState }
        if let snapshot = ready.snapshot { log.snapshotInstalled(snapshot.metadata.index) }
        if let last = ready.entries.last { log.markPersisted(through: last.index, term: last.term) }
        if let first = ready.committedEntries.first, let last = ready.committedEntries.last {
            precondition(
                first.index == log.applied.next && last.index <= log.committed,
                "node \(id) (term \(term)): advance() with applied entries \(first.index)...\(last.index) while "
                    + "applied is \(log.applied) and committed \(log.committed)")
            log.applied = max(log.applied, last.index)
        }
        if role == .leader {
            _ = progress[id]?.acknowledge(log.persisted, round: heartbeatRound)
            advanceCommit()
        }
    }

    /// Records that the state machine captured everything through `snapshotIndex` in `snapshotData`, and
    /// drops those entries from memory. The index must be applied; the leader sends this snapshot to
    /// followers that need compacted entries. Returns the metadata to store with the snapshot.
    @discardableResult
    package mutating func compact(
        snapshotIndex index: LogIndex, snapshotData data: [UInt8]
    ) throws(RaftError)
        -> SnapshotMetadata
    {
        guard index > log.snapshotIndex, index <= log.applied, log.pendingSnapshot == nil else {
            throw RaftError(
                .invalidSnapshotIndex,
                "cannot compact through \(index): the snapshot is at \(log.snapshotIndex) and applied is \(log.applied)"
            )
        }
        log.compact(through: index, data: data)
        return log.snapshot.metadata
    }

    /// Reports how sending a snapshot to `follower` ended. Either way the leader waits for the follower's
    /// next answer before sending again, so a failed transfer is retried at the pace of heartbeats.
    package mutating func reportSnapshot(to follower: NodeID, status: SnapshotStatus) {
        guard role == .leader, var state = progress[follower], case .snapshot = state.state else { return }
        if status == .failed { state.state = .probe }
        state.becomeProbe()
        state.probeSent = true
        progress[follower] = state
    }

    /// Reports that a message to `follower` could not be delivered: stop pipelining to it and probe instead.
    package mutating func reportUnreachable(to follower: NodeID) {
        guard role == .leader, var state = progress[follower], state.state == .replicate else { return }
        state.becomeProbe()
        progress[follower] = state
    }

    /// On a leader, the followers found this term to have lost entries they acknowledged, by node (cheap:
    /// no copy of the progress table).
    package var lostFollowers: [LostAcknowledgement] {
        lostAcknowledgements.isEmpty ? [] : lostAcknowledgements.keys.sorted().compactMap { lostAcknowledgements[$0] }
    }

    /// A snapshot of the node's state for logs, tests and operators.
    package var status: Status {
        var members: [(NodeID, Progress)] = []
        if role == .leader {
            for member in progress.keys.sorted() {
                if let state = progress[member] { members.append((member, state)) }
            }
        }
        return Status(
            id: id, role: role, term: term, vote: vote, leader: leader, lastIndex: log.lastIndex,
            committedIndex: log.committed, appliedIndex: log.applied, snapshotIndex: log.snapshotIndex,
            configuration: log.configuration, progress: members, transferTarget: transferTarget,
            droppedMessages: droppedMessages,
            lostAcknowledgements: lostFollowers)
    }
}

/// What a node is doing, for logs, tests and operators.
package struct Status: Sendable {
    /// The node's identity.
    package var id: NodeID
    /// Its role.
    package var role: RaftNode.Role
    /// Its term.
    package var term: Term
    /// Its vote in that term.
    package var vote: NodeID?
    /// The leader it knows of.
    package var leader: NodeID?
    /// Its last log index.
    package var lastIndex: LogIndex
    /// Its commit index.
    package var committedIndex: LogIndex
    /// The highest index handed out for applying.
    package var appliedIndex: LogIndex
    /// Its latest snapshot's index.
    package var snapshotIndex: LogIndex
    /// The latest configuration in its log.
    package var configuration: Configuration
    /// On a leader, the replication progress of each member (and of nodes whose removal has not yet
    /// committed), sorted by node.
    package var progress: [(NodeID, Progress)]
    /// On a leader, the target of a leadership transfer in progress.
    package var transferTarget: NodeID?
    /// Messages dropped as malformed or contradicting committed state (a correct peer sends none).
    package var droppedMessages: Int
    /// On a leader, the followers found this term to have lost entries they acknowledged, by node.
    package var lostAcknowledgements: [LostAcknowledgement]
}

/// A follower whose log was found to end before entries it had acknowledged to the leader: its data
/// directory lost them (restored from an old copy, or a disk that dropped synced writes). Its vote and its
/// acknowledgements can no longer be trusted.
package struct LostAcknowledgement: Hashable, Sendable, CustomStringConvertible {
    /// The follower.
    package var node: NodeID
    /// The highest index it had acknowledged.
    package var acknowledged: LogIndex
    /// Where its log ended when the leader found out.
    package var lastIndex: LogIndex

    /// `node 2 acknowledged entries through 40 but its log ends at 12`.
    package var description: String {
        "node \(node) acknowledged entries through \(acknowledged) but its log ends at \(lastIndex)"
    }
}

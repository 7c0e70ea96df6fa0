import PadlockTypes

/// One Raft node: a pure, deterministic state machine.
///
/// Inputs are plain calls (`step`, `tick`, `propose`, `proposeConfigChange`, `readIndex`,
/// `transferLeadership`, `compact`, `reportSnapshot`, `reportUnreachable`); the output is a `Ready` batch
/// that the caller persists, sends and applies, then acknowledges with `advance(_:)`. The node does no
/// I/O, reads no clock, starts no threads and draws randomness only from the generator it was given.
///
/// Deviations from the Raft paper (Ongaro and Ousterhout, 2014), each explained in docs/raft.md:
/// - Pre-vote and check-quorum (dissertation §9.6) are on by default; followers that hear from a leader
///   ignore vote requests unless they come from a leadership transfer, and a node answers a stale
///   leader's append with its higher term.
/// - A new leader appends a no-op entry (dissertation §6.4) so that it can commit earlier terms' entries
///   and serve reads.
/// - Membership changes one node at a time (dissertation §4.1) with learners, instead of joint consensus;
///   a configuration takes effect when its entry is appended. Nodes being removed keep receiving the log
///   until the removal commits, and a node whose removal is uncommitted may still campaign.
/// - Rejections carry a hint (index and term) so the leader skips a whole term per round trip.
/// - The leader replicates before its own write completes and counts its own log toward a commit only
///   once `advance` reports it durable (dissertation §10.2.1).
/// - Heartbeats are separate messages carrying `min(match, commit)` and a round number for ReadIndex
///   (dissertation §6.4); an optional leader lease is off by default.
/// - A snapshot travels as one message; chunking and its outcome belong to the transport.
package struct RaftNode: Sendable {
    /// What a node is doing in the current term.
    package enum Role: Hashable, Sendable, CustomStringConvertible {
        /// Follows a leader (or waits for one).
        case follower
        /// Asks whether a majority would vote for it, without changing its term.
        case preCandidate
        /// Campaigns for votes in its term.
        case candidate
        /// Leads its term.
        case leader

        /// The role's name.
        package var description: String {
            switch self {
            case .follower: return "follower"
            case .preCandidate: return "pre-candidate"
            case .candidate: return "candidate"
            case .leader: return "leader"
            }
        }
    }

    /// A read waiting for its heartbeat round.
    struct PendingRead {
        var round: UInt64
        var index: LogIndex
        var context: [UInt8]
    }

    let config: Config
    var random: SplitMix64
    var log: RaftLog

    /// This node's identity.
    package var id: NodeID { config.id }
    /// The current term.
    package internal(set) var term: Term
    /// The vote cast in the current term.
    package internal(set) var vote: NodeID?
    /// The current role.
    package internal(set) var role: Role = .follower
    /// The leader this node knows of in the current term.
    package internal(set) var leader: NodeID?

    /// The hard state of the last Ready advanced (or the restored one): its term and vote are durable; its
    /// commit index may not be (see `Ready.mustSync`).
    var persistedHardState: HardState
    var electionElapsed = 0
    var heartbeatElapsed = 0
    var randomizedElectionTimeout = 0
    /// Ticks since this node started; only used to date heartbeat rounds for leader-lease reads.
    var tickCount = 0
    /// Votes received in the current (pre-)campaign.
    var votes: [NodeID: Bool] = [:]
    /// Per-member replication state; only a leader has any. Iterate through `log.configuration.members`.
    var progress: [NodeID: Progress] = [:]
    var outbox: [Message] = []
    var readStates: [ReadState] = []
    /// Reads that arrived before the leader committed an entry of its term.
    var readsAwaitingCommit: [[UInt8]] = []
    var pendingReads: [PendingRead] = []
    /// Numbers heartbeat rounds; increases for the node's whole life so stale answers never match.
    var heartbeatRound: UInt64 = 0
    /// The current round's heartbeats have not left in a `Ready` yet, so new reads may join it.
    var roundOpen = false
    /// When each recent round was sent, for leader-lease reads.
    var roundSentTicks: [(round: UInt64, tick: Int)] = []
    var transferTarget: NodeID?
    /// Set once this leader sent `timeoutNow`: its lease is void for the rest of the term.
    var leaseRevoked = false
    var uncommittedBytes = 0
    /// Proposals were appended and the leader owes its followers an append.
    var needsBroadcast = false
    var readyOutstanding = false
    /// Messages dropped because they were malformed or contradicted committed state. A correct peer never
    /// sends one; a nonzero count in `status` is worth an operator's attention.
    var droppedMessages = 0
    /// On a leader: followers found this term to have lost entries they acknowledged.
    var lostAcknowledgements: [NodeID: LostAcknowledgement] = [:]

    /// Starts a node from what it persisted earlier.
    package init(config: Config, restore: RestoreState, random: SplitMix64) throws(RaftError) {
        if let problem = config.problem { throw RaftError(.invalidConfig, problem) }
        if let problem = Self.problem(in: restore) { throw RaftError(.invalidRestoreState, problem) }
        self.config = config
        self.random = random
        self.log = RaftLog(restore: restore)
        self.term = restore.hardState.term
        self.vote = restore.hardState.vote
        self.persistedHardState = restore.hardState
        resetElectionTimeout()
    }

    private static func problem(in restore: RestoreState) -> String? {
        let snapshot = restore.snapshot.metadata
        if let problem = boundsProblem(in: restore) { return problem }
        var expected = snapshot.index.next
        for entry in restore.entries {
            if entry.index != expected { return "entry \(entry.index) where \(expected) was expected" }
            if entry.term < snapshot.term { return "entry \(entry.index) has term \(entry.term) below the snapshot's" }
            expected = expected.next
        }
        let lastIndex = snapshot.index + restore.entries.count
        if restore.hardState.commit > lastIndex {
            return "commit \(restore.hardState.commit) beyond the last persisted entry \(lastIndex)"
        }
        let lastTerm = restore.entries.last?.term ?? snapshot.term
        if lastTerm > restore.hardState.term {
            return "last entry's term \(lastTerm) above term \(restore.hardState.term)"
        }
        return nil
    }

    /// A stored term or index at or above the limits: written by a build that trusted a forged message (or a
    /// corrupted disk). The node cannot tell which terms it really voted in, so it must not start.
    private static func boundsProblem(in restore: RestoreState) -> String? {
        let hard = restore.hardState
        let snapshot = restore.snapshot.metadata
        if !hard.term.isWithinLimit {
            return "the stored term \(hard.term) is not below the limit \(Term.limit): no election reaches it, so "
                + "it came from a forged peer message or a corrupted disk, and the votes this node cast are lost. "
                + "Remove this node from the cluster and add it back with an empty data directory"
        }
        if !hard.commit.isWithinLimit || !snapshot.index.isWithinLimit || !snapshot.term.isWithinLimit {
            return "a stored index or term (commit \(hard.commit), snapshot \(snapshot.index)@\(snapshot.term)) is "
                + "not below the limit \(LogIndex.limit): the data directory is corrupted. Remove this node from the "
                + "cluster and add it back with an empty data directory"
        }
        if let entry = restore.entries.first(where: { !$0.index.isWithinLimit || !$0.term.isWithinLimit }) {
            return "stored entry \(entry.index)@\(entry.term) is beyond the limits: the data directory is corrupted"
        }
        return nil
    }

    /// The hard state as it is now (it may not be durable yet).
    package var hardState: HardState { HardState(term: term, vote: vote, commit: log.committed) }

    /// The latest configuration in the log, committed or not; it is the one in force.
    package var configuration: Configuration { log.configuration }

    /// The index of the last entry.
    package var lastIndex: LogIndex { log.lastIndex }

    /// The highest committed index.
    package var committedIndex: LogIndex { log.committed }

    /// The highest index handed out for applying.
    package var appliedIndex: LogIndex { log.applied }

    /// The index of the latest snapshot (entries through it are compacted away).
    package var snapshotIndex: LogIndex { log.snapshotIndex }

    /// The term of the entry at `index`, or nil when it is compacted or beyond the log.
    package func term(at index: LogIndex) -> Term? { log.term(at: index) }

    /// The uncompacted entries in `from...through`, clamped to the log.
    package func entries(from: LogIndex, through: LogIndex) -> [Entry] {
        Array(log.entries(from: max(from, log.firstIndex), through: min(through, log.lastIndex)))
    }

    /// Whether this node may campaign: it is not installing a snapshot, and it votes in the latest
    /// configuration or its removal is not yet committed.
    ///
    /// The second case keeps a cluster live when a leader that removed itself loses leadership before the
    /// removal commits: it may hold the only log with the removal, and the remaining voters (still on the
    /// old configuration) cannot win without its vote. It campaigns for votes of the new configuration,
    /// commits its removal, and steps down; votes never count its own.
    var isPromotable: Bool {
        guard log.pendingSnapshot == nil else { return false }
        if log.configuration.isVoter(id) { return true }
        return log.configIndex > log.committed && log.configuration(at: log.configIndex.previous).isVoter(id)
    }

    mutating func send(_ kind: Message.Kind, to recipient: NodeID, term messageTerm: Term? = nil) {
        outbox.append(Message(from: id, to: recipient, term: messageTerm ?? term, kind: kind))
    }
}

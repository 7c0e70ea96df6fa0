import LockTable
import PadlockTypes
import PeerWire
import Raft
import Storage
import Wire

/// One Padlock node: Raft, the lock table and the bookkeeping between them and the clients, driven by plain
/// calls on one thread and acting through its `Environment` (clocks, network, disk).
///
/// The order of work is the contract of `Ready` (docs/raft.md): messages that promise nothing leave first;
/// the disk write of entries and hard state is one `DiskWrite`; only once it is durable do votes and append
/// answers leave, committed entries get applied and clients get their answers. The leader batches every
/// proposal, read and renewal that arrives between two flushes into one disk write and one append per peer.
///
/// Leases: renewals need no log entry; the leader decides expiry on its monotonic clock and proposes it as a
/// command. Checkpoints record how much lease time a future leader must still grant; docs/leases.md has the
/// argument that no session ever expires before its holder's own conservative deadline.
package final class Node<Environment: NodeEnvironment> {
    /// How this node was configured.
    package let configuration: NodeConfiguration
    let environment: Environment
    var raft: RaftNode
    var table: LockTable
    /// Where every member is reached, replicated through the log and kept in snapshots.
    var addressBook: [NodeID: MemberAddresses]
    /// Each member's recorded incarnation, replicated through the log and kept in snapshots.
    var incarnations: [NodeID: MemberIncarnation]
    /// What this node knows about peers' identities beyond the replicated records (`Node+Identity`).
    var identity = IdentityBook()
    /// The membership the environment was last told about.
    var announcedMembership: Membership?
    /// The last entry applied to the table (noop and membership entries included).
    var applied: LogIndex
    /// The last index of the log as the disk holds it after the last completed write: what `apply` checks
    /// that Raft hands out only durable entries against.
    var durableIndex: LogIndex
    /// The Ready whose durable part is being written.
    var readyInFlight: Ready?
    /// The term and vote of the last hard state handed to the disk (nil until the first): what Raft hands out
    /// next is checked against it (terms never decrease, a term has one vote).
    var persistedTermAndVote: (term: Term, vote: NodeID?)?
    /// Where the node's own next snapshot is (`compactIfDue`).
    var compaction = Compaction.idle
    /// The environment call (`persist`, `encode`) in progress, if any: a completion delivered while it is set
    /// broke `NodeEnvironment`'s contract.
    var startingEnvironmentWork: StaticString?
    /// Set once the node stopped for good; every input is ignored afterwards.
    package private(set) var failure: NodeFailure?
    var flushScheduled = false
    var proposals: [LogIndex: PendingProposal] = [:]
    /// Acquires that were queued, by request, with every connection waiting for their outcome.
    var waiterReplies: [RequestID: [ReplyTarget]] = [:]
    /// What each queued acquire asked for, so that a wait that runs out is answered with every holder that
    /// conflicts with it (`held` names them all); kept until the waiter is answered.
    var waiterRequests: [RequestID: ClientAnswers.Requested] = [:]
    var reads = ReadBook()
    /// Batch renewals waiting for some of their sessions' answers.
    var renewalBatches = RenewalBatchBook()
    /// The latest stamp given to (or seen on) an entry; stamps never go back.
    var lastStamp: UInt64
    /// The reference entry stamps are bounded by, and the peers' wall clocks (`Node+Clocks.swift`).
    var clocks: NodeClocks
    /// The leader's snapshot Raft is installing, as decoded when it arrived.
    var receivedSnapshot: DecodedSnapshot?
    var leadership: Leadership?
    /// Which connections follow which sessions and keys (leader only, `Node+Events.swift`).
    var subscriptions = SubscriptionBook()
    /// Encoded backups waiting to be fetched (`Node+Backup.swift`).
    var backups = BackupBook()
    /// The latest lock losses, for resumed subscriptions (every node).
    var lossRing: LossRing
    var observedRole: RaftNode.Role = .follower
    var observedTerm: Term
    /// When each peer was last heard from, on the monotonic clock.
    var lastHeard: [NodeID: UInt64] = [:]
    /// What the node has done since it started, for metrics.
    package internal(set) var counters = NodeCounters()
    /// The simulator watches applied entries and role changes through this.
    package var observer: (any NodeObserver)?

    /// Starts a node from what `NodeRestore.load` read back. `seed` drives Raft's election timeouts.
    package init(
        configuration: NodeConfiguration, environment: Environment, restored: RestoredState, seed: UInt64
    ) throws(NodeFailure) {
        if let problem = configuration.problem { throw .corruptState("invalid configuration: \(problem)") }
        self.configuration = configuration
        self.environment = environment
        if let problem = NodeRestore.boundsProblem(restored.raft) { throw .impossibleState(problem) }
        do {
            raft = try RaftNode(config: configuration.raft, restore: restored.raft, random: SplitMix64(seed: seed))
        } catch {
            throw .corruptState("Raft cannot start from the stored state: \(error)")
        }
        table = restored.table
        addressBook = restored.addressBook
        incarnations = restored.incarnations
        applied = restored.raft.snapshot.metadata.index
        lossRing = LossRing(capacity: configuration.lossRingCapacity, floor: applied.rawValue)
        durableIndex = restored.raft.snapshot.metadata.index + restored.raft.entries.count
        lastStamp = restored.table.lastTime.rawValue
        clocks = NodeClocks(lastStamp: restored.table.lastTime.rawValue, monotonic: environment.monotonicMilliseconds)
        observedTerm = raft.term
        identity.known = restored.incarnations
        noteLogEntries(restored.raft.entries)
    }

    /// Whether the node has stopped for good.
    package var isStopped: Bool { failure != nil }

    /// This node's identity.
    package var id: NodeID { configuration.id }

    /// Advances the node's logical clock by one tick (every `tickMilliseconds`).
    package func tick() {
        guard failure == nil else { return }
        raft.tick()
        afterInput()
        if leadership?.isReady == true {
            leaderHousekeeping()
            watchFollowers()
        }
    }

    /// Handles a Raft message from a peer whose link announced `incarnation` (0: none announced). Nothing in
    /// it is trusted: a message from a member whose incarnation does not match the cluster's record, or that
    /// lost acknowledged entries, is refused before Raft sees it, so its votes and acknowledgements never
    /// count; Raft drops messages whose terms or indexes are impossible (`Message.boundsProblem`); and a
    /// snapshot whose bytes would not restore is dropped here, before it is written to disk in place of the
    /// log. The table decoded for that check is kept until the snapshot is installed, so a large snapshot is
    /// decoded once.
    package func receive(_ message: Message, incarnation: UInt64 = 0) {
        guard failure == nil else { return }
        if incarnation != 0 { identity.announced[message.from] = incarnation }
        if let refusal = identityRefusal(of: message.from, incarnation: incarnation) {
            refuse(message.from, refusal)
            return
        }
        if case .snapshot(let snapshot) = message.kind {
            guard let decoded = decode(snapshot) else {
                counters.snapshotsRefused += 1
                return
            }
            let before = raft.snapshotIndex
            lastHeard[message.from] = environment.monotonicMilliseconds
            raft.step(message)
            // Kept only when this message made Raft install it; one that was merely answered is not needed.
            if raft.snapshotIndex == decoded.index && before != decoded.index { receivedSnapshot = decoded }
        } else {
            lastHeard[message.from] = environment.monotonicMilliseconds
            raft.step(message)
        }
        noteIncarnation(of: message.from, incarnation)
        noteLostAcknowledgements()
        afterInput()
    }

    /// The address book and lock table a snapshot's bytes hold, or nil when they do not decode.
    private func decode(_ snapshot: Snapshot) -> DecodedSnapshot? {
        guard let contents = try? EntryCodec.snapshotContents(snapshot.data) else { return nil }
        var table = LockTable(configuration: configuration.lockTable)
        guard (try? table.restore(from: contents.table)) != nil else { return nil }
        let metadata = snapshot.metadata
        return DecodedSnapshot(
            index: metadata.index, term: metadata.term, addressBook: contents.addressBook,
            incarnations: contents.incarnations, table: table)
    }

    /// The transport could not deliver to `peer`: the leader stops pipelining to it and probes instead.
    package func reportUnreachable(_ peer: NodeID) {
        guard failure == nil else { return }
        raft.reportUnreachable(to: peer)
        afterInput()
    }

    /// How sending a snapshot to `peer` ended.
    package func reportSnapshot(to peer: NodeID, status: SnapshotStatus) {
        guard failure == nil else { return }
        raft.reportSnapshot(to: peer, status: status)
        afterInput()
    }

    /// A client connection closed: its pending answers are dropped. Queued acquires stay queued in the table;
    /// a retry on another connection attaches to them again.
    package func clientDisconnected(_ client: ClientID) {
        proposals = proposals.mapValues { proposal in
            var proposal = proposal
            if proposal.reply?.client == client { proposal.reply = nil }
            return proposal
        }
        for (request, targets) in waiterReplies {
            let kept = targets.filter { $0.client != client }
            waiterReplies[request] = kept.isEmpty ? nil : kept
        }
        reads.collecting.removeAll { $0.reply.client == client }
        for (context, batch) in reads.awaitingConfirmation {
            reads.awaitingConfirmation[context] = batch.filter { $0.reply.client != client }
        }
        reads.confirmed.removeAll { $0.read.reply.client == client }
        // Its batches' parts may have been dropped above: the batches go too, and later parts are ignored.
        renewalBatches.open = renewalBatches.open.filter { $0.value.reply.client != client }
        subscriptions.drop(client)
        backups.drop(client)
    }

    /// Does the work accumulated since the last flush: proposals of the leader's housekeeping, one ReadIndex
    /// round for the reads that arrived, then Raft's `Ready` (or, while one is being written, the messages
    /// that may leave anyway).
    package func flush() {
        flushScheduled = false
        guard failure == nil else { return }
        observeRole()
        if leadership?.isReady == true { proposeCoverage() }
        confirmCollectedReads()
        drive()
        announceMembershipIfChanged()
    }

    /// The cluster's membership as this node sees it: Raft's latest configuration (in force once appended)
    /// and the replicated address book.
    package var membership: Membership {
        Membership(configuration: raft.configuration, addresses: addressBook, incarnations: incarnations)
    }

    /// Tells the environment when the membership changed, so it connects to new members and lets go of
    /// removed ones.
    func announceMembershipIfChanged() {
        let current = membership
        guard current != announcedMembership else { return }
        announcedMembership = current
        environment.membershipChanged(current)
    }

    /// Notes role changes and asks the environment for a flush.
    func afterInput() {
        observeRole()
        requestFlush()
    }

    func requestFlush() {
        guard !flushScheduled, failure == nil else { return }
        flushScheduled = true
        environment.scheduleFlush()
    }

    /// Stops the node for good; nothing else happens on it afterwards.
    func stop(_ reason: NodeFailure) {
        guard failure == nil else { return }
        failure = reason
        environment.nodeStopped(reason)
    }

    /// Where clients should go instead of this node.
    var leaderHint: LeaderHint? {
        guard let leader = raft.leader, leader != id || raft.role == .leader else { return nil }
        return LeaderHint(node: leader, address: addressBook[leader]?.client ?? "")
    }
}

/// A snapshot from the leader, decoded when it arrived (`Node.receive`).
struct DecodedSnapshot {
    var index: LogIndex
    var term: Term
    var addressBook: [NodeID: MemberAddresses]
    var incarnations: [NodeID: MemberIncarnation]
    var table: LockTable
}

/// Counts of the node's work since it started (for `/metrics`).
package struct NodeCounters: Sendable {
    /// Entries this node proposed as leader (client commands and its own housekeeping).
    package var proposals: UInt64 = 0
    /// Entries applied to the table (every kind).
    package var appliedEntries: UInt64 = 0
    /// Events sent to subscribed client connections.
    package var eventsSent: UInt64 = 0
    /// ReadIndex rounds started (each serves every read and renewal that arrived since the last flush).
    package var readRounds: UInt64 = 0
    /// Renewals answered "renewed".
    package var renewals: UInt64 = 0
    /// Sessions this node, as leader, decided to expire.
    package var expiriesProposed: UInt64 = 0
    /// Durable writes handed to the environment (one per Ready that changed anything, plus snapshots).
    package var diskWrites: UInt64 = 0
    /// Snapshots taken locally.
    package var snapshots: UInt64 = 0
    /// Snapshots encoded locally but dropped because a newer one from the leader was installed meanwhile.
    package var snapshotsDropped: UInt64 = 0
    /// Snapshots from peers refused before installing because their bytes do not restore.
    package var snapshotsRefused: UInt64 = 0
}

/// A cluster's membership: who votes, who learns, and where each node is reached.
package struct Membership: Hashable, Sendable {
    /// Raft's latest configuration.
    package var configuration: Configuration
    /// Where each known node is reached (it may list nodes that are no longer members).
    package var addresses: [NodeID: MemberAddresses]
    /// Each member's incarnation as the cluster recorded it (members not yet heard from have none).
    package var incarnations: [NodeID: MemberIncarnation]

}

/// What the simulator watches inside a node (package access only).
package protocol NodeObserver: AnyObject {
    /// An entry was applied; `result` is the lock table's answer for a command entry.
    func node(_ node: NodeID, applied entry: Entry, result: LockTable.Applied?, table: LockTable)
    /// A snapshot from the leader replaced the table.
    func node(_ node: NodeID, installedSnapshotAt index: LogIndex, table: LockTable)
    /// The node's role or term changed.
    func node(_ node: NodeID, becameRole role: RaftNode.Role, term: Term)
}

extension Node {
    /// Whether this node leads its current term.
    package var isLeader: Bool { raft.role == .leader }
    /// Batch renewals not answered yet (for tests and metrics).
    package var pendingRenewalBatchCount: Int { renewalBatches.open.count }

    /// The Raft role and term, for logs and metrics.
    package var role: RaftNode.Role { raft.role }
    package var term: Term { raft.term }

    /// The highest committed and applied indexes.
    package var committedIndex: LogIndex { raft.committedIndex }
    /// The term of the entry at `index` in this node's log (nil when compacted away or beyond the log).
    package func logTerm(at index: LogIndex) -> Term? { raft.term(at: index) }
    package var appliedIndex: LogIndex { applied }

    /// The lock table as applied so far (read-only; for the simulator's final checks and for metrics).
    package var lockTable: LockTable { table }

    /// Sizes of the lock table, for metrics.
    package var tableCounts: TableCounts { table.counts }

    /// Whether session `id` is open in this node's applied state.
    package func isSessionOpen(_ id: SessionID) -> Bool { table.session(id) != nil }

    /// Which client may act for session `id`, from the replicated table (the same answer on every node that
    /// applied as far).
    package func ownership(of id: SessionID) -> SessionOwnership {
        if let session = table.session(id) { return session.client.map { .client($0) } ?? .openPort }
        // A new leader may not have applied every entry its predecessor committed, the session's open among them.
        if let leadership, applied < leadership.firstIndex { return .unsettled }
        return .notOpen
    }

    /// The open sessions the authenticated client `name` opened, in id order.
    package func sessions(ofClient name: String) -> [SessionID] { table.sessions(ofClient: name) }

    /// The names of the authenticated clients with open sessions, sorted.
    package var clientsWithSessions: [String] { table.clientsWithSessions }
}

/// Who may act for a session (`Node.ownership(of:)`).
package enum SessionOwnership: Hashable, Sendable {
    /// The authenticated client of this name opened it.
    case client(String)
    /// It was opened on an open client port, with no token.
    case openPort
    /// It is not open in this node's applied state.
    case notOpen
    /// This node has just become leader and has not applied its predecessor's entries yet: ask again soon.
    case unsettled
}

/// The authenticated client a request comes from, as the node needs it (`docs/security.md`).
package struct Caller: Hashable, Sendable {
    /// The client's configured name; it goes into the audit trail and into the sessions it opens.
    package var name: String
    /// The most sessions the client may have open at once (0: no bound but the cluster's).
    package var sessionsMax: UInt64

    /// A caller.
    package init(name: String, sessionsMax: UInt64 = 0) {
        self.name = name
        self.sessionsMax = sessionsMax
    }
}

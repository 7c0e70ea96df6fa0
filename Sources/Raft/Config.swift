import PadlockTypes

/// How one node behaves. Every limit is explicit; the defaults suit a three-node cluster ticking every 10 ms.
package struct Config: Sendable {
    /// This node's identity.
    package var id: NodeID
    /// Ticks without hearing from a leader before a follower campaigns; the actual timeout is drawn
    /// from `[electionTicks, 2 * electionTicks)`.
    package var electionTicks: Int
    /// Ticks between a leader's heartbeats; must be below `electionTicks`.
    package var heartbeatTicks: Int
    /// Most entries in one append message.
    package var maxEntriesPerAppend: Int
    /// Most entry bytes in one append message (one oversized entry is still sent alone).
    package var maxBytesPerAppend: Int
    /// Most append messages in flight to one follower.
    package var maxInflightMessages: Int
    /// Most entry bytes in flight to one follower.
    package var maxInflightBytes: Int
    /// Most bytes of proposed but uncommitted commands a leader holds before it answers `overloaded`.
    package var maxUncommittedBytes: Int
    /// Most command bytes in one `Ready.committedEntries` (one larger entry still goes alone), so a node
    /// that fell far behind applies its backlog in bounded steps.
    package var maxApplyBytesPerReady: Int
    /// Campaign only after a pre-vote shows a majority would vote, so that a rejoining node cannot
    /// disrupt a working leader by bumping terms.
    package var preVote: Bool
    /// A leader that has not heard from a majority for an election timeout steps down, and followers
    /// ignore vote requests while they hear from a leader.
    package var checkQuorum: Bool
    /// Serve reads on the leader's lease instead of a heartbeat round. It relies on bounded clock
    /// drift between nodes, so it is off by default; it requires `checkQuorum`.
    package var leaderLeaseReads: Bool
    /// Deliberate bugs for the simulator's self-test, which must catch each one. Never set outside tests.
    package var injectedBugs = RaftInjectedBugs()

    /// Creates a configuration with the defaults described on each property.
    package init(
        id: NodeID,
        electionTicks: Int = Defaults.electionTicks,
        heartbeatTicks: Int = Defaults.heartbeatTicks,
        maxEntriesPerAppend: Int = 64,
        maxBytesPerAppend: Int = 1 << 20,
        maxInflightMessages: Int = 256,
        maxInflightBytes: Int = 8 << 20,
        maxUncommittedBytes: Int = 32 << 20,
        maxApplyBytesPerReady: Int = 8 << 20,
        preVote: Bool = true,
        checkQuorum: Bool = true,
        leaderLeaseReads: Bool = false
    ) {
        self.id = id
        self.electionTicks = electionTicks
        self.heartbeatTicks = heartbeatTicks
        self.maxEntriesPerAppend = maxEntriesPerAppend
        self.maxBytesPerAppend = maxBytesPerAppend
        self.maxInflightMessages = maxInflightMessages
        self.maxInflightBytes = maxInflightBytes
        self.maxUncommittedBytes = maxUncommittedBytes
        self.maxApplyBytesPerReady = maxApplyBytesPerReady
        self.preVote = preVote
        self.checkQuorum = checkQuorum
        self.leaderLeaseReads = leaderLeaseReads
    }

    /// Why this configuration cannot run, or nil when it can.
    var problem: String? {
        if id.rawValue == 0 { return "node ID 0 is reserved" }
        if heartbeatTicks < 1 { return "heartbeatTicks must be at least 1" }
        if electionTicks <= heartbeatTicks { return "electionTicks must exceed heartbeatTicks" }
        if maxEntriesPerAppend < 1 || maxBytesPerAppend < 1 { return "append limits must be positive" }
        if maxInflightMessages < 1 || maxInflightBytes < 1 { return "in-flight limits must be positive" }
        if maxUncommittedBytes < 1 || maxApplyBytesPerReady < 1 { return "byte limits must be positive" }
        if leaderLeaseReads && !checkQuorum { return "leaderLeaseReads requires checkQuorum" }
        return nil
    }
}

/// Deliberate departures from the algorithm, for the simulator's self-test (package access only).
package struct RaftInjectedBugs: Hashable, Sendable {
    /// Commit the highest index a majority holds even when it is from an earlier term: the mistake the
    /// paper's Figure 8 shows, which lets a committed entry be overwritten.
    package var commitsPreviousTermByCounting = false

    package init() {}
}

/// Why a node could not be created or a request could not be carried out.
package struct RaftError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    package enum Code: Hashable, Sendable {
        /// The `Config` is unusable.
        case invalidConfig
        /// The restore state contradicts itself (gaps, commit beyond the log, ...).
        case invalidRestoreState
        /// A snapshot request names an index that cannot be compacted.
        case invalidSnapshotIndex
    }

    /// The kind of failure.
    package var code: Code
    /// What went wrong, in words.
    package var message: String

    /// Creates an error.
    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `invalidConfig: electionTicks must exceed heartbeatTicks`.
    package var description: String { "\(code): \(message)" }
}

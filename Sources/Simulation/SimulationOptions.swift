/// The kinds of fault the simulator injects; `--faults` picks a subset.
package enum FaultKind: String, CaseIterable, Hashable, Sendable {
    /// Full and one-way partitions between nodes.
    case partition
    /// Message loss and duplication.
    case loss
    /// One node's links crawl (large extra delay).
    case clog
    /// A node crashes (leaders preferred): unsynced writes are lost or torn; it restarts later.
    case crash
    /// A node is paused (SIGSTOP) and resumed.
    case pause
    /// Slow fsyncs, an fsync that fails (the node stops), and corruption that recovery must refuse.
    case disk
    /// A node's clock rate changes within the drift bound, and its wall clock jumps.
    case clock
    /// A client is cut off from the cluster, or paused.
    case client
    /// Frames no member sent reach a node: impossible terms and indexes, handovers from non-leaders.
    case forged
    /// The issue-18 sequence (three nodes): a follower stops, locks are acknowledged by the leader and the
    /// other follower, whose directory is then wiped; the leader stops; both followers start, the wiped one
    /// bootstrapped with a new incarnation by a hurried operator. The cluster must refuse it.
    case wipe
    /// A node's directory is copied, and later the node is restarted from that old copy (forgetting what it
    /// acknowledged since); the leader must notice and the cluster refuse it.
    case restore
}

/// A deliberate bug the self-test builds into the node (or the client core) and requires the checkers to catch.
package enum InjectedBug: String, CaseIterable, Hashable, Sendable {
    /// Votes and append answers leave before the write they promise is durable.
    case acknowledgeBeforeFsync = "ack-before-fsync"
    /// The lock table grants without checking holders of ancestor and descendant keys.
    case grantWithoutConflictCheck = "no-conflict-check"
    /// The leader counts a third of each session's TTL.
    case expireSessionEarly = "early-expiry"
    /// The lock table applies retried requests again.
    case skipDeduplication = "no-dedup"
    /// Raft commits an entry of an earlier term by counting replicas (the paper's Figure 8).
    case commitPreviousTermByCounting = "commit-by-counting"
    /// The leader stamps entries with its wall clock however far it jumped (issue 18, finding 5).
    case trustWallClock = "trust-wall-clock"
    /// Nodes accept messages from members whose incarnation does not match the record, or that lost data.
    case identityCheckDisabled = "identity-check-disabled"
    /// The leader tells a force-unlocked holder of its loss when it proposes the force-unlock, before the entry
    /// is committed (issue 21: events come from applied entries only).
    case lossNoticeOnProposal = "loss-notice-on-proposal"
    /// The client numbers each retry of a mutating request anew, so the cluster cannot recognise it.
    case clientFreshSequenceOnRetry = "client-fresh-sequence"
    /// The client reports its locks `.safe` past its lease's deadline, ignoring the drift margin.
    case clientLeaseIgnoresMargin = "client-lease-margin"
    /// The lock table lets every acquire, all-or-nothing acquire, upgrade and takeover through holds.
    case ignoreHolds = "ignore-holds"
}

/// What one simulation run does.
package struct SimulationOptions: Sendable {
    /// The seed: it fully determines the run.
    package var seed: UInt64
    /// 1, 3 or 5 nodes.
    package var nodeCount: Int
    /// Length of the fault phase, in 10 ms ticks of simulated time.
    package var faultTicks: Int
    /// Budget of the liveness phase, in 10 ms ticks: a leader must serve and every pending request complete.
    package var livenessTicks: Int
    /// The faults injected during the fault phase.
    package var faults: Set<FaultKind>
    /// Simulated CRM front ends.
    package var clientCount: Int
    /// Records they edit (each with two field keys below it).
    package var recordCount: Int
    /// Record a readable trace of the run.
    package var trace: Bool
    /// Some clients pause while holding a lock, past their lease.
    package var clientPauses: Bool
    /// A bug to build into the node or the client core, for the self-test.
    package var bug: InjectedBug?
    /// App servers 1 and 2 watch a key and a prefix (`SimClient.startWatch`).
    package var watchers = true
    /// Issue 22's workload: clients 0 and 3 place and lift holds, reps claim roles, lock several records all
    /// or nothing and upgrade or downgrade their locks (`SimClient+Holds.swift`).
    package var holds = true
    /// Time between two faults, in microseconds (a random value in this range each time).
    package var faultInterval: ClosedRange<UInt64> = 150_000...1_200_000
    /// Mean extra latency of a durable write when the disk is healthy, in microseconds.
    package var diskLatencyMean: Double = 400
    /// Probability that a node fault hits the current leader rather than any node.
    package var leaderBias = 0.5
    /// How long a crashed node stays down, in microseconds.
    package var downtime: ClosedRange<UInt64> = 20_000...2_500_000

    /// Options with the defaults `padlock-sim` uses.
    package init(
        seed: UInt64, nodeCount: Int = 3, faultTicks: Int = 2_000, livenessTicks: Int = 1_500,
        faults: Set<FaultKind> = Set(FaultKind.allCases), clientCount: Int = 5, recordCount: Int = 4,
        trace: Bool = false, clientPauses: Bool = true, bug: InjectedBug? = nil
    ) {
        self.seed = seed
        self.nodeCount = nodeCount
        self.faultTicks = faultTicks
        self.livenessTicks = livenessTicks
        self.faults = faults
        self.clientCount = clientCount
        self.recordCount = recordCount
        self.trace = trace
        self.clientPauses = clientPauses
        self.bug = bug
    }
}

/// What one run found.
package struct SimulationReport: Sendable {
    /// The seed that was run.
    package var seed: UInt64
    /// Every violation found, in the order found; empty for a clean run.
    package var violations: [String]
    /// A hash of every event the run processed: the same seed must give the same hash.
    package var traceHash: UInt64
    /// Simulated time covered, in microseconds.
    package var simulatedMicroseconds: UInt64
    /// Events processed.
    package var eventCount: Int
    /// Client lock operations recorded, and how many of them completed.
    package var operationCount: Int
    package var grantCount: Int
    /// Faults injected.
    package var faultCount: Int
    /// Key groups the linearizability checker judged, and how many of them it could not decide within its
    /// step bound (reported, never counted as violations).
    package var checkedGroups: Int
    package var inconclusiveGroups: Int
    /// Terms in which some node became leader.
    package var leaderTerms: Int
    /// The readable trace, when asked for.
    package var trace: [String]
    /// Holds the committed log placed (first placements and replacements), and grants it made on a key a hold
    /// was on (each checked against it: `HoldChecker`).
    package var holdsPlaced = 0
    package var grantsUnderHolds = 0
}

import PadlockTypes
import Raft
import Wire

/// What the node knows of clocks: the reference its entry stamps are bounded by, and its peers' wall clocks
/// as their transports reported them (docs/leases.md, "Clocks").
///
/// Entry stamps come from the leader's wall clock, and every replica's state machine reads time only from
/// them. A leader whose wall clock jumped forward would carry every later stamp with it, for good, because
/// stamps never go back. So a stamp may run ahead of the last trusted reading by at most the monotonic time
/// elapsed since, plus `clockJumpAllowanceMilliseconds`, unless a quorum of voters' wall clocks (this node's
/// and at least one other's) agree with this node's.
struct NodeClocks {
    /// The reference stamps are bounded by: a stamp and this node's monotonic reading when it was trusted
    /// (taken by this node, or applied from the leader's log).
    var reference: (stamp: UInt64, monotonic: UInt64)
    /// Set at start until this node stamps once: a node that is its cluster's only voter has no clock to
    /// compare with, so it trusts its wall clock once after a restart (real downtime is not a jump).
    var sinceRestart = true
    /// The latest reading of each peer's wall clock.
    var peers: [NodeID: PeerClock] = [:]
    /// When each kind of warning was last given (monotonic ms), so that none repeats more than once a minute.
    var lastWarning: [String: UInt64] = [:]
    /// The counters the metrics show (`Node.clockReport` adds the peers' readings).
    var report = ClockReport()

    init(lastStamp: UInt64, monotonic: UInt64) {
        reference = (lastStamp, monotonic)
    }

    /// Where the reference says time is now, on this node's monotonic clock.
    func expected(at monotonic: UInt64) -> UInt64 {
        let elapsed = monotonic >= reference.monotonic ? monotonic - reference.monotonic : 0
        return reference.stamp.addingSaturated(elapsed)
    }

    /// A stamp this node took or applied: the reference moves to it if it is later than the reference says.
    mutating func observe(stamp: UInt64, monotonic: UInt64) {
        if stamp >= expected(at: monotonic) { reference = (stamp, monotonic) }
    }
}

/// One reading of a peer's wall clock.
package struct PeerClock: Hashable, Sendable {
    /// The peer's wall clock minus this node's, in milliseconds, when the reading arrived. It ignores the
    /// reading's one-way network delay, which only makes the peer look behind by that much.
    package var skewMilliseconds: Int64
    /// The peer's wall clock in the reading (milliseconds since the Unix epoch).
    package var peerWallMilliseconds: UInt64
    /// This node's wall clock when it arrived.
    package var ownWallMilliseconds: UInt64
    /// This node's monotonic clock when it arrived.
    package var monotonicMilliseconds: UInt64
}

/// The clock figures a node exports as metrics.
package struct ClockReport: Hashable, Sendable {
    /// The latest reading of each peer's wall clock.
    package var peers: [NodeID: PeerClock] = [:]
    /// Stamps this node (as leader) held back because its wall clock ran further ahead than its monotonic
    /// clock allows.
    package var jumpsBounded: UInt64 = 0
    /// How far the latest stamp this node took ran ahead of its own wall clock (0 when it did not): a leader
    /// whose clock is behind its predecessors' keeps stamps from going back, and this shows by how much.
    package var stampAheadOfWallMilliseconds: UInt64 = 0
    /// Peer clock readings refused as impossible (at or above 2^62 ms).
    package var readingsRefused: UInt64 = 0
}

/// Something about clocks an operator should know; the environment logs it (`NodeEnvironment.clockWarning`).
/// The node gives each kind (per peer for skew) at most once a minute.
package enum ClockWarning: Hashable, Sendable, CustomStringConvertible {
    /// This leader's wall clock ran ahead of what its monotonic clock allows: stamps were held to `stamp`.
    case jumpBounded(wall: UInt64, stamp: UInt64, elapsedMilliseconds: UInt64)
    /// This leader's wall clock is behind the stamps already in the log: stamps continue from `stamp`.
    case wallBehindStamps(wall: UInt64, stamp: UInt64)
    /// A peer's wall clock differs from this node's by more than the warning threshold.
    case peerSkew(peer: NodeID, skewMilliseconds: Int64, peerWall: UInt64, ownWall: UInt64)

    /// A sentence for the operator, with both readings as UTC times.
    package var description: String {
        switch self {
        case .jumpBounded(let wall, let stamp, let elapsed):
            return "this leader's wall clock reads \(WallTime.format(wall)), ahead of what \(elapsed) ms on its "
                + "monotonic clock since the last trusted stamp allow, and no quorum of voters' clocks agrees: "
                + "entries are stamped \(WallTime.format(stamp)) instead. Check this host's time synchronisation"
        case .wallBehindStamps(let wall, let stamp):
            return "this leader's wall clock reads \(WallTime.format(wall)), \(stamp - wall) ms behind the stamps "
                + "already in the log (\(WallTime.format(stamp))): entry times continue from there and do not go "
                + "back. Check this host's and the previous leader's time synchronisation"
        case .peerSkew(let peer, let skew, let peerWall, let ownWall):
            return "node \(peer)'s wall clock reads \(WallTime.format(peerWall)) while this node's reads "
                + "\(WallTime.format(ownWall)): \(skew) ms apart. Check time synchronisation on both hosts"
        }
    }

    /// The key rate-limiting is done by.
    var kind: String {
        switch self {
        case .jumpBounded: "jump"
        case .wallBehindStamps: "behind"
        case .peerSkew(let peer, _, _, _): "skew-\(peer)"
        }
    }
}

extension UInt64 {
    /// The sum, or `UInt64.max` where it would overflow.
    func addingSaturated(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}

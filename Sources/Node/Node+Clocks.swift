import PadlockTypes
import Raft

/// One decision about the next stamp: the stamp, the reference it leaves, and what to tell the operator.
struct StampDecision {
    var stamp: UInt64
    var reference: (stamp: UInt64, monotonic: UInt64)
    var bounded: Bool
    var warning: ClockWarning?
}

extension Node {
    /// The next entry stamp (see `stampDecision`); taking it moves the reference and may warn.
    func nextStamp() -> Timestamp {
        let decision = stampDecision()
        lastStamp = decision.stamp
        clocks.reference = decision.reference
        clocks.sinceRestart = false
        let wall = environment.wallMilliseconds
        clocks.report.stampAheadOfWallMilliseconds = decision.stamp > wall ? decision.stamp - wall : 0
        if decision.bounded { clocks.report.jumpsBounded += 1 }
        if let warning = decision.warning { warn(warning) }
        return Timestamp(rawValue: lastStamp)
    }

    /// The stamp an entry proposed now would get, without taking it.
    var currentStamp: UInt64 { stampDecision().stamp }

    /// `currentStamp`, for tests in this package.
    package var currentStampForTests: UInt64 { currentStamp }

    /// The wall clock, within bounds:
    /// - never below an earlier stamp, and on a leader at least the stamp it took over with plus the time
    ///   elapsed on its monotonic clock since (a leader whose wall clock is behind an earlier leader's would
    ///   otherwise freeze stamps, and with them waiter timeouts and lock-delay ends);
    /// - the wall clock only while it reads at most the reference plus the monotonic time elapsed since plus
    ///   the allowance, or a quorum of voters' wall clocks agree with it (`wallIsCorroborated`); otherwise
    ///   the reference plus the monotonic time elapsed: a clock that jumped forward moves stamps only as fast
    ///   as time really passes.
    func stampDecision() -> StampDecision {
        let wall = environment.wallMilliseconds
        let now = environment.monotonicMilliseconds
        var floor = lastStamp
        if let leadership {
            let elapsed = now >= leadership.stampBase.monotonic ? now - leadership.stampBase.monotonic : 0
            floor = max(floor, leadership.stampBase.stamp.addingSaturated(elapsed))
        }
        let expected = clocks.expected(at: now)
        let ceiling = expected.addingSaturated(configuration.clockJumpAllowanceMilliseconds)
        let soleVoter = raft.configuration.voters == [id]
        let trusted = wall <= ceiling || (clocks.sinceRestart && soleVoter) || wallIsCorroborated(wall, at: now)
        if trusted || configuration.injectedBugs.trustsWallClock {
            let stamp = max(floor, wall)
            let behind = stamp > wall && stamp - wall > configuration.clockSkewWarningMilliseconds
            // The reference is a reading of some clock (never a stamp raised by the allowance), so allowances
            // cannot add up across stamps or leaders.
            return StampDecision(
                stamp: stamp, reference: (max(wall, expected), now), bounded: false,
                warning: behind ? .wallBehindStamps(wall: wall, stamp: stamp) : nil)
        }
        // Not believable: time moves on as the monotonic clock says since the reference, and no faster.
        let stamp = max(floor, expected)
        let elapsed = now >= clocks.reference.monotonic ? now - clocks.reference.monotonic : 0
        return StampDecision(
            stamp: stamp, reference: clocks.reference, bounded: true,
            warning: .jumpBounded(wall: wall, stamp: stamp, elapsedMilliseconds: elapsed))
    }

    /// Whether at least one other voter's recent wall clock reading, and with this node a quorum of voters,
    /// agree with `wall` within the allowance. A reading is projected to now by the monotonic time elapsed
    /// since it arrived; readings older than 10 s do not count (transports send one a second).
    func wallIsCorroborated(_ wall: UInt64, at now: UInt64) -> Bool {
        let configuration = raft.configuration
        let recent: UInt64 = 10_000
        var agreeing = 0
        for voter in configuration.voters where voter != id {
            guard let reading = clocks.peers[voter], now >= reading.monotonicMilliseconds,
                now - reading.monotonicMilliseconds <= recent
            else { continue }
            let peerNow = reading.peerWallMilliseconds.addingSaturated(now - reading.monotonicMilliseconds)
            let gap = peerNow > wall ? peerNow - wall : wall - peerNow
            if gap <= self.configuration.clockJumpAllowanceMilliseconds { agreeing += 1 }
        }
        return agreeing >= 1 && agreeing + 1 >= configuration.quorum
    }

    /// A peer's transport reported its wall clock (`PeerClockReading`, sent with its Raft traffic). A reading
    /// at or above 2^62 ms (year 146 million) is impossible and refused; otherwise the skew is recorded, and
    /// one beyond `clockSkewWarningMilliseconds` is warned about.
    package func observePeerClock(_ peer: NodeID, wallMilliseconds peerWall: UInt64) {
        guard failure == nil, peer != id else { return }
        guard peerWall < Self.clockReadingLimit else {
            clocks.report.readingsRefused += 1
            return
        }
        let ownWall = min(environment.wallMilliseconds, Self.clockReadingLimit)
        let skew = Int64(peerWall) - Int64(ownWall)
        let reading = PeerClock(
            skewMilliseconds: skew, peerWallMilliseconds: peerWall, ownWallMilliseconds: ownWall,
            monotonicMilliseconds: environment.monotonicMilliseconds)
        clocks.peers[peer] = reading
        if skew.magnitude > configuration.clockSkewWarningMilliseconds {
            warn(.peerSkew(peer: peer, skewMilliseconds: skew, peerWall: peerWall, ownWall: ownWall))
        }
    }

    /// Wall clock readings at or above this many milliseconds are impossible.
    static var clockReadingLimit: UInt64 { 1 << 62 }

    /// Raft messages dropped as malformed or impossible since the node started, for metrics.
    package var droppedRaftMessages: Int { raft.status.droppedMessages }

    /// What this node knows of clocks, for metrics.
    package var clockReport: ClockReport {
        var report = clocks.report
        report.peers = clocks.peers
        return report
    }

    /// Hands a warning to the environment unless one of its kind was given within the last minute.
    func warn(_ warning: ClockWarning) {
        let now = environment.monotonicMilliseconds
        if let last = clocks.lastWarning[warning.kind], now >= last, now - last < 60_000 { return }
        clocks.lastWarning[warning.kind] = now
        environment.clockWarning(warning)
    }
}

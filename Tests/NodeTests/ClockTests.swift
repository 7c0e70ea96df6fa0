import LockTable
import Node
import PadlockTypes
import Raft
import Storage
import Testing
import Wire

/// Issue 18, finding 5: one bad clock must not poison entry times for good (docs/leases.md, "Clocks").
@Suite struct ClockTests {
    static let day: UInt64 = 86_400_000

    /// The stamp of the latest applied entry.
    static func lastStamp(_ node: Node<ManualEnvironment>) -> UInt64 { node.lockTable.lastTime.rawValue }

    @Test("A leader whose wall clock jumps a day ahead stamps entries at most the monotonic time elapsed later")
    func forwardJumpIsBounded() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        _ = try cluster.openSession()
        let before = Self.lastStamp(cluster.node)
        let monotonicBefore = cluster.environment.monotonicMilliseconds
        #expect(before == cluster.environment.wallMilliseconds, "an honest clock is taken as it reads")

        cluster.environment.wallShift = Self.day
        for _ in 0..<20 { cluster.tick(milliseconds: 50) }
        _ = try cluster.openSession()
        let elapsed = cluster.environment.monotonicMilliseconds - monotonicBefore
        let after = Self.lastStamp(cluster.node)
        #expect(after > before)
        #expect(after - before <= elapsed, "stamps moved \(after - before) ms in \(elapsed) ms of monotonic time")
        #expect(cluster.node.clockReport.jumpsBounded >= 1)
        let warnings = cluster.environment.clockWarnings.filter { if case .jumpBounded = $0 { true } else { false } }
        #expect(warnings.count == 1, "warned once, not once per stamp: \(cluster.environment.clockWarnings)")
        let text = warnings.first?.description ?? ""
        #expect(text.contains("2026-01-02T00:00:"), "the wall clock's reading as a time: \(text)")
        #expect(text.contains("2026-01-01T00:00:"), "the stamp as a time: \(text)")

        // The clock is fixed: stamps follow it again, a day of poison never entered the log.
        cluster.environment.wallShift = 0
        cluster.tick(milliseconds: 50)
        _ = try cluster.openSession()
        #expect(Self.lastStamp(cluster.node) <= cluster.environment.wallMilliseconds + 1_000)
    }

    @Test("A leader whose wall clock is behind the log keeps stamps from going back, and says so")
    func clockBehindTheLogIsShown() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        _ = try cluster.openSession()
        let before = Self.lastStamp(cluster.node)
        cluster.environment.wallShift = 0 &- 10_000
        cluster.tick(milliseconds: 50)
        _ = try cluster.openSession()
        #expect(Self.lastStamp(cluster.node) >= before)
        #expect(cluster.node.clockReport.stampAheadOfWallMilliseconds >= 9_000)
        #expect(cluster.environment.clockWarnings.contains { if case .wallBehindStamps = $0 { true } else { false } })
    }

    @Test("Peer clock readings give each peer's skew; one beyond 500 ms is warned about once a minute")
    func peerSkewIsMeasuredAndWarned() throws {
        let cluster = try SingleNodeCluster()
        let environment = cluster.environment
        cluster.node.observePeerClock(NodeID(2), wallMilliseconds: environment.wallMilliseconds + 120)
        #expect(cluster.node.clockReport.peers[NodeID(2)]?.skewMilliseconds == 120)
        #expect(environment.clockWarnings.isEmpty, "120 ms is within the threshold")

        cluster.node.observePeerClock(NodeID(3), wallMilliseconds: environment.wallMilliseconds - 750)
        #expect(cluster.node.clockReport.peers[NodeID(3)]?.skewMilliseconds == -750)
        guard case .peerSkew(let peer, let skew, let peerWall, let ownWall)? = environment.clockWarnings.last else {
            Issue.record("no skew warning: \(environment.clockWarnings)")
            return
        }
        #expect(peer == NodeID(3) && skew == -750 && ownWall - peerWall == 750)
        #expect(environment.clockWarnings.last?.description.contains("2026-01-01T00:00:09.250Z") == true)

        cluster.tick(milliseconds: 1_000)
        cluster.node.observePeerClock(NodeID(3), wallMilliseconds: environment.wallMilliseconds - 800)
        #expect(environment.clockWarnings.count == 1, "the same peer is not warned about again within a minute")
        cluster.tick(milliseconds: 60_000)
        cluster.node.observePeerClock(NodeID(3), wallMilliseconds: environment.wallMilliseconds - 800)
        #expect(environment.clockWarnings.count == 2)

        for impossible in [UInt64.max, 1 << 63, 1 << 62] {
            cluster.node.observePeerClock(NodeID(2), wallMilliseconds: impossible)
        }
        #expect(cluster.node.clockReport.readingsRefused == 3)
        #expect(cluster.node.clockReport.peers[NodeID(2)]?.skewMilliseconds == 120)
    }

    @Test("A leader's clock jump counts only when a quorum of voters' clocks agree with it")
    func peersCorroborateAJump() throws {
        let cluster = try ThreeVoterNode()
        let environment = cluster.environment
        cluster.node.observePeerClock(NodeID(2), wallMilliseconds: environment.wallMilliseconds)
        cluster.elect()
        #expect(cluster.node.isLeader)
        cluster.receive(
            2, term: 1, .appendResponse(index: LogIndex(1), rejected: false, hintIndex: .zero, hintTerm: .zero))
        #expect(cluster.node.committedIndex == LogIndex(1))
        let open = ClientOperation.openSession(owner: "alice", nonce: 1, ttlMilliseconds: 5_000)
        cluster.node.receive(
            ClientRequest(correlation: CorrelationID(1), operation: open), from: ClientID(1), caller: nil)
        cluster.settle()
        let honest = environment.wallMilliseconds
        #expect(cluster.node.currentStampForTests == honest)

        // Alone a day ahead: node 2's clock disagrees, so stamps follow the monotonic clock.
        environment.wallShift = Self.day
        cluster.tick(3)
        cluster.node.observePeerClock(NodeID(2), wallMilliseconds: environment.wallMilliseconds - Self.day)
        let bounded = cluster.node.currentStampForTests
        #expect(bounded >= honest && bounded <= honest + 30, "stamp \(bounded) for an honest \(honest) + 30 ms")

        // Node 2's clock reads the same: a quorum agrees, and the wall clock is taken as it reads.
        cluster.node.observePeerClock(NodeID(2), wallMilliseconds: environment.wallMilliseconds)
        #expect(cluster.node.currentStampForTests == environment.wallMilliseconds)
    }
}

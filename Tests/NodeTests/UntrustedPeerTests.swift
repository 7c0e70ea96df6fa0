import LockTable
import Node
import PadlockTypes
import Raft
import Storage
import StorageTesting
import Testing

/// Node 1 of a three-voter cluster on a `ManualEnvironment`, with nodes 2 and 3 played by the test.
final class ThreeVoterNode {
    let environment: ManualEnvironment
    var node: Node<ManualEnvironment>

    static func configuration() -> NodeConfiguration {
        var addresses: [NodeID: MemberAddresses] = [:]
        for id in 1...3 { addresses[NodeID(UInt64(id))] = MemberAddresses(peer: "n\(id):7501", client: "n\(id):7401") }
        return NodeConfiguration(
            id: NodeID(1), initialMembers: addresses, bootstrapVoters: [NodeID(1), NodeID(2), NodeID(3)],
            raft: Config(id: NodeID(1), electionTicks: 10, heartbeatTicks: 2))
    }

    init(environment: ManualEnvironment = ManualEnvironment()) throws {
        self.environment = environment
        let restored = try NodeRestore.load(from: environment.store, configuration: Self.configuration())
        node = try Node(configuration: Self.configuration(), environment: environment, restored: restored, seed: 1)
    }

    func settle() { environment.settle(node) }

    func receive(_ from: UInt64, term: UInt64, _ kind: Message.Kind) {
        node.receive(Message(from: NodeID(from), to: NodeID(1), term: Term(term), kind: kind))
        settle()
    }

    func tick(_ count: Int = 1) {
        for _ in 0..<count {
            environment.monotonicMilliseconds += 10
            node.tick()
            settle()
        }
    }

    /// Makes node 1 leader of the next term, with node 2 granting its pre-vote and vote.
    func elect() {
        for _ in 0..<100 where !environment.sent.contains(where: { if case .preVote = $0.kind { true } else { false } })
        {
            tick()
        }
        let term = node.term.next.rawValue
        receive(2, term: term, .preVoteResponse(granted: true))
        receive(2, term: term, .voteResponse(granted: true))
    }
}

/// Issue 18, finding 1: terms, indexes and snapshots from peers are untrusted at the node too.
@Suite struct UntrustedPeerTests {
    @Test("A forged heartbeat with term 2^64-1 or 2^63 leaves the node alive, in its term, with its leader")
    func forgedHeartbeatIsRefused() throws {
        let cluster = try ThreeVoterNode()
        cluster.receive(2, term: 1, .heartbeat(commit: .zero, round: 1))
        for forged in [UInt64.max, 1 << 63, Term.limit] {
            cluster.receive(3, term: forged, .heartbeat(commit: .zero, round: 1))
        }
        #expect(cluster.node.term == Term(1))
        #expect(cluster.node.statusReport().leader?.rawValue == 2)
        #expect(cluster.node.droppedRaftMessages == 3)
        #expect(cluster.environment.stopped == nil)
        // Without its leader it campaigns in the next term, which is what used to trap.
        cluster.tick(40)
        #expect(cluster.environment.sent.contains { $0.term == Term(2) })
        #expect(cluster.environment.stopped == nil)
    }

    @Test("timeoutNow from a node that is not the leader, or from a newer term, starts no election")
    func forgedTimeoutNowIsIgnored() throws {
        let cluster = try ThreeVoterNode()
        cluster.receive(2, term: 1, .heartbeat(commit: .zero, round: 1))
        cluster.receive(3, term: 1, .timeoutNow)
        cluster.receive(3, term: 2, .timeoutNow)
        cluster.receive(2, term: 7, .timeoutNow)
        #expect(cluster.node.term == Term(1))
        #expect(cluster.node.role == .follower)
        #expect(cluster.node.droppedRaftMessages == 3)
        cluster.receive(2, term: 1, .timeoutNow)
        #expect(cluster.node.term == Term(2), "the leader's own handover is honoured")
        #expect(cluster.node.role == .candidate)
    }

    @Test("A snapshot whose bytes do not restore is refused before it replaces the log")
    func undecodableSnapshotIsRefused() throws {
        let cluster = try ThreeVoterNode()
        let metadata = SnapshotMetadata(
            index: LogIndex(40), term: Term(1),
            configuration: Configuration(voters: [NodeID(1), NodeID(2)], learners: []))
        cluster.receive(2, term: 1, .snapshot(Snapshot(metadata: metadata, data: Array("PNSD garbage".utf8))))
        #expect(cluster.node.counters.snapshotsRefused == 1)
        #expect(cluster.node.committedIndex == .zero)
        #expect(cluster.environment.stopped == nil)
        #expect(try cluster.environment.store.loadSnapshot()?.index == 0)
    }

    @Test("An entry stamped at or beyond 2^62 ms is malformed: applied as nothing, the node's time untouched")
    func impossibleStampIsRefused() throws {
        let cluster = try ThreeVoterNode()
        var data: [UInt8] = [1]
        var stamp = UInt64.max
        while stamp >= 0x80 {
            data.append(UInt8(stamp & 0x7F) | 0x80)
            stamp >>= 7
        }
        data.append(UInt8(stamp))
        data += [0, 0, 0]
        let entry = Entry(term: Term(1), index: LogIndex(1), kind: .normal, data: data)
        cluster.receive(2, term: 1, .append(prevIndex: .zero, prevTerm: .zero, entries: [entry], commit: LogIndex(1)))
        cluster.receive(2, term: 1, .heartbeat(commit: LogIndex(1), round: 1))
        #expect(cluster.node.appliedIndex == LogIndex(1))
        #expect(cluster.node.lockTable.lastTime.rawValue < 1 << 62)
        #expect(cluster.environment.stopped == nil)
    }

    @Test(
        "A stored term beyond the limit (from a forged heartbeat before this fix) refuses to start, saying what to do")
    func impossibleStoredTermRefusesToStart() throws {
        let store = MemoryLogStore()
        _ = try NodeRestore.load(from: store, configuration: ThreeVoterNode.configuration())
        try store.append([], hardState: StoredHardState(term: .max, vote: 0, commit: 0))
        let environment = ManualEnvironment(store: store)
        let restored = try NodeRestore.load(from: store, configuration: ThreeVoterNode.configuration())
        do {
            _ = try Node(
                configuration: ThreeVoterNode.configuration(), environment: environment, restored: restored, seed: 1)
            Issue.record("the node started from term \(UInt64.max)")
        } catch {
            guard case .impossibleState(let detail) = error else {
                Issue.record("expected impossibleState, got \(error)")
                return
            }
            #expect(detail.contains("18446744073709551615"))
            #expect(detail.contains("forged peer message"))
            #expect(detail.contains("empty data directory"))
        }
    }

    @Test("An audit page after the last possible record is empty rather than a trap")
    func auditAfterTheLastRecord() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        guard case .success(.audited(let page))? = cluster.ask(.audit(after: .max, limit: 10)) else {
            Issue.record("no audit page")
            return
        }
        #expect(page.records.isEmpty)
    }
}

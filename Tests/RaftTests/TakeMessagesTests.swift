import PadlockTypes
import Raft
import Testing

/// `takeMessages()` lets a leader's heartbeats and appends leave while its own disk write is outstanding.
@Suite struct TakeMessagesTests {
    /// A three-node cluster with node 1 elected and every Ready handled.
    private func electedCluster() -> TestCluster {
        let cluster = TestCluster()
        let voters = [NodeID(1), NodeID(2), NodeID(3)]
        for id in voters { cluster.add(id, voters: voters, config: Config(id: id)) }
        cluster.with(NodeID(1)) { $0.campaign() }
        cluster.stabilize()
        return cluster
    }

    @Test("A leader with a Ready outstanding still sends its heartbeats and new appends")
    func heartbeatsAndAppendsLeaveWhileAReadyIsOutstanding() throws {
        let cluster = electedCluster()
        #expect(cluster.leaders == [NodeID(1)])
        var leader = cluster.nodes[NodeID(1)]!
        _ = leader.propose(Array("first".utf8))
        let outstanding = leader.ready()
        #expect(!leader.hasReady, "a second Ready must wait for advance")
        _ = leader.propose(Array("second".utf8))
        leader.tick()
        let early = leader.takeMessages()
        let appends = early.filter { if case .append = $0.kind { return true } else { return false } }
        let heartbeats = early.filter { if case .heartbeat = $0.kind { return true } else { return false } }
        #expect(heartbeats.map(\.to).sorted() == [NodeID(2), NodeID(3)])
        let sentData = appends.flatMap { message -> [[UInt8]] in
            if case .append(_, _, let entries, _) = message.kind { return entries.map(\.data) }
            return []
        }
        #expect(sentData.contains(Array("second".utf8)), "the proposal made during the write was replicated")
        #expect(leader.takeMessages().isEmpty, "messages are taken once")
        leader.advance(outstanding)
        let next = leader.ready()
        #expect(next.messages.allSatisfy { if case .heartbeat = $0.kind { return false } else { return true } })
        leader.advance(next)
    }

    @Test("A follower's append answer waits for the Ready that persists the entries it promises")
    func answersThatPromiseDurabilityStayQueued() throws {
        let cluster = electedCluster()
        var leader = cluster.nodes[NodeID(1)]!
        _ = leader.propose(Array("entry".utf8))
        let ready = leader.ready()
        leader.advance(ready)
        cluster.nodes[NodeID(1)] = leader
        var follower = cluster.nodes[NodeID(2)]!
        let pending = follower.ready()  // an outstanding Ready on the follower (empty or not)
        for message in ready.messages where message.to == NodeID(2) { follower.step(message) }
        #expect(follower.takeMessages().isEmpty, "an append answer promises durable entries")
        follower.advance(pending)
        let next = follower.ready()
        #expect(!next.entries.isEmpty)
        #expect(next.messagesAfterPersist.contains { $0.to == NodeID(1) })
        follower.advance(next)
    }
}

import PadlockTypes
import Raft
import Testing

/// `Ready.mustSync`: Raft says which Readys must be durable before their answers leave. The paper's
/// persistent state is the current term, the vote and the log; the commit index is volatile.
@Suite struct MustSyncTests {
    typealias Paper = PaperRuleTests

    /// Node 2, a follower in term 2 whose durable log holds entries 1 and 2 of term 2, none committed.
    private func follower() -> RaftNode {
        var node = Paper.node(2, term: 2, vote: 1, log: [2, 2])
        _ = Paper.drain(&node)
        return node
    }

    @Test("New entries must be synced, even when the hard state did not change")
    func newEntriesMustSync() {
        var leader = Paper.leader(term: 2)
        _ = Paper.drain(&leader)
        _ = leader.propose(Array("lock".utf8))
        let ready = leader.ready()
        #expect(!ready.entries.isEmpty && ready.hardState == nil)
        #expect(ready.mustSync)
    }

    @Test("A vote must be synced before the answer that grants it leaves")
    func aVoteMustSync() {
        var voter = Paper.node(3)
        voter.step(Paper.message(1, 3, term: 1, Paper.vote(last: 0, 0)))
        let ready = voter.ready()
        #expect(ready.hardState?.vote == NodeID(1) && ready.entries.isEmpty)
        #expect(ready.mustSync)
    }

    @Test("A higher term must be synced, even without a vote or entries")
    func aNewTermMustSync() {
        var node = follower()
        node.step(Paper.message(3, 2, term: 5, .heartbeat(commit: .zero, round: 1)))
        let ready = node.ready()
        #expect(ready.hardState?.term == Term(5) && ready.hardState?.vote == nil && ready.entries.isEmpty)
        #expect(ready.mustSync)
    }

    @Test("A snapshot from the leader must be synced, though only the commit index of the hard state changes")
    func aSnapshotMustSync() {
        var node = follower()
        let membership = Configuration(voters: Paper.voters, learners: [])
        let metadata = SnapshotMetadata(index: LogIndex(10), term: Term(2), configuration: membership)
        node.step(Paper.message(1, 2, term: 2, .snapshot(Snapshot(metadata: metadata, data: [1]))))
        let ready = node.ready()
        #expect(ready.snapshot != nil && ready.hardState?.term == Term(2) && ready.hardState?.vote == NodeID(1))
        #expect(ready.mustSync)
    }

    @Test("A change of the commit index alone, or messages alone, need not be synced")
    func commitIndexAndMessagesNeedNoSync() {
        var node = follower()
        node.step(Paper.message(1, 2, term: 2, .heartbeat(commit: LogIndex(2), round: 1)))
        let commitOnly = node.ready()
        #expect(commitOnly.hardState?.commit == LogIndex(2) && commitOnly.committedEntries.count == 2)
        #expect(!commitOnly.mustSync)
        node.advance(commitOnly)
        // The next Ready is compared with the term and vote of the one just advanced, which are durable.
        node.step(Paper.message(3, 2, term: 3, .heartbeat(commit: LogIndex(2), round: 1)))
        let newTerm = node.ready()
        #expect(newTerm.hardState?.term == Term(3) && newTerm.mustSync)
        node.advance(newTerm)

        var leader = Paper.leader(term: 2)
        _ = Paper.drain(&leader)
        for _ in 0..<20 where !leader.hasReady { leader.tick() }
        let heartbeats = leader.ready()
        #expect(!heartbeats.messages.isEmpty && heartbeats.hardState == nil && heartbeats.entries.isEmpty)
        #expect(!heartbeats.mustSync)
    }
}

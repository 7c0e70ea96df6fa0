import PadlockTypes
import Raft
import Testing

@Suite struct ApplyBatchTests {
    @Test("A long committed backlog is handed out for applying in batches of bounded size")
    func committedBacklogIsAppliedInBoundedBatches() throws {
        var restore = RestoreState.bootstrap(voters: [NodeID(1), NodeID(2), NodeID(3)])
        restore.entries = (1...5).map { Entry(term: Term(1), index: LogIndex(UInt64($0)), data: Array("four".utf8)) }
        restore.hardState = HardState(term: Term(1), vote: nil, commit: LogIndex(5))
        var config = Config(id: NodeID(1))
        config.maxApplyBytesPerReady = 9
        var node = try RaftNode(config: config, restore: restore, random: SplitMix64(seed: 1))
        var batches: [[UInt64]] = []
        while node.hasReady {
            let ready = node.ready()
            batches.append(ready.committedEntries.map(\.index.rawValue))
            node.advance(ready)
        }
        #expect(batches == [[1, 2], [3, 4], [5]])
        #expect(node.appliedIndex == LogIndex(5))
    }
}

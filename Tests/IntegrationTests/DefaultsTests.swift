import LockTable
import Node
import PadlockConfig
import PadlockTypes
import Raft
import Testing

/// `PadlockConfig` cannot import the modules whose settings it fills, so its defaults are copies: they must
/// stay equal to the modules' own.
@Suite struct DefaultsTests {
    @Test("A configuration file that omits a limit gets the lock table's own default")
    func limitDefaultsMatchTheLockTable() {
        let limits = PadlockdSettings.Limits()
        let table = LockTableConfiguration()
        #expect(limits.sessionCountMax == table.sessionCountMax)
        #expect(limits.locksPerSessionMax == table.locksPerSessionMax)
        #expect(limits.heldLockCountMax == table.heldLockCountMax)
        #expect(limits.waitersPerKeyMax == table.waitersPerKeyMax)
        #expect(limits.waiterCountMax == table.waiterCountMax)
        #expect(limits.auditRecordCountMax == table.auditRecordCountMax)
        #expect(PadlockdSettings.LockDelay().millisecondsDefault == table.lockDelayMillisecondsDefault)
    }

    @Test("Omitted Raft and node settings get the node's own defaults")
    func raftDefaultsMatchTheNode() {
        let tuning = PadlockdSettings.RaftTuning()
        let node = NodeConfiguration(id: NodeID(1), bootstrapVoters: [NodeID(1)])
        #expect(tuning.tickMilliseconds == node.tickMilliseconds)
        #expect(tuning.electionTicks == node.raft.electionTicks)
        #expect(tuning.heartbeatTicks == node.raft.heartbeatTicks)
        #expect(tuning.snapshotEntryThreshold == node.snapshotEntryThreshold)
        #expect(PadlockdSettings.Limits().pendingRequestsMax == node.pendingRequestsMax)
    }
}

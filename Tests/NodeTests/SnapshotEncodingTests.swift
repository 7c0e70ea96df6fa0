import LockTable
import Node
import PadlockTypes
import Raft
import Storage
import Testing
import Wire

/// The node's own snapshots are encoded away from its thread (`NodeEnvironment.encode`): it keeps answering
/// meanwhile, and what it applied while the bytes were being made survives a restart.
@Suite struct SnapshotEncodingTests {
    private func acquire(
        _ cluster: SingleNodeCluster, _ session: SessionID, _ sequence: UInt64, _ name: String
    )
        -> Result<ClientResult, ClientFailure>?
    {
        cluster.ask(
            .acquire(
                RequestID(session: session, sequence: sequence),
                Acquisition(key: key(name), mode: .exclusive, waitMilliseconds: 0, note: "")))
    }

    private func isGranted(_ answer: Result<ClientResult, ClientFailure>?) -> Bool {
        if case .success(.granted)? = answer { true } else { false }
    }

    @Test("Requests are answered while a snapshot is encoded, and a restart keeps them")
    func servesWhileEncodingAndKeepsLaterEntries() throws {
        let environment = ManualEnvironment()
        environment.defersEncoding = true
        let cluster = try SingleNodeCluster(environment: environment, snapshotEntryThreshold: 20)
        cluster.elect()
        let session = try cluster.openSession()
        var sequence: UInt64 = 0
        while environment.pendingEncodings.isEmpty && sequence < 40 {
            sequence += 1
            #expect(isGranted(acquire(cluster, session, sequence, "acme/contacts/\(sequence)")))
        }
        try #require(environment.pendingEncodings.count == 1, "a snapshot is due after 20 entries")
        let takenAt = cluster.node.appliedIndex
        let before = try environment.store.loadSnapshot()?.index

        // The encoding is still out: the node goes on granting.
        for _ in 0..<5 {
            sequence += 1
            #expect(isGranted(acquire(cluster, session, sequence, "acme/contacts/\(sequence)")))
        }
        #expect(environment.pendingEncodings.count == 1, "no second snapshot while one is encoded")
        #expect(try environment.store.loadSnapshot()?.index == before, "nothing is compacted before the bytes are back")

        environment.completeEncodings()
        cluster.settle()
        let snapshot = try #require(try environment.store.loadSnapshot())
        #expect(snapshot.index == takenAt.rawValue, "the snapshot is of the table when it was taken")
        #expect(cluster.node.counters.snapshots == 1)
        let held = cluster.node.tableCounts

        // A node restarted from the store has every lock, those granted during the encoding included.
        let restarted = try SingleNodeCluster(environment: ManualEnvironment(store: environment.store))
        restarted.elect()
        #expect(restarted.node.tableCounts == held)
        #expect(held.heldLocks == Int(sequence), "every granted lock is held: \(held)")
    }

    @Test("Snapshot bytes no newer than the log's snapshot compact nothing and do not stop the node")
    func olderOwnSnapshotIsDropped() throws {
        let environment = ManualEnvironment()
        environment.defersEncoding = true
        let cluster = try SingleNodeCluster(environment: environment, snapshotEntryThreshold: 10)
        cluster.elect()
        let session = try cluster.openSession()
        var sequence: UInt64 = 0
        while environment.pendingEncodings.isEmpty && sequence < 30 {
            sequence += 1
            _ = acquire(cluster, session, sequence, "acme/deals/\(sequence)")
        }
        try #require(environment.pendingEncodings.count == 1)
        // The same bytes handed back a second time stand for a snapshot overtaken by a newer one (from the
        // leader, in a cluster): they must be dropped without compacting backwards or stopping the node.
        let (work, completion) = environment.pendingEncodings.removeFirst()
        let bytes = work()
        completion(bytes)
        cluster.settle()
        #expect(cluster.node.counters.snapshots == 1)
        completion(bytes)
        cluster.settle()
        #expect(!cluster.node.isStopped)
        #expect(cluster.node.counters.snapshots == 1, "the stale bytes compact nothing")
        #expect(cluster.node.counters.snapshotsDropped == 1)
        #expect(isGranted(acquire(cluster, session, sequence + 1, "acme/deals/after")))
    }

    @Test("An encoding is handed back after the call that asked for it returned, and the snapshot is then taken")
    func encodingCompletesAfterTheCall() throws {
        // The environment queues every encoding (NodeEnvironment: never complete inside the call); the node
        // checks it, and would stop the test with a precondition if a completion came inside `encode`.
        let environment = ManualEnvironment()
        let cluster = try SingleNodeCluster(environment: environment, snapshotEntryThreshold: 20)
        cluster.elect()
        let session = try cluster.openSession()
        var sequence: UInt64 = 0
        while cluster.node.counters.snapshots == 0 && sequence < 40 {
            sequence += 1
            #expect(isGranted(acquire(cluster, session, sequence, "acme/contacts/\(sequence)")))
        }
        #expect(cluster.node.counters.snapshots == 1, "settling hands the encoding back, and the node compacts")
        #expect(environment.pendingEncodings.isEmpty)
        #expect(try environment.store.loadSnapshot() != nil)
    }
}

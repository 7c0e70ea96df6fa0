import LockTable
import PadlockTypes
import PeerWire
import Raft
import Storage
import Testing
import Wire

@testable import Node

/// Node identity (docs/operations.md, "Node identity"): members' incarnations are recorded in the log and
/// kept in snapshots, and a node refuses messages from a member whose announced incarnation is not the
/// record, or whose record is marked lost, before Raft sees them.
@Suite struct NodeIdentityTests {
    static let voters = [NodeID(1), NodeID(2), NodeID(3)]

    static var addresses: [NodeID: MemberAddresses] {
        var book: [NodeID: MemberAddresses] = [:]
        for node in voters {
            book[node] = MemberAddresses(peer: "10.0.0.\(node.rawValue):7501", client: "10.0.0.\(node.rawValue):7401")
        }
        return book
    }

    /// Node 1 of three, started from a snapshot holding `records` and then `entries` (none committed).
    static func node(
        records: [NodeID: MemberIncarnation], entries: [Entry] = []
    ) throws -> (Node<ManualEnvironment>, ManualEnvironment) {
        let environment = ManualEnvironment()
        var configuration = NodeConfiguration(
            id: NodeID(1), initialMembers: Self.addresses, bootstrapVoters: Self.voters)
        configuration.incarnation = 0x11
        let table = LockTable(configuration: configuration.lockTable).snapshot()
        try environment.store.saveSnapshot(
            StoredSnapshot(
                index: 0, term: 0, configuration: PeerWire.encode(Configuration(voters: Self.voters, learners: [])),
                data: EntryCodec.snapshotData(addressBook: Self.addresses, incarnations: records, table: table)))
        if !entries.isEmpty {
            try environment.store.append(
                entries.map(EntryCodec.stored), hardState: StoredHardState(term: 1, vote: 0, commit: 0))
        }
        let restored = try NodeRestore.load(from: environment.store, configuration: configuration)
        let node = try Node(configuration: configuration, environment: environment, restored: restored, seed: 1)
        return (node, environment)
    }

    private func preVote(from sender: UInt64) -> Message {
        Message(from: NodeID(sender), to: NodeID(1), term: Term(1), kind: .preVote(lastIndex: .zero, lastTerm: .zero))
    }

    private func settle(_ node: Node<ManualEnvironment>, _ environment: ManualEnvironment) {
        environment.settle(node)
    }

    private func answeredPreVotes(_ environment: ManualEnvironment) -> Int {
        environment.sent.filter { if case .preVoteResponse = $0.kind { true } else { false } }.count
    }

    @Test("A member announcing another incarnation than the recorded one is refused, and the reason names it")
    func mismatchedIncarnationIsRefused() throws {
        let (node, environment) = try Self.node(records: [NodeID(2): MemberIncarnation(value: 0xAA)])
        node.receive(preVote(from: 2), incarnation: 0xBB)
        node.receive(preVote(from: 2), incarnation: 0xBB)
        settle(node, environment)
        #expect(answeredPreVotes(environment) == 0, "Raft never saw the refused messages")
        #expect(environment.refusals == [.mismatch(node: NodeID(2), announced: 0xBB, recorded: 0xAA)], "reported once")
        #expect(node.refusedPeerMessages == 2)
        let sentence = "\(environment.refusals[0])"
        #expect(sentence.contains("refused node 2: its incarnation 0x00000000000000bb"))
        #expect(sentence.contains("0x00000000000000aa recorded by the cluster"))
        #expect(sentence.contains("padlock member remove 2"))

        node.receive(preVote(from: 2), incarnation: 0xAA)
        settle(node, environment)
        #expect(answeredPreVotes(environment) == 1, "the recorded incarnation is answered")
    }

    @Test("A member whose record is marked lost is refused whatever it announces; an unrecorded one is not")
    func lostRecordIsRefused() throws {
        let (node, environment) = try Self.node(records: [NodeID(2): MemberIncarnation(value: 0xAA, lost: true)])
        node.receive(preVote(from: 2), incarnation: 0xAA)
        node.receive(preVote(from: 3), incarnation: 0xCC)
        settle(node, environment)
        #expect(environment.refusals == [.lost(node: NodeID(2))])
        #expect(environment.sent.filter { $0.to == NodeID(3) }.count == 1, "node 3 has no record yet: answered")
        #expect(node.refusedPeers.map(\.node) == [NodeID(2)])
    }

    @Test("A node that knows no leader reports that the cluster cannot commit; nothing commits without one")
    func noLeaderCannotCommit() throws {
        let (node, _) = try Self.node(records: [:])
        #expect(node.statusReport().leader == nil)
        #expect(!node.statusReport().canCommit, "a follower with no leader must not say the cluster can commit")
    }

    @Test("A record still uncommitted in the log after a restart already refuses the member")
    func uncommittedRecordInTheLogRefuses() throws {
        let record = Entry(
            term: Term(1), index: LogIndex(1), kind: .normal,
            data: EntryCodec.incarnationData(NodeID(2), MemberIncarnation(value: 0xAA)))
        let (node, environment) = try Self.node(records: [:], entries: [record])
        #expect(node.membership.incarnations.isEmpty, "nothing is applied yet")
        node.receive(preVote(from: 2), incarnation: 0xBB)
        settle(node, environment)
        #expect(environment.refusals == [.mismatch(node: NodeID(2), announced: 0xBB, recorded: 0xAA)])
    }

    @Test("A leader records its own incarnation in the log once it is ready")
    func leaderRecordsItsOwnIncarnation() throws {
        var configuration = SingleNodeCluster.configuration()
        configuration.incarnation = 0x77
        let environment = ManualEnvironment()
        let restored = try NodeRestore.load(from: environment.store, configuration: configuration)
        let cluster = try SingleNodeCluster(environment: environment)
        cluster.node = try Node(configuration: configuration, environment: environment, restored: restored, seed: 1)
        cluster.elect()
        cluster.tick()
        #expect(cluster.node.membership.incarnations == [NodeID(1): MemberIncarnation(value: 0x77)])
        #expect(cluster.node.statusReport().canCommit)
        #expect(cluster.node.statusReport().problems.isEmpty)
    }

    @Test("A version 1 node snapshot (written before incarnations) still decodes, and version 2 round-trips")
    func snapshotVersionsDecode() throws {
        // PNSD · version 1 · one member: node 1, peer "a", client "b" · then the table's bytes.
        let version1: [UInt8] = Array("PNSD".utf8) + [1, 1, 1, 1, 0x61, 1, 0x62, 9, 9]
        let old = try EntryCodec.snapshotContents(version1)
        #expect(old.addressBook == [NodeID(1): MemberAddresses(peer: "a", client: "b")])
        #expect(old.incarnations.isEmpty)
        #expect(old.table == [9, 9])

        let records = [NodeID(1): MemberIncarnation(value: 5), NodeID(3): MemberIncarnation(value: .max, lost: true)]
        let bytes = EntryCodec.snapshotData(addressBook: Self.addresses, incarnations: records, table: [7])
        #expect(Array(bytes[0..<5]) == Array("PNSD".utf8) + [2])
        let decoded = try EntryCodec.snapshotContents(bytes)
        #expect(decoded.addressBook == Self.addresses)
        #expect(decoded.incarnations == records)
        #expect(decoded.table == [7])
        #expect(throws: NodeFailure.self) { try EntryCodec.snapshotContents(Array("PNSD".utf8) + [3]) }
    }

    @Test("An incarnation entry is a tag, the node, eight bytes and a bool, and decodes back")
    func incarnationEntryLayout() {
        let data = EntryCodec.incarnationData(NodeID(2), MemberIncarnation(value: 0x0102_0304_0506_0708, lost: true))
        #expect(data == [3, 2, 1, 2, 3, 4, 5, 6, 7, 8, 1])
        guard case .incarnation(let node, let record)? = EntryCodec.payload(in: data) else {
            Issue.record("the entry did not decode")
            return
        }
        #expect(node == NodeID(2))
        #expect(record == MemberIncarnation(value: 0x0102_0304_0506_0708, lost: true))
    }
}

/// What the leader reports about the cluster's ability to commit (`padlock status`, `/health`).
@Suite struct NodeHealthTests {
    private func settle(_ node: Node<ManualEnvironment>, _ environment: ManualEnvironment) {
        environment.settle(node)
    }

    private func from2(_ kind: Message.Kind) -> Message {
        Message(from: NodeID(2), to: NodeID(1), term: Term(1), kind: kind)
    }

    /// Node 1 of three, elected with node 2's vote and ready (its no-op acknowledged by node 2).
    private func leader() throws -> (Node<ManualEnvironment>, ManualEnvironment) {
        let (node, environment) = try NodeIdentityTests.node(records: [:])
        for _ in 0..<100 where !environment.sent.contains(where: { if case .preVote = $0.kind { true } else { false } })
        {
            environment.monotonicMilliseconds += 10
            node.tick()
            settle(node, environment)
        }
        node.receive(from2(.preVoteResponse(granted: true)), incarnation: 0x22)
        settle(node, environment)
        node.receive(from2(.voteResponse(granted: true)), incarnation: 0x22)
        settle(node, environment)
        node.receive(
            from2(.appendResponse(index: LogIndex(1), rejected: false, hintIndex: .zero, hintTerm: .zero)),
            incarnation: 0x22)
        settle(node, environment)
        try #require(node.isLeader)
        return (node, environment)
    }

    /// Ticks for `milliseconds`, answering every heartbeat to node 2 with `lastIndex`.
    private func run(
        _ node: Node<ManualEnvironment>, _ environment: ManualEnvironment, milliseconds: UInt64, lastIndex: UInt64
    ) {
        for _ in 0..<(milliseconds / 10) {
            environment.monotonicMilliseconds += 10
            node.tick()
            settle(node, environment)
            let heartbeats = environment.sent.filter { $0.to == NodeID(2) }
            environment.sent.removeAll()
            for case .heartbeat(_, let round) in heartbeats.map(\.kind) {
                node.receive(from2(.heartbeatResponse(round: round, lastIndex: LogIndex(lastIndex))), incarnation: 0x22)
            }
            settle(node, environment)
        }
    }

    @Test("The leader names a member that does not answer and still commits with the others")
    func silentMemberIsNamed() throws {
        let (node, environment) = try leader()
        run(node, environment, milliseconds: 50, lastIndex: 1)
        let status = node.statusReport()
        #expect(status.canCommit)
        #expect(status.problems == ["node 3 does not answer"])
    }

    @Test("A follower that answers but whose match stays behind for 5 s is stuck: no quorum can commit")
    func stuckFollowerMeansNoCommit() throws {
        let (node, environment) = try leader()
        run(node, environment, milliseconds: 6_000, lastIndex: 1)
        let status = node.statusReport()
        #expect(!status.canCommit)
        #expect(
            status.problems.first?.hasPrefix("the cluster cannot commit: 1 of 3 voters") == true, "\(status.problems)")
        #expect(status.problems.contains { $0.hasPrefix("node 2 is stuck at index 1") }, "\(status.problems)")
    }

    @Test("A follower whose log ends before what it acknowledged is reported, marked lost and refused")
    func lostAcknowledgementsAreActedOn() throws {
        let (node, environment) = try leader()
        run(node, environment, milliseconds: 30, lastIndex: 0)
        #expect(environment.lostAcknowledgements.map(\.node) == [NodeID(2)])
        #expect(node.refusedPeers == [.lost(node: NodeID(2))])
        let status = node.statusReport()
        #expect(!status.canCommit, "node 2 no longer counts, node 3 does not answer")
        #expect(status.problems.contains { $0.hasPrefix("data loss found on node 2") }, "\(status.problems)")
        #expect(node.refusedPeerMessages > 0, "its later answers were refused")
    }
}

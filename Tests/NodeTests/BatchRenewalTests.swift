import LockTable
import Node
import PadlockTypes
import Raft
import Storage
import Testing
import Wire

/// `renewSessions` on the leader (issue 19): each session goes through the single renewal's path, and the
/// request is answered exactly once, when every part is.
@Suite struct BatchRenewalTests {
    private func answers(_ cluster: SingleNodeCluster, to correlation: CorrelationID) -> [ClientResponse] {
        cluster.environment.responses.map(\.response).filter { $0.correlation == correlation }
    }

    private func entries(_ outcome: Result<ClientResult, ClientFailure>?) throws -> [SessionRenewal] {
        guard case .success(.sessionsRenewed(let entries))? = outcome else {
            throw TestFailure("expected sessionsRenewed, got \(String(describing: outcome))")
        }
        return entries
    }

    @Test("A batch of live sessions is renewed, each with its own grant, in one answer")
    func everySessionIsRenewed() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let sessions = try ["alice", "bob", "carol"].map { try cluster.openSession(ttl: 6_000, owner: $0) }
        let correlation = cluster.send(.renewSessions(sessions))
        cluster.settle()
        #expect(answers(cluster, to: correlation).count == 1, "one answer for the whole batch")
        let renewed = try entries(cluster.answer(to: correlation))
        #expect(renewed.map(\.session) == sessions, "one entry per session, in request order")
        for entry in renewed {
            guard case .success(let grant) = entry.outcome else {
                Issue.record("\(entry.session) was not renewed: \(entry.outcome)")
                continue
            }
            #expect(grant.session == entry.session)
            #expect(grant.ttlMilliseconds == 6_000)
        }
        // The batch counts as the single renewals would: a later single renewal inside the window needs no
        // new entry, because the batch's coverage checkpoint covers it.
        let afterCoverage = cluster.node.committedIndex
        cluster.tick()
        guard case .success(.sessionRenewed)? = cluster.ask(.renewSession(sessions[1])) else {
            throw TestFailure("a single renewal after the batch failed")
        }
        #expect(cluster.node.committedIndex == afterCoverage)
    }

    @Test("In a batch, an expired and an unknown session are answered expired and the live one renewed")
    func mixOfLiveAndExpired() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let short = try cluster.openSession(ttl: 2_000, owner: "alice")
        let long = try cluster.openSession(ttl: 60_000, owner: "bob")
        for _ in 0..<250 { cluster.tick() }  // 2.5 s: the short session expired
        #expect(!cluster.node.isSessionOpen(short))
        let unknown = SessionID(999_999)
        let renewed = try entries(cluster.ask(.renewSessions([short, long, unknown])))
        #expect(renewed.map(\.session) == [short, long, unknown])
        #expect(renewed[0].outcome == .failure(.sessionExpired))
        #expect(renewed[2].outcome == .failure(.sessionExpired))
        guard case .success(let grant) = renewed[1].outcome else {
            throw TestFailure("the live session was not renewed: \(renewed[1].outcome)")
        }
        #expect(grant.session == long)
        #expect(cluster.node.isSessionOpen(long))
    }

    @Test("An empty batch is refused as invalid input, and a node that does not lead answers notLeader")
    func emptyBatchAndFollower() throws {
        let follower = try SingleNodeCluster()
        guard case .failure(.notLeader)? = follower.ask(.renewSessions([SessionID(1)])) else {
            throw TestFailure("a node that does not lead must answer notLeader")
        }
        let cluster = try SingleNodeCluster()
        cluster.elect()
        guard case .failure(.invalidArgument)? = cluster.ask(.renewSessions([])) else {
            throw TestFailure("an empty batch must be refused")
        }
    }
}

/// Batches on node 1 of three, when leadership is lost while parts still wait.
@Suite struct BatchRenewalLeadershipTests {
    /// Node 1 elected and ready, with everything it proposed so far acknowledged by node 2.
    private func leader() throws -> ThreeVoterNode {
        let cluster = try ThreeVoterNode()
        cluster.elect()
        acknowledge(cluster)
        try #require(cluster.node.isLeader)
        return cluster
    }

    /// Node 2 acknowledges node 1's whole log.
    private func acknowledge(_ cluster: ThreeVoterNode) {
        let last = cluster.node.statusReport().lastIndex.rawValue
        cluster.receive(
            2, term: cluster.node.term.rawValue,
            .appendResponse(index: LogIndex(last), rejected: false, hintIndex: .zero, hintTerm: .zero))
    }

    private func open(_ cluster: ThreeVoterNode, owner: String, correlation: UInt64) throws -> SessionID {
        cluster.node.receive(
            ClientRequest(
                correlation: CorrelationID(correlation),
                operation: .openSession(owner: owner, nonce: 1, ttlMilliseconds: 10_000)),
            from: ClientID(1))
        cluster.settle()
        acknowledge(cluster)
        let answer = cluster.environment.responses.last { $0.response.correlation == CorrelationID(correlation) }
        guard case .success(.sessionOpened(let grant))? = answer?.response.outcome else {
            throw TestFailure("the session did not open: \(String(describing: answer))")
        }
        return grant.session
    }

    private func responses(_ cluster: ThreeVoterNode, _ correlation: UInt64) -> [ClientResponse] {
        cluster.environment.responses.map(\.response).filter { $0.correlation == CorrelationID(correlation) }
    }

    @Test("Leadership lost while every part waits: the batch is answered notLeader once")
    func leadershipLostWhileAllWait() throws {
        let cluster = try leader()
        let alice = try open(cluster, owner: "alice", correlation: 1)
        let bob = try open(cluster, owner: "bob", correlation: 2)
        cluster.node.receive(
            ClientRequest(correlation: CorrelationID(3), operation: .renewSessions([alice, bob])), from: ClientID(1))
        cluster.settle()
        #expect(responses(cluster, 3).isEmpty, "the coverage checkpoint is not committed yet")
        // Node 2 wins a newer term: node 1 steps down with both parts waiting for coverage.
        cluster.receive(2, term: cluster.node.term.rawValue + 1, .heartbeat(commit: .zero, round: 1))
        #expect(!cluster.node.isLeader)
        let answered = responses(cluster, 3)
        #expect(answered.count == 1)
        guard case .failure(.notLeader)? = answered.first?.outcome else {
            throw TestFailure("expected notLeader for the whole batch, got \(answered)")
        }
        cluster.tick(5)
        #expect(responses(cluster, 3).count == 1, "answered exactly once")
    }

    @Test("Leadership lost after some parts were answered: those keep their answer, the rest say notLeader")
    func leadershipLostMidBatch() throws {
        let cluster = try leader()
        let alice = try open(cluster, owner: "alice", correlation: 1)
        let bob = try open(cluster, owner: "bob", correlation: 2)
        let unknown = SessionID(424_242)
        cluster.node.receive(
            ClientRequest(correlation: CorrelationID(3), operation: .renewSessions([alice, bob, unknown])),
            from: ClientID(1))
        cluster.settle()
        acknowledge(cluster)  // commits the coverage checkpoint: alice's and bob's parts are answered
        #expect(responses(cluster, 3).isEmpty, "the unknown session's part waits for a read round")
        cluster.receive(2, term: cluster.node.term.rawValue + 1, .heartbeat(commit: .zero, round: 1))
        let answered = responses(cluster, 3)
        #expect(answered.count == 1)
        guard case .success(.sessionsRenewed(let entries))? = answered.first?.outcome else {
            throw TestFailure("expected a per-session answer, got \(answered)")
        }
        #expect(entries.map(\.session) == [alice, bob, unknown])
        #expect(entries[0].outcome.map(\.session) == .success(alice))
        #expect(entries[1].outcome.map(\.session) == .success(bob))
        guard case .failure(.notLeader) = entries[2].outcome else {
            throw TestFailure("the waiting part must say notLeader, got \(entries[2].outcome)")
        }
    }

    @Test("A batch whose client disconnected is dropped: no answer, nothing left waiting")
    func disconnectDropsTheBatch() throws {
        let cluster = try leader()
        let alice = try open(cluster, owner: "alice", correlation: 1)
        cluster.node.receive(
            ClientRequest(correlation: CorrelationID(3), operation: .renewSessions([alice, SessionID(77)])),
            from: ClientID(1))
        cluster.settle()
        cluster.node.clientDisconnected(ClientID(1))
        acknowledge(cluster)
        cluster.receive(2, term: cluster.node.term.rawValue + 1, .heartbeat(commit: .zero, round: 1))
        #expect(responses(cluster, 3).isEmpty)
        #expect(cluster.node.pendingRenewalBatchCount == 0)
    }
}

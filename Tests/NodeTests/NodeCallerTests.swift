import Node
import PadlockTypes
import Testing
import Wire

/// Requests from authenticated clients (`Caller`): the sessions they open record them on every replica.
@Suite struct NodeCallerTests {
    private func open(
        _ cluster: SingleNodeCluster, _ owner: String, _ caller: Caller?
    )
        -> Result<ClientResult, ClientFailure>?
    {
        cluster.ask(.openSession(owner: owner, nonce: UInt64(owner.utf8.count), ttlMilliseconds: 5_000), caller: caller)
    }

    @Test("A caller's sessions are owned by it, and its session quota is answered with the reason")
    func sessionsRecordTheirCallerAndCountAgainstItsQuota() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let crm = Caller(name: "crm-frontend", sessionsMax: 1)
        guard case .success(.sessionOpened(let grant))? = open(cluster, "alice@fe", crm) else {
            Issue.record("the first session did not open")
            return
        }
        #expect(cluster.node.ownership(of: grant.session) == .client("crm-frontend"))
        #expect(cluster.node.sessions(ofClient: "crm-frontend") == [grant.session])

        guard case .failure(.overloaded(let reason))? = open(cluster, "bob@fe", crm) else {
            Issue.record("a second session opened past the quota of one")
            return
        }
        #expect(reason.contains("quota exceeded"), "\(reason)")
        #expect(reason.contains("sessions"), "\(reason)")

        guard case .success(.sessionOpened(let plain))? = open(cluster, "carol@fe", nil) else {
            Issue.record("a session without a caller did not open")
            return
        }
        #expect(cluster.node.ownership(of: plain.session) == .openPort)
        #expect(cluster.node.ownership(of: SessionID(9_999)) == .notOpen)
        #expect(cluster.node.clientsWithSessions == ["crm-frontend"])
    }
}

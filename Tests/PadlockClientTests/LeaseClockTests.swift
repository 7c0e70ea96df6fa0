import PadlockTypes
import Testing
import Wire

@testable import PadlockClient

/// Lease states on a hand-driven clock (`ManualClientEnvironment`): the transitions fall exactly where the
/// lease arithmetic puts them, however busy the machine running the test is.
struct LeaseClockTests {
    /// A 2 s TTL: margin 150 ms, renewals every 666 ms, at risk 666 ms before the deadline.
    static func configuration() -> PadlockClient.Configuration {
        var configuration = testConfiguration
        configuration.sessionTTL = .seconds(2)
        return configuration
    }

    /// Answers every request not answered yet: opens and renewals with a grant of `ttl`.
    static func answerNew(_ environment: ManualClientEnvironment, from answered: inout Int, renewals: Bool) {
        let grant = { (id: SessionID) in
            SessionGrant(session: id, ttlMilliseconds: 2_000, renewalDeadline: Timestamp(rawValue: 0))
        }
        for connection in environment.connections {
            for request in connection.requests.dropFirst(answered) {
                answered += 1
                switch request.operation {
                case .openSession: connection.answer(request, .success(.sessionOpened(grant(SessionID(rawValue: 5)))))
                case .renewSession(let id) where renewals:
                    connection.answer(request, .success(.sessionRenewed(grant(id))))
                default: break
                }
            }
        }
    }

    @Test func leaseStatesGoSafeThenAtRiskThenLostExactlyOnTheLeaseArithmetic() throws {
        let environment = ManualClientEnvironment()
        let core = ClientCore(
            environment: environment, endpoints: InjectedBugTests.endpoints, owner: "alice",
            handshake: Handshake(role: .client, cluster: ClusterID(0), node: NodeID(0)),
            configuration: Self.configuration(), logger: quietLogger)
        core.openSession(owner: "alice")
        var answered = 0
        var transitions: [(at: Duration, state: LeaseState)] = []
        let start = environment.now
        let session = try #require(core.sessions.of("alice").first)
        var last = LeaseState.safe
        for step in 1...500 {
            // Renewals are answered for the first 1.5 s, then never again.
            Self.answerNew(environment, from: &answered, renewals: step <= 150)
            environment.advance(by: .milliseconds(10))
            let state: LeaseState = session.state == .lost ? .lost : session.publishedState
            if state != last {
                transitions.append((environment.now - start, state))
                last = state
            }
        }
        #expect(transitions.map(\.state) == [.atRisk, .lost])
        guard transitions.count == 2 else { return }
        // The last renewal answered went out before 1.5 s; its lease lasts TTL − margin = 1.85 s from then.
        #expect(transitions[0].at > .milliseconds(1500))
        #expect(transitions[1].at <= .milliseconds(1500 + 1850 + 20))
        // From at risk to lost is the at-risk window, to within the test's 10 ms steps.
        let window = transitions[1].at - transitions[0].at
        #expect(window >= .milliseconds(650) && window <= .milliseconds(690))
    }
}

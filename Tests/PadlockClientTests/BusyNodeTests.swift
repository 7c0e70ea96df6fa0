import PadlockTypes
import Testing
import Wire

@testable import PadlockClient

/// Attempt timeouts against a node that is slow but alive, on a hand-driven clock. Regression for the lost
/// locks of ClientFaultTests "A thousand tasks sharing one client" on a machine with a load average of 15:
/// every attempt still queued behind older requests timed out after one second, was sent to another node,
/// redirected back to the same leader and queued again, until renewals missed their leases.
struct BusyNodeTests {
    static let endpoints = ["10.0.0.1:7401", "10.0.0.2:7401"].compactMap { EndpointAddress($0) }

    /// Ten renewals sent at once to a transport with a 300 ms attempt timeout; returns the environment, the
    /// answers by session, and the exchanges (kept alive until the test ends).
    static func sendRenewals(
        _ environment: ManualClientEnvironment, count: Int
    ) -> (
        outcomes: Outcomes, exchanges: [Exchange]
    ) {
        let transport = Transport(
            environment: environment, endpoints: endpoints,
            handshake: Handshake(role: .client, cluster: ClusterID(0), node: NodeID(0)),
            configuration: testConfiguration, logger: quietLogger, metrics: ClientMetrics())
        transport.leader = 0
        let outcomes = Outcomes()
        var exchanges: [Exchange] = []
        for number in 1...count {
            let exchange = Exchange(
                .renewSession(SessionID(rawValue: UInt64(number))), kind: .read, label: "renewSession",
                deadline: environment.now + .seconds(5), attemptTimeout: testConfiguration.attemptTimeout,
                transport: transport)
            exchange.start { outcome in
                if case .answered(.success, _, _) = outcome { outcomes.answered.append(number) }
            }
            exchanges.append(exchange)
        }
        return (outcomes, exchanges)
    }

    static func grant(_ request: ClientRequest) -> Result<ClientResult, ClientFailure> {
        guard case .renewSession(let id) = request.operation else {
            return .failure(.invalidArgument(message: "not a renewal"))
        }
        return .success(
            .sessionRenewed(SessionGrant(session: id, ttlMilliseconds: 2_000, renewalDeadline: Timestamp(rawValue: 0))))
    }

    final class Outcomes { var answered: [Int] = [] }

    @Test func aNodeWorkingThroughItsQueueIsWaitedForNotFledFrom() throws {
        let environment = ManualClientEnvironment()
        let (outcomes, exchanges) = Self.sendRenewals(environment, count: 10)
        environment.advance(by: .milliseconds(1))
        let node = try #require(environment.connections.first)
        #expect(node.requests.count == 10)
        // The node answers one request every 100 ms, oldest first: the last waits a second, more than three
        // attempt timeouts, yet the node is never silent for one.
        for next in node.requests {
            environment.advance(by: .milliseconds(100))
            node.answer(next, Self.grant(next))
        }
        environment.advance(by: .milliseconds(100))
        #expect(outcomes.answered == Array(1...10), "every renewal answered, in order")
        #expect(environment.connections.count == 1, "no attempt went to the other node")
        #expect(environment.requests.count == 10, "no request was sent twice")
        _ = exchanges
    }

    @Test func aRequestTheNodeSkipsIsStillRetriedElsewhere() throws {
        let environment = ManualClientEnvironment()
        let (outcomes, exchanges) = Self.sendRenewals(environment, count: 3)
        environment.advance(by: .milliseconds(1))
        let node = try #require(environment.connections.first)
        // The node answers the second and third at once and never the first: it lost that one.
        for later in node.requests.dropFirst() { node.answer(later, Self.grant(later)) }
        environment.advance(by: .milliseconds(400))
        #expect(outcomes.answered == [2, 3])
        #expect(environment.connections.count == 2, "the first renewal moved to the other node after its timeout")
        let other = environment.connections[1]
        let retried = try #require(other.requests.first)
        other.answer(retried, Self.grant(retried))
        environment.advance(by: .milliseconds(10))
        #expect(outcomes.answered == [2, 3, 1])
        _ = exchanges
    }

    @Test func aSilentNodeIsLeftAfterOneAttemptTimeout() throws {
        let environment = ManualClientEnvironment()
        let (outcomes, exchanges) = Self.sendRenewals(environment, count: 2)
        environment.advance(by: .milliseconds(1))
        environment.advance(by: .milliseconds(249))
        #expect(environment.connections.count == 1)
        environment.advance(by: .milliseconds(170))
        #expect(environment.connections.count == 2, "both renewals moved on once the node said nothing for 300 ms")
        #expect(environment.connections[1].requests.count == 2)
        #expect(outcomes.answered.isEmpty)
        _ = exchanges
    }
}

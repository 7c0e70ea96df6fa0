import PadlockTypes
import Testing
import Wire

@testable import PadlockClient

/// The core on a hand-driven `ClientEnvironment`: no loop, no socket, no wall-clock time. The injected client
/// bugs (`ClientInjectedBugs`, for the simulator's self-test) change exactly what they claim to, and the
/// real behaviour is the opposite.
struct InjectedBugTests {
    static let endpoints = ["10.0.0.1:7401"].compactMap { EndpointAddress($0) }

    /// Sends one acquire on an open session whose first attempt is never answered; returns the request ids
    /// of the first attempt and of the retry.
    func retriedRequestIDs(bugs: ClientInjectedBugs) throws -> [RequestID] {
        let environment = ManualClientEnvironment(bugs: bugs)
        let core = ClientCore(
            environment: environment, endpoints: Self.endpoints, owner: "alice",
            handshake: Handshake(role: .client, cluster: ClusterID(0), node: NodeID(0)),
            configuration: testConfiguration, logger: quietLogger)
        let session = PoolSession(nonce: 1, owner: "alice")
        session.id = SessionID(rawValue: 7)
        session.state = .open
        session.isBusy = true
        let acquisition = Acquisition(
            key: try LockKey("acme/contacts/42"), mode: .exclusive, waitMilliseconds: 0, note: "")
        let call = MutationCall(
            label: "acquire", key: acquisition.key, owner: "alice", dedicated: session,
            deadline: environment.now + .seconds(2), attemptTimeout: .milliseconds(300),
            build: { .acquire($0, acquisition) }, onOutcome: { _ in })
        core.send(call, on: session)
        // The first attempt goes unanswered past its timeout; the retry follows after a backoff.
        environment.advance(by: .milliseconds(600))
        return environment.requests.compactMap {
            if case .acquire(let id, _) = $0.operation { id } else { nil }
        }
    }

    @Test func everyRetryCarriesTheSameRequestIDUnlessTheBugIsInjected() throws {
        let honest = try retriedRequestIDs(bugs: ClientInjectedBugs())
        #expect(honest.count >= 2)
        #expect(Set(honest).count == 1)
        let buggy = try retriedRequestIDs(bugs: ClientInjectedBugs(freshSequenceOnRetry: true))
        #expect(buggy.count >= 2)
        #expect(Set(buggy).count == buggy.count)
    }

    @Test func aLeaseIsLostAtItsDeadlineUnlessTheBugIsInjected() {
        let environment = ManualClientEnvironment()
        let start = environment.now
        let honest = SessionLease(deadline: start + .seconds(9), atRiskWindow: .seconds(3), clock: environment.clock)
        let buggy = SessionLease(
            deadline: start + .seconds(9), atRiskWindow: .seconds(3), clock: environment.clock, ignoresMargin: true,
            margin: .seconds(1))
        environment.advance(by: .seconds(7))
        #expect(honest.currentState == .atRisk)
        #expect(buggy.currentState == .safe)
        environment.advance(by: .seconds(2))
        #expect(honest.currentState == .lost)
        #expect(buggy.currentState == .safe)
        environment.advance(by: .seconds(4))
        #expect(buggy.currentState == .lost)
    }
}

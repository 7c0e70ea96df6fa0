import LockTable
import Node
import PadlockTypes
import Raft
import Storage
import Testing
import Wire

@Suite struct NodeRequestTests {
    @Test("A grant's fence is the log index of the entry that granted it")
    func fenceIsTheGrantingEntrysIndex() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let session = try cluster.openSession()
        let request = RequestID(session: session, sequence: 1)
        let answer = cluster.ask(
            .acquire(
                request,
                Acquisition(key: key("acme/contacts/42"), mode: .exclusive, waitMilliseconds: 0, note: "editing phone"))
        )
        guard case .success(.granted(let holder))? = answer else {
            Issue.record("expected a grant, got \(String(describing: answer))")
            return
        }
        #expect(holder.fence.rawValue == cluster.node.appliedIndex.rawValue, "the acquire was the last entry applied")
        #expect(holder.owner == "alice@frontend-2")
        #expect(holder.note == "editing phone")
    }

    @Test("Nothing is answered before the write holding it is durable")
    func noAnswerBeforeTheWriteIsDurable() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let session = try cluster.openSession()
        let correlation = cluster.send(
            .acquire(
                RequestID(session: session, sequence: 1),
                Acquisition(key: key("acme/contacts/1"), mode: .exclusive, waitMilliseconds: 0, note: "")))
        cluster.environment.flushRequested = false
        cluster.node.flush()
        #expect(!cluster.environment.pendingWrites.isEmpty, "the acquire's entry is being written")
        #expect(cluster.answer(to: correlation) == nil, "no answer while the write is in flight")
        cluster.settle()
        #expect(cluster.answer(to: correlation).map { if case .success(.granted) = $0 { true } else { false } } == true)
    }

    @Test("A failed write stops the node for good and acknowledges nothing")
    func failedWriteStopsTheNode() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let session = try cluster.openSession()
        let correlation = cluster.send(
            .acquire(
                RequestID(session: session, sequence: 1),
                Acquisition(key: key("acme/contacts/1"), mode: .exclusive, waitMilliseconds: 0, note: "")))
        cluster.environment.flushRequested = false
        cluster.node.flush()
        cluster.environment.failOldestWrite()
        #expect(cluster.node.isStopped)
        #expect(cluster.environment.stopped != nil)
        #expect(cluster.answer(to: correlation) == nil)
        let later = cluster.send(.status)
        cluster.settle()
        #expect(cluster.answer(to: later) == nil, "a stopped node takes no more input")
    }

    @Test("Bad input is refused with a typed error before anything is proposed")
    func badInputIsRefusedBeforeProposing() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let before = cluster.node.committedIndex
        let answer = cluster.ask(.openSession(owner: "bob", nonce: 1, ttlMilliseconds: 10))
        guard case .failure(.invalidArgument(let message))? = answer else {
            Issue.record("expected invalidArgument, got \(String(describing: answer))")
            return
        }
        #expect(message.contains("TTL"))
        #expect(cluster.node.committedIndex == before)
        let empty = cluster.ask(.openSession(owner: "", nonce: 1, ttlMilliseconds: 5_000))
        #expect(empty.map { if case .failure(.invalidArgument) = $0 { true } else { false } } == true)
    }

    @Test("A node that does not lead answers notLeader")
    func nonLeaderRedirects() throws {
        let cluster = try SingleNodeCluster()
        let answer = cluster.ask(.openSession(owner: "bob", nonce: 1, ttlMilliseconds: 5_000))
        #expect(answer.map { if case .failure(.notLeader) = $0 { true } else { false } } == true)
    }

    @Test("A retried request is answered with the original result and applied once")
    func retriesAreAnsweredWithTheOriginalResult() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let session = try cluster.openSession()
        let request = RequestID(session: session, sequence: 1)
        let operation = ClientOperation.acquire(
            request, Acquisition(key: key("acme/contacts/9"), mode: .exclusive, waitMilliseconds: 0, note: ""))
        let first = cluster.ask(operation)
        let release = cluster.ask(
            .release(RequestID(session: session, sequence: 2), key: key("acme/contacts/9"), fence: try fence(first)))
        #expect(release.map { if case .success(.released) = $0 { true } else { false } } == true)
        // A late duplicate of the acquire must not grant the lock again.
        let again = cluster.ask(operation)
        #expect(again.map { if case .failure(.superseded) = $0 { true } else { false } } == true)
        let inspection = cluster.ask(.inspect(key("acme/contacts/9")))
        guard case .success(.inspected(let found))? = inspection else { throw TestFailure("no inspection") }
        #expect(found.holders.isEmpty)
    }

    @Test("Resolving a request that never arrived abandons it for good")
    func resolveAbandonsAnUnappliedRequest() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let session = try cluster.openSession()
        let request = RequestID(session: session, sequence: 1)
        let resolved = cluster.ask(.resolve(request))
        #expect(resolved.map { if case .failure(.unknownRequest) = $0 { true } else { false } } == true)
        let late = cluster.ask(
            .acquire(request, Acquisition(key: key("acme/contacts/3"), mode: .exclusive, waitMilliseconds: 0, note: ""))
        )
        #expect(late.map { if case .failure(.unknownRequest) = $0 { true } else { false } } == true)
        guard case .success(.inspected(let found))? = cluster.ask(.inspect(key("acme/contacts/3"))) else {
            throw TestFailure("no inspection")
        }
        #expect(found.holders.isEmpty, "the abandoned acquire was never applied")
    }

    @Test("A restarted node holds every lock it granted, with the same fences")
    func restartKeepsLocksAndFences() throws {
        let environment = ManualEnvironment()
        let cluster = try SingleNodeCluster(environment: environment)
        cluster.elect()
        let session = try cluster.openSession(ttl: 60_000)
        let granted = cluster.ask(
            .acquire(
                RequestID(session: session, sequence: 1),
                Acquisition(key: key("acme/contacts/5"), mode: .exclusive, waitMilliseconds: 0, note: "")))
        let originalFence = try fence(granted)
        let restarted = try SingleNodeCluster(environment: environment)
        restarted.elect()
        guard case .success(.inspected(let found))? = restarted.ask(.inspect(key("acme/contacts/5"))) else {
            throw TestFailure("no inspection after restart")
        }
        #expect(found.holders.map(\.holder.fence) == [originalFence])
        #expect(found.holders.map(\.holder.session) == [session])
    }

    private func fence(_ answer: Result<ClientResult, ClientFailure>?) throws -> FenceToken {
        guard case .success(.granted(let holder))? = answer else {
            throw TestFailure("expected a grant, got \(String(describing: answer))")
        }
        return holder.fence
    }
}

@Suite struct NodeLeaseTests {
    @Test("A session expires only after its TTL on the leader's clock, and a renewal postpones that")
    func expiryFollowsTheLeadersClock() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let session = try cluster.openSession(ttl: 2_000)
        for _ in 0..<150 { cluster.tick() }  // 1.5 s
        #expect(isRenewed(cluster.ask(.renewSession(session))), "renewed before its TTL ran out")
        for _ in 0..<180 { cluster.tick() }  // 1.8 s after the renewal: still within its TTL
        #expect(cluster.node.tableCounts.sessions == 1, "no expiry before the TTL after the last renewal")
        for _ in 0..<60 { cluster.tick() }  // 2.4 s after the renewal
        #expect(cluster.node.tableCounts.sessions == 0, "expired once the TTL after the last renewal passed")
        let late = cluster.ask(.renewSession(session))
        #expect(late.map { if case .failure(.sessionExpired) = $0 { true } else { false } } == true)
    }

    @Test("Renewals inside a coverage window add no log entry")
    func renewalsInsideTheWindowAddNoEntry() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let session = try cluster.openSession(ttl: 6_000)
        #expect(isRenewed(cluster.ask(.renewSession(session))), "the first renewal needs a coverage checkpoint")
        let afterCoverage = cluster.node.committedIndex
        cluster.tick()
        #expect(isRenewed(cluster.ask(.renewSession(session))))
        cluster.tick()
        #expect(isRenewed(cluster.ask(.renewSession(session))))
        #expect(cluster.node.committedIndex == afterCoverage, "answered by ReadIndex alone")
    }

    @Test("An expired session's locks become free for others")
    func expiryReleasesLocks() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let first = try cluster.openSession(ttl: 2_000, owner: "alice")
        _ = cluster.ask(
            .acquire(
                RequestID(session: first, sequence: 1),
                Acquisition(key: key("acme/contacts/7"), mode: .exclusive, waitMilliseconds: 0, note: "")))
        let second = try cluster.openSession(ttl: 60_000, owner: "bob")
        let refused = cluster.ask(
            .acquire(
                RequestID(session: second, sequence: 1),
                Acquisition(key: key("acme/contacts/7"), mode: .exclusive, waitMilliseconds: 0, note: "")))
        guard case .failure(.held(let holders, _, _))? = refused, let holder = holders.first?.holder else {
            throw TestFailure("expected held, got \(String(describing: refused))")
        }
        #expect(holder.owner == "alice")
        for _ in 0..<250 { cluster.tick() }
        // Lock-delay (5 s by default) follows an expiry, so the key is not granted at once.
        let delayed = cluster.ask(
            .acquire(
                RequestID(session: second, sequence: 2),
                Acquisition(key: key("acme/contacts/7"), mode: .exclusive, waitMilliseconds: 0, note: "")))
        #expect(delayed.map { if case .failure(.lockDelayed) = $0 { true } else { false } } == true)
    }

    private func isRenewed(_ answer: Result<ClientResult, ClientFailure>?) -> Bool {
        if case .success(.sessionRenewed)? = answer { return true }
        return false
    }
}

import LockTable
import Node
import PadlockTypes
import Testing
import Wire

/// Events (docs/events.md): what the leader tells subscribed connections, from applied entries only.
@Suite struct NodeEventTests {
    @Test("A force-unlock tells the holder's connection who and why, only once the entry is applied")
    func forceUnlockIsNoticedAfterItsEntryApplies() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let alice = try cluster.openSession(owner: "alice@frontend-2")
        let fence = try acquire(cluster, alice, "acme/contacts/77")
        #expect(subscribed(cluster.ask(.subscribe(Subscription(sessions: [alice])))))
        let admin = try cluster.openSession(owner: "ops@console")
        cluster.send(
            .forceUnlock(RequestID(session: admin, sequence: 1), key: key("acme/contacts/77"), reason: "stuck"))
        cluster.node.flush()
        #expect(!cluster.environment.pendingWrites.isEmpty, "the force-unlock's entry is being written")
        #expect(lostEvents(cluster).isEmpty, "nothing is said before the entry is durable, committed and applied")
        cluster.settle()
        let lost = lostEvents(cluster)
        #expect(lost.count == 1)
        guard case .lockLost(let lostKey, let holder, .forceUnlocked(let by, let reason))? = lost.first?.event.body
        else { throw TestFailure("expected a force-unlock notice, got \(lost)") }
        #expect(lostKey == key("acme/contacts/77") && holder.fence == fence && holder.session == alice)
        #expect(by == "ops@console" && reason == "stuck")
        #expect(lost.first?.event.index == cluster.node.appliedIndex.rawValue)
        #expect(lost.first?.client == cluster.client)
    }

    @Test("A holder's own release and an unsubscribed session's loss send nothing")
    func ownReleasesAndUnfollowedSessionsAreSilent() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let alice = try cluster.openSession(owner: "alice")
        let bob = try cluster.openSession(owner: "bob")
        let fence = try acquire(cluster, alice, "acme/a")
        _ = try acquire(cluster, bob, "acme/b")
        #expect(subscribed(cluster.ask(.subscribe(Subscription(sessions: [alice])))))
        _ = cluster.ask(.release(RequestID(session: alice, sequence: 2), key: key("acme/a"), fence: fence))
        _ = cluster.ask(.revokeSession(RequestID(session: alice, sequence: 3), target: bob, reason: "left"))
        #expect(lostEvents(cluster).isEmpty)
    }

    @Test("A watch starts with the key's state, then follows every change, ending equal to inspect")
    func aWatchFollowsTheKey() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let alice = try cluster.openSession(owner: "alice")
        #expect(subscribed(cluster.ask(.subscribe(Subscription(keys: [key("acme/contacts/77")])))))
        let fence = try acquire(cluster, alice, "acme/contacts/77")
        _ = try acquire(cluster, alice, "acme/deals/1")  // another key: no state for this watch
        _ = cluster.ask(.release(RequestID(session: alice, sequence: 3), key: key("acme/contacts/77"), fence: fence))
        let holders = keyStates(cluster).map { $0.holders.map(\.holder.owner) }
        #expect(holders == [[], ["alice"], []], "free, held by alice, free again")
        guard case .success(.inspected(let inspection))? = cluster.ask(.inspect(key("acme/contacts/77"))) else {
            throw TestFailure("inspect failed")
        }
        #expect(keyStates(cluster).last == inspection)
    }

    @Test("A lock on an ancestor changes a watched key; a prefix watch sees the keys under it")
    func overlappingKeysAndPrefixes() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let alice = try cluster.openSession(owner: "alice")
        _ = try acquire(cluster, alice, "acme/contacts/1")
        let watch = Subscription(keys: [key("acme/contacts/77")], prefixes: [key("acme/contacts")])
        #expect(subscribed(cluster.ask(.subscribe(watch))))
        #expect(keyStates(cluster).map(\.key.string) == ["acme/contacts/77", "acme/contacts/1"])
        cluster.environment.events = []
        _ = try acquire(cluster, alice, "acme/contacts/2", sequence: 2)
        _ = try acquire(cluster, alice, "acme/deals", sequence: 3)
        let seen = Set(keyStates(cluster).map(\.key.string))
        #expect(seen.contains("acme/contacts/2"), "a key under the watched prefix")
        #expect(!seen.contains("acme/deals"), "nothing outside it")
    }

    @Test("Queue positions are sent as they change")
    func queuePositions() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let alice = try cluster.openSession(owner: "alice")
        let bob = try cluster.openSession(owner: "bob")
        let carol = try cluster.openSession(owner: "carol")
        let fence = try acquire(cluster, alice, "acme/x")
        #expect(subscribed(cluster.ask(.subscribe(Subscription(sessions: [carol])))))
        let wait = { (session: SessionID) in
            ClientOperation.acquire(
                RequestID(session: session, sequence: 1),
                Acquisition(key: key("acme/x"), mode: .exclusive, waitMilliseconds: 60_000, note: ""))
        }
        cluster.send(wait(bob))
        cluster.send(wait(carol))
        cluster.settle()
        #expect(positions(cluster) == [2])
        _ = cluster.ask(.release(RequestID(session: alice, sequence: 2), key: key("acme/x"), fence: fence))
        #expect(positions(cluster) == [2, 1], "bob was granted: carol is next")
    }

    @Test("A resumed subscription replays the losses after its index, or resyncs once they are gone")
    func resumeAndResync() throws {
        let cluster = try SingleNodeCluster { $0.lossRingCapacity = 2 }
        cluster.elect()
        let alice = try cluster.openSession(owner: "alice")
        let admin = try cluster.openSession(owner: "ops")
        let first = try acquire(cluster, alice, "acme/1")
        let seen = cluster.node.appliedIndex.rawValue
        _ = try acquire(cluster, alice, "acme/2", sequence: 2)
        _ = cluster.ask(.forceUnlock(RequestID(session: admin, sequence: 1), key: key("acme/2"), reason: "r"))
        let client = ClientID(5)
        _ = cluster.ask(.subscribe(Subscription(sessions: [alice], after: seen)), from: client)
        let replayed = cluster.environment.events.filter { $0.client == client }.map(\.event.body)
        guard case .lockLost(let lostKey, _, .forceUnlocked)? = replayed.first, replayed.count == 1 else {
            throw TestFailure("expected one replayed loss, got \(replayed)")
        }
        #expect(lostKey == key("acme/2"))
        for sequence in UInt64(2)...3 {
            let name = "acme/f\(sequence)"
            _ = try acquire(cluster, alice, name, sequence: sequence + 1)
            _ = cluster.ask(.forceUnlock(RequestID(session: admin, sequence: sequence), key: key(name), reason: "r"))
        }
        let late = ClientID(6)
        _ = cluster.ask(.subscribe(Subscription(sessions: [alice], after: seen)), from: late)
        let resync = cluster.environment.events.filter { $0.client == late }.map(\.event.body)
        #expect(resync == [.resync(session: alice, isOpen: true, fences: [first])])
    }

    @Test("Watches past the per-connection limit are refused, naming the limit")
    func watchLimit() throws {
        let cluster = try SingleNodeCluster { $0.watchesPerConnectionMax = 2 }
        cluster.elect()
        #expect(subscribed(cluster.ask(.subscribe(Subscription(keys: [key("acme/1"), key("acme/2")])))))
        let refused = cluster.ask(.subscribe(Subscription(keys: [key("acme/3")])))
        guard case .failure(.overloaded(let reason))? = refused else {
            throw TestFailure("got \(String(describing: refused))")
        }
        #expect(reason.contains("watches-per-connection"))
        #expect(subscribed(cluster.ask(.subscribe(Subscription(keys: [key("acme/1")])))), "a key already watched")
    }

    @Test("A closed connection's subscription is forgotten")
    func disconnectForgets() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let alice = try cluster.openSession(owner: "alice")
        #expect(subscribed(cluster.ask(.subscribe(Subscription(keys: [key("acme/1")])))))
        cluster.node.clientDisconnected(cluster.client)
        cluster.environment.events = []
        _ = try acquire(cluster, alice, "acme/1")
        #expect(cluster.environment.events.isEmpty)
    }

    @Test("Subscribing for a session that has ended says so at once")
    func endedSessionIsResynced() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let alice = try cluster.openSession(owner: "alice")
        _ = cluster.ask(.closeSession(RequestID(session: alice, sequence: 1)))
        #expect(subscribed(cluster.ask(.subscribe(Subscription(sessions: [alice])))))
        #expect(cluster.environment.events.map(\.event.body) == [.resync(session: alice, isOpen: false, fences: [])])
    }

    // MARK: - Helpers

    private func acquire(
        _ cluster: SingleNodeCluster, _ session: SessionID, _ name: String, sequence: UInt64 = 1
    )
        throws -> FenceToken
    {
        let answer = cluster.ask(
            .acquire(
                RequestID(session: session, sequence: sequence),
                Acquisition(key: key(name), mode: .exclusive, waitMilliseconds: 0, note: "")))
        guard case .success(.granted(let holder))? = answer else {
            throw TestFailure("no grant: \(String(describing: answer))")
        }
        return holder.fence
    }

    private func subscribed(_ answer: Result<ClientResult, ClientFailure>?) -> Bool {
        if case .success(.subscribed)? = answer { true } else { false }
    }

    private func lostEvents(_ cluster: SingleNodeCluster) -> [(client: ClientID, event: ClientEvent)] {
        cluster.environment.events.filter { if case .lockLost = $0.event.body { true } else { false } }
    }

    private func keyStates(_ cluster: SingleNodeCluster) -> [PadlockTypes.KeyInspection] {
        cluster.environment.events.compactMap { if case .keyState(let state) = $0.event.body { state } else { nil } }
    }

    private func positions(_ cluster: SingleNodeCluster) -> [UInt64] {
        cluster.environment.events.compactMap {
            if case .waiterPosition(_, _, let position) = $0.event.body { position } else { nil }
        }
    }
}

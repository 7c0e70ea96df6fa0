import FaultProxy
import Foundation
import GRDB
import PadlockClient
import PadlockSQLite
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The client library against real three-node clusters with a fault-injecting proxy in front of every node:
/// lost answers, black holes, leader kills in the middle of calls, a holder cut off past its lease, every
/// error code of `docs/client.md`, and a thousand tasks sharing one client.
@Suite(.serialized) struct ClientFaultTests {
    @Test("A request whose answer was lost is retried and applied exactly once: one grant, the same fence")
    func lostAnswerAppliesOnce() async throws {
        try await withProxiedCluster { proxied in
            let alice = try await proxied.client(
                owner: "alice@frontend-2", configuration: .faultTests(ttl: .seconds(30)))
            // Opens the session and finds the leader, so the acquire below goes straight to it.
            try await alice.acquire("acme/warm-up").release()
            let leader = try await proxied.leader(using: alice)
            let proxy = proxied.proxy(leader)
            await proxy.setFault(.cutAfterNextRequest)
            let lock = try await alice.acquire("acme/contacts/42", note: "editing phone")
            #expect(proxy.counters.cuts == 1, "the acquire's answer was lost, so the lock came from a retry")

            let inspection = try await alice.inspect("acme/contacts/42")
            #expect(inspection.holders.map(\.holder.fence) == [lock.fence], "one holder, with the fence answered")
            #expect(inspection.holders.first?.holder.session == lock.holder.session)
            let resolution = try await alice.resolve(lock.requestID)
            #expect(resolution == .granted(lock.holder), "the cluster kept one answer for the request: \(resolution)")
            let bob = try await proxied.client(owner: "bob@frontend-1")
            let refusal = await #expect(throws: PadlockError.self) { try await bob.acquire("acme/contacts/42") }
            #expect(
                refusal?.code == .held(by: [lock.holder]),
                "another client sees the one holder: \(String(describing: refusal))")
            try await lock.release()
            #expect(try await alice.inspect("acme/contacts/42").holders.isEmpty, "released: no second grant was left")
            await bob.close()
            await alice.close()
        }
    }

    @Test("Black-holed past the deadline, calls end outcomeUnknown; after healing, resolve tells what happened")
    func blackHoleEndsInOutcomeUnknownAndResolveTellsTheTruth() async throws {
        try await withProxiedCluster { proxied in
            // A long TTL: the session must outlive both black holes and the resolves however slow a loaded
            // machine makes them; an expired session rightly resolves as answerNotKept, not notApplied.
            let configuration = PadlockClient.Configuration.faultTests(
                ttl: .seconds(120), callDeadline: .seconds(2), attemptTimeout: .milliseconds(500))
            let alice = try await proxied.client(owner: "alice@frontend-2", configuration: configuration)
            try await alice.acquire("acme/warm-up").release()
            _ = try await proxied.leader(using: alice)

            // Answers vanish: the acquire reaches the leader and is granted, the client never hears it.
            await proxied.setFault(.blackHole(.toClient))
            let granted = try await expectOutcomeUnknown { try await alice.acquire("acme/contacts/1") }
            await proxied.setFault(.pass)
            let first = try await alice.resolve(granted)
            guard case .grantedThenReleased(let holder) = first else {
                Issue.record("the grant nobody heard of is reported and released, got \(first)")
                return
            }
            #expect(holder.owner == "alice@frontend-2" && holder.fence.rawValue > 0)
            #expect(try await alice.inspect("acme/contacts/1").holders.isEmpty, "the late grant was not leaked")

            // Requests vanish: nothing reaches the cluster.
            await proxied.setFault(.blackHole(.toUpstream))
            let lost = try await expectOutcomeUnknown { try await alice.acquire("acme/contacts/2") }
            await proxied.setFault(.pass)
            let second = try await alice.resolve(lost)
            #expect(second == .notApplied, "a request that never arrived is reported not applied: \(second)")
            #expect(try await alice.inspect("acme/contacts/2").holders.isEmpty)
            let retaken = try await alice.acquire("acme/contacts/2")
            try await retaken.release()
            await alice.close()
        }
    }

    /// Sets a one-way black hole toward the client on the leader's proxy, starts `call`, waits until it (or a
    /// renewal) has reached the leader, kills the leader with SIGKILL and heals the proxy: the call is in the
    /// middle of being answered when its node dies.
    private func killLeader<Value: Sendable>(
        _ proxied: ProxiedCluster, _ leader: Int, during call: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let proxy = proxied.proxy(leader)
        await proxy.setFault(.blackHole(.toClient))
        let before = proxy.counters.bytesToUpstream
        let task = Task { try await call() }
        #expect(
            await waitUntil(seconds: 10) { proxy.counters.bytesToUpstream > before }, "the request reached the leader")
        let killedAt = ContinuousClock.now
        proxied.cluster.signal(leader, SIGKILL)
        #expect(proxied.cluster.waitForExit(leader))
        await proxy.setFault(.pass)
        let value = try await task.value
        print("leader kill: node \(leader) killed mid-call; the call completed \(ContinuousClock.now - killedAt) later")
        return value
    }

    @Test("Leader killed in the middle of an acquire: the acquire completes after failover with one grant")
    func leaderKilledDuringAcquire() async throws {
        try await withProxiedCluster { proxied in
            let alice = try await proxied.client(
                owner: "alice@frontend-2", configuration: .faultTests(ttl: .seconds(30)))
            try await alice.acquire("acme/warm-up").release()
            let leader = try await proxied.leader(using: alice)
            let lock = try await killLeader(proxied, leader) {
                try await alice.acquire("acme/contacts/7", note: "editing during failover")
            }
            let newLeader = try await proxied.leader(using: alice)
            #expect(newLeader != leader)
            let holders = try await alice.inspect("acme/contacts/7").holders.map(\.holder)
            #expect(holders == [lock.holder], "one holder, the one the acquire answered, on the new leader")
            #expect(lock.state == .safe)
            try await lock.release()
            #expect(try await alice.inspect("acme/contacts/7").holders.isEmpty)
            await alice.close()
        }
    }

    @Test("Leader killed in the middle of a release: the release completes after failover and really released")
    func leaderKilledDuringRelease() async throws {
        try await withProxiedCluster { proxied in
            let alice = try await proxied.client(
                owner: "alice@frontend-2", configuration: .faultTests(ttl: .seconds(30)))
            let lock = try await alice.acquire("acme/contacts/8", note: "editing")
            let leader = try await proxied.leader(using: alice)
            try await killLeader(proxied, leader) { try await lock.release() }
            #expect(lock.state == .released)
            #expect(try await alice.inspect("acme/contacts/8").holders.isEmpty, "the new leader has it released")
            // A clean release starts no lock-delay: another owner gets the key at once, with a higher fence.
            let bob = try await proxied.client(owner: "bob@frontend-1")
            let next = try await bob.acquire("acme/contacts/8")
            #expect(next.fence > lock.fence)
            try await next.release()
            await bob.close()
            await alice.close()
        }
    }

    @Test("Leader killed in the middle of a renewal: the renewal completes after failover before the lease lapses")
    func leaderKilledDuringRenewal() async throws {
        try await withProxiedCluster { proxied in
            // TTL 10 s: renewals every 3.3 s, at risk 3.3 s before the deadline of sent + 9.45 s.
            let alice = try await proxied.client(
                owner: "alice@frontend-2", configuration: .faultTests(ttl: .seconds(10)))
            let lock = try await alice.acquire("acme/contacts/9", note: "long edit")
            let log = StateLog(lock)
            let leader = try await proxied.leader(using: alice)
            // No call runs, so the next bytes to reach the leader are the session's renewal.
            let renewalSeen = try await killLeader(proxied, leader) { ContinuousClock.now }
            // The renewal just sent came one interval after the last acknowledged one, so without a newer
            // acknowledgement the lock would be at risk 2.8 s after it. Safe after that proves a renewal went
            // through the new leader.
            let proved = await waitUntil(seconds: 12) {
                ContinuousClock.now > renewalSeen + .milliseconds(3_200) && lock.state == .safe
            }
            #expect(proved, "a renewal was acknowledged after the failover; states: \(log.states)")
            #expect(!log.states.contains(.lost), "the lease never lapsed: \(log.states)")
            let holders = try await alice.inspect("acme/contacts/9").holders.map(\.holder)
            #expect(holders == [lock.holder], "the new leader keeps the lock")
            try await lock.release()
            await alice.close()
        }
    }

    @Test(
        "A holder cut off past its lease sees atRisk then lost before the key goes to another, whose higher fence the store then enforces"
    )
    func holderCutOffLosesTheLockBeforeAnyoneElseGetsIt() async throws {
        // No lock-delay, so the other client is granted the key the moment the cluster expires the holder:
        // what keeps the two apart is the cluster never expiring a lease before the holder's own deadline.
        try await withProxiedCluster(settings: "[lock-delay]\ndefault = \"0s\"") { proxied in
            let alice = try await proxied.client(
                owner: "alice@frontend-2", configuration: .faultTests(ttl: .seconds(3)))
            let stale = try await alice.acquire("acme/contacts/42", note: "editing phone")
            let log = StateLog(stale)
            let leader = try await proxied.leader(using: alice)
            let bob = try await proxied.directClient(to: leader, owner: "bob@frontend-1")

            let records = try FencedRecords(table: "contacts")
            let database = try DatabaseQueue(path: proxied.cluster.directory.appendingPathComponent("crm.sqlite").path)
            try await database.write { db in
                try db.execute(sql: "CREATE TABLE contacts (key TEXT PRIMARY KEY, fence INTEGER, phone TEXT)")
                try db.execute(sql: "INSERT INTO contacts (key, phone) VALUES ('42', '+41 44 000 00 00')")
            }
            let first = try await database.write { db in
                try records.update(db, key: "42", fence: stale.fence, set: ["phone": "+41 44 111 11 11"])
            }
            #expect(first == .applied)

            let waiting = Task { () throws -> (Lock, ContinuousClock.Instant) in
                let lock = try await bob.acquire("acme/contacts/42", wait: .seconds(30), note: "editing e-mail")
                return (lock, ContinuousClock.now)
            }
            #expect(
                await waitUntil(seconds: 10) { ((try? await bob.inspect("acme/contacts/42"))?.waiters.count ?? 0) == 1 }
            )
            await proxied.setFault(.blackHole(.both))
            let (successor, grantedAt) = try await waiting.value

            let lostAt = try #require(
                log.firstTime(of: .lost), "the cut-off holder learned it lost the lock: \(log.states)")
            let atRiskAt = try #require(log.firstTime(of: .atRisk), "it was warned first: \(log.states)")
            #expect(atRiskAt < lostAt && lostAt < grantedAt, "atRisk, then lost, then the grant to bob")
            print("cut-off holder: lost \(grantedAt - lostAt) before the key was granted to another client")
            #expect(successor.fence > stale.fence)

            let successorWrite = try await database.write { db in
                try records.update(db, key: "42", fence: successor.fence, set: ["phone": "+41 44 222 22 22"])
            }
            #expect(successorWrite == .applied)
            let staleWrite = try await database.write { db in
                try records.update(db, key: "42", fence: stale.fence, set: ["phone": "+41 44 999 99 99"])
            }
            #expect(staleWrite == .rejected(stored: successor.fence), "the store refuses the stale holder's write")
            let phone = try await database.read { db in
                try String.fetchOne(db, sql: "SELECT phone FROM contacts WHERE key = '42'")
            }
            #expect(phone == "+41 44 222 22 22")

            let audit = try await bob.audit()
            #expect(audit.records.contains { $0.action == .sessionExpired && $0.previousHolder?.fence == stale.fence })
            // The message says why: the lease ran out on the holder's own clock (`Lock.lossReason`).
            await #expect(
                throws: PadlockError(
                    .lockLost,
                    "the lock on acme/contacts/42 was lost (\(stale.fence)) before it was released: "
                        + "no renewal was acknowledged before the lease's deadline")
            ) {
                try await stale.release()
            }
            #expect(stale.lossReason == .leaseRanOut)
            await proxied.setFault(.pass)
            try await successor.release()
            await bob.close()
            await alice.close()
        }
    }

    @Test("Every error code a real cluster can produce comes with the meaning docs/client.md gives it")
    func everyErrorCodeMatchesTheTable() async throws {
        try await withProxiedCluster { proxied in
            // Long TTLs: no renewal lands between a revocation and the release that learns of it.
            let alice = try await proxied.client(
                owner: "alice@frontend-2", configuration: .faultTests(ttl: .seconds(30)))
            let bob = try await proxied.client(owner: "bob@frontend-1", configuration: .faultTests(ttl: .seconds(30)))

            // invalidArgument: bad input, refused before anything is sent…
            let badKey = await #expect(throws: PadlockError.self) { try await alice.acquire("acme//42") }
            #expect(badKey?.code == .invalidArgument && badKey?.message.contains("is not a valid key") == true)
            // …and a handshake the cluster refuses (another cluster's id): a configuration error.
            let clusterID = try #require(
                UInt64(proxied.cluster.log("cluster-id").trimmingCharacters(in: .whitespacesAndNewlines)))
            let wrongCluster = await #expect(throws: PadlockError.self) {
                _ = try await PadlockClient(
                    endpoints: proxied.endpoints, owner: "eve@elsewhere", cluster: clusterID &+ 1)
            }
            #expect(wrongCluster?.code == .invalidArgument)
            #expect(
                wrongCluster?.message.contains("refused the handshake (wrong cluster)") == true,
                "\(String(describing: wrongCluster))")

            // held(by:): a try-lock, and a wait that runs out, both name the holder with its details.
            let lock = try await alice.acquire("acme/contacts/42", note: "editing phone")
            for wait in [Duration.zero, .milliseconds(300)] {
                let held = await #expect(throws: PadlockError.self) {
                    try await bob.acquire("acme/contacts/42", wait: wait)
                }
                #expect(held?.code == .held(by: [lock.holder]), "wait \(wait): \(String(describing: held))")
                let message = held?.message ?? ""
                #expect(
                    message.contains("alice@frontend-2") && message.contains("editing phone")
                        && message.contains("since"))
            }

            // lockLost: released by force behind the holder's back; its release says so.
            #expect(try await bob.forceUnlock("acme/contacts/42", reason: "stuck edit") == [lock.holder])
            let lost = await #expect(throws: PadlockError.self) { try await lock.release() }
            // The notice usually arrives first ("force-unlocked by …: stuck edit"); when the release overtakes it,
            // the cluster's answer says the same in general terms ("… released by force").
            #expect(lost?.code == .lockLost && lost?.message.contains("force") == true, "\(String(describing: lost))")

            // unavailable: the key is free but inside its lock-delay (nothing was applied)…
            let delayed = await #expect(throws: PadlockError.self) { try await bob.acquire("acme/contacts/42") }
            #expect(
                delayed?.code == .unavailable && delayed?.message.contains("lock-delay") == true,
                "\(String(describing: delayed))")
            // …with when it is free again: as a Duration and in words, never as a leader-clock tick count.
            let retryAfter = delayed?.retryAfter ?? .zero
            #expect(retryAfter > .zero && retryAfter <= .milliseconds(5_100), "\(String(describing: delayed))")
            #expect(delayed?.message.contains("free again in") == true, "\(String(describing: delayed))")
            #expect(delayed?.message.firstMatch(of: /t\d{6,}ms/) == nil, "\(String(describing: delayed))")
            // …and no node can be reached before the deadline.
            try await expectUnavailableWhenEveryNodeResets(proxied)

            // sessionExpired: the session was revoked; its release and a second revocation say so.
            let revoked = try await alice.acquire("acme/contacts/43")
            try await bob.revokeSession(revoked.holder.session, reason: "log the user out")
            let ended = await #expect(throws: PadlockError.self) { try await revoked.release() }
            // The revocation's notice usually arrives first (lockLost, naming who revoked it and why); when the
            // release overtakes it, the cluster answers that the session has ended.
            let told = ended?.code == .lockLost && ended?.message.contains("session revoked by") == true
            let answered =
                ended?.code == .sessionExpired && ended?.message.contains("has ended (expired or revoked)") == true
            #expect(told || answered, "\(String(describing: ended))")
            let again = await #expect(throws: PadlockError.self) {
                try await bob.revokeSession(revoked.holder.session, reason: "log the user out")
            }
            #expect(
                again?.code == .sessionExpired && again?.message.contains("has already ended") == true,
                "\(String(describing: again))")
            #expect(revoked.state == .lost)

            // cancelled: a waiting acquire whose task is cancelled, whose wait the library then withdraws…
            let blocker = try await alice.acquire("acme/contacts/44")
            let waiting = Task { try await bob.acquire("acme/contacts/44", wait: .seconds(30)) }
            #expect(
                await waitUntil(seconds: 10) {
                    ((try? await alice.inspect("acme/contacts/44"))?.waiters.count ?? 0) == 1
                })
            waiting.cancel()
            let cancelled = await #expect(throws: PadlockError.self) { try await waiting.value }
            #expect(cancelled?.code == .cancelled && cancelled?.message.contains("cancelled") == true)
            #expect(
                await waitUntil(seconds: 10) { (try? await alice.inspect("acme/contacts/44"))?.waiters.isEmpty == true }
            )
            try await blocker.release()
            #expect(try await alice.inspect("acme/contacts/44").holders.isEmpty, "the withdrawn wait was never granted")
            // …and any call on a closed client.
            await bob.close()
            let closed = await #expect(throws: PadlockError.self) { try await bob.acquire("acme/contacts/45") }
            #expect(closed?.code == .cancelled && closed?.message.contains("is closed") == true)
            // outcomeUnknown: blackHoleEndsInOutcomeUnknownAndResolveTellsTheTruth. permissionDenied: the
            // cluster does not check credentials yet, so no real-cluster test can produce it.
            await alice.close()
        }
    }

    /// Resets every connection through the proxies: a client that cannot reach any node answers `unavailable`
    /// at its deadline, because nothing was sent.
    private func expectUnavailableWhenEveryNodeResets(_ proxied: ProxiedCluster) async throws {
        let carol = try await proxied.client(
            owner: "carol@frontend-3", configuration: .faultTests(callDeadline: .milliseconds(1500)))
        await proxied.setFault(.reset)
        // Let the client see its connections reset before it tries, so the acquire is never sent on one.
        #expect(await waitUntil(seconds: 5) { proxied.proxies.allSatisfy { $0.counters.connectionsOpen == 0 } })
        try await Task.sleep(for: .milliseconds(100))
        let unreachable = await #expect(throws: PadlockError.self) { try await carol.acquire("acme/contacts/46") }
        #expect(unreachable?.code == .unavailable, "\(String(describing: unreachable))")
        #expect(unreachable?.message.contains("before the deadline") == true)
        #expect(proxied.proxies.reduce(0) { $0 + $1.counters.connectionsReset } > 0, "the client kept trying")
        await proxied.setFault(.pass)
        await carol.close()
    }

    @Test("A thousand tasks sharing one client keep fences and releases straight")
    func thousandTasksShareOneClient() async throws {
        let cluster = try LocalCluster()
        defer { cluster.stop() }
        // A session per task: with the default 32, the 400 queued acquires keep every session busy and the
        // try-locks starve waiting for one.
        // Leases and deadlines of minutes: the test is about fences and releases, and on a starved machine (a
        // load average of 15 once let a 30 s lease lapse while the cluster served 1,000 sessions on a tenth of
        // a core) a loss reported honestly would still fail it. The client no longer resends attempts to a busy
        // leader (BusyNodeTests), which made that starvation worse.
        var loadConfiguration = PadlockClient.Configuration.faultTests(ttl: .seconds(300), callDeadline: .seconds(300))
        loadConfiguration.maximumConcurrentSessions = 1_024
        let client = try await PadlockClient(
            endpoints: cluster.endpoints, owner: "load@it", configuration: loadConfiguration)
        let book = Shared(LoadBook())
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<1_000 {
                group.addTask {
                    // 600 tasks take keys of their own; 400 contend for 8 hot keys, 50 each, waiting in line.
                    let hot = task >= 600
                    let key = hot ? "load/hot/\(task % 8)" : "load/own/\(task)"
                    let lock = try await client.acquire(key, wait: hot ? .seconds(300) : .zero, note: "task \(task)")
                    book.with { $0.granted(key, lock.fence) }
                    await Task.yield()
                    book.with { $0.releasing(key) }
                    try await lock.release()
                }
            }
            try await group.waitForAll()
        }
        let final = book.with { $0 }
        #expect(final.grants == 1_000)
        #expect(final.overlaps.isEmpty, "two holders of one key at once: \(final.overlaps)")
        #expect(Set(final.fences).count == 1_000, "every grant has a fence of its own")
        for hot in 0..<8 {
            let fences = final.fencesByKey["load/hot/\(hot)"] ?? []
            #expect(fences.count == 50)
            #expect(
                zip(fences, fences.dropFirst()).allSatisfy { $0 < $1 }, "hot key \(hot): fences rise with every holder")
        }
        #expect(try await client.list(prefix: "load", limit: 1_000).isEmpty, "every lock was released")
        await client.close()
    }
    /// Runs `call`, which must fail `outcomeUnknown`; returns the request id it names.
    private func expectOutcomeUnknown(_ call: () async throws -> Lock) async throws -> RequestID {
        do {
            let lock = try await call()
            throw ClusterError("expected outcomeUnknown, got the lock \(lock)")
        } catch let error as PadlockError {
            guard case .outcomeUnknown(let id) = error.code else {
                throw ClusterError("expected outcomeUnknown, got \(error)")
            }
            #expect(error.message.contains("may have been applied") && error.message.contains("resolve("))
            return id
        }
    }
}

/// What the thousand tasks saw: every grant's fence, in grant order per key, and any moment two tasks held
/// one key at once.
private struct LoadBook: Sendable {
    var holding: Set<String> = []
    var fencesByKey: [String: [FenceToken]] = [:]
    var fences: [FenceToken] = []
    var overlaps: [String] = []
    var grants = 0

    mutating func granted(_ key: String, _ fence: FenceToken) {
        if !holding.insert(key).inserted { overlaps.append(key) }
        fencesByKey[key, default: []].append(fence)
        fences.append(fence)
        grants += 1
    }

    mutating func releasing(_ key: String) {
        holding.remove(key)
    }
}

/// A value shared among tasks, guarded by a mutex.
private final class Shared<Value: Sendable>: Sendable {
    private let state: Mutex<Value>
    init(_ value: Value) { state = Mutex(value) }
    func with<Result: Sendable>(_ body: (inout Value) -> Result) -> Result { state.withLock { body(&$0) } }
    var value: Value { state.withLock { $0 } }
}

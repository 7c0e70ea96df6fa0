import Foundation
import Testing
import Wire

@testable import PadlockClient

/// The client's side of issue 21 against the fake cluster's events: lock losses with their reason, the
/// subscription resumed after a lost connection or a leader change, resyncs, watch streams and queue
/// positions. Every wait is for a condition or a stream element, never a time window.
@Suite(.serialized) struct EventTests {
    /// Waits (generously) until the fake leader has `session` subscribed on some connection.
    private func subscribed(_ fake: FakeCluster, _ session: SessionID) async -> Bool {
        await eventually(within: .seconds(120)) {
            await fake.with { state in state.subscriptions.values.contains { $0.sessions.contains(session) } }
        }
    }

    @Test func aForceUnlockEndsTheHoldersLockAtOnceWithWhoAndWhy() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "alice@frontend-2") { alice in
                try await withClient(fake, owner: "admin") { admin in
                    let lock = try await alice.acquire("acme/contacts/60", note: "editing phone")
                    let states = lock.states
                    _ = try await admin.forceUnlock("acme/contacts/60", reason: "gave it to Bob")
                    var seen: [LeaseState] = []
                    // Alice's client never asks: only the event can end the stream.
                    for await state in states { seen.append(state) }
                    #expect(seen.last == .lost)
                    let reason = LockLossReason.cluster(
                        .forceUnlocked(by: FakeTable.administrator, reason: "gave it to Bob"))
                    #expect(lock.lossReason == reason)
                    let error = await padlockError { try await lock.release() }
                    #expect(error?.code == .lockLost)
                    #expect(error?.message.contains("gave it to Bob") == true, "\(String(describing: error))")
                }
            }
        }
    }

    /// Regression (ClientFaultTests on a real cluster): the notice reached the core after `Lock.release` had
    /// looked at the lock's state, and the core's release then said "the lock's session has ended".
    @Test func aReleaseThatMeetsAJustEndedLockReportsTheNoticeNotAnEndedSession() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "alice@frontend-2") { alice in
                try await withClient(fake, owner: "admin") { admin in
                    let lock = try await alice.acquire("acme/contacts/61")
                    let states = lock.states
                    _ = try await admin.forceUnlock("acme/contacts/61", reason: "gave it to Bob")
                    for await _ in states {}
                    let handle = try #require(lock.client)
                    // The core's own release, as it runs when the notice overtook `Lock.release`'s check.
                    let error = await padlockError {
                        try await handle.perform(cancellable: false) { core, ticket, completion in
                            core.release(lock, ticket: ticket, completion: completion)
                        }
                    }
                    #expect(error?.code == .lockLost)
                    #expect(error?.message.contains("gave it to Bob") == true, "\(String(describing: error))")
                    #expect(error?.message.contains("session has ended") == false, "\(String(describing: error))")
                }
            }
        }
    }

    @Test func aRevocationEndsEveryLockOfTheSessionWithWhoAndWhy() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "alice@frontend-2") { alice in
                try await withClient(fake, owner: "admin") { admin in
                    let first = try await alice.acquire("acme/contacts/58")
                    let second = try await alice.acquire("acme/contacts/59")
                    #expect(first.holder.session == second.holder.session, "one idle session serves both")
                    let states = second.states
                    try await admin.revokeSession(first.holder.session, reason: "signed out by support")
                    for await _ in states {}
                    let reason = LockLossReason.cluster(
                        .sessionRevoked(by: FakeTable.administrator, reason: "signed out by support"))
                    #expect(first.lossReason == reason)
                    #expect(second.lossReason == reason)
                    // Later calls open a new session.
                    let fresh = try await alice.acquire("acme/contacts/58")
                    #expect(fresh.holder.session != first.holder.session)
                    try await fresh.release()
                }
            }
        }
    }

    /// Regression (simulator seed 1279): a release applied before its session was revoked, whose answer was
    /// still on its way, was marked lost with the revocation; the release's own answer decides.
    @Test func aLockWhoseReleaseWasAppliedBeforeARevocationEndsReleasedNotRevoked() async throws {
        // The release's answer is held back longer than the revocation takes, well inside one attempt.
        var patient = testConfiguration
        patient.callDeadline = .seconds(120)
        patient.attemptTimeout = .seconds(60)
        try await withCluster { fake in
            try await withClient(fake, owner: "alice@frontend-2", configuration: patient) { alice in
                try await withClient(fake, owner: "admin") { admin in
                    let released = try await alice.acquire("acme/contacts/56")
                    let kept = try await alice.acquire("acme/contacts/57")
                    #expect(released.holder.session == kept.holder.session, "one idle session serves both")
                    await fake.script { _, request in request.operation.isRelease ? .delayAnswer(.seconds(8)) : .normal
                    }
                    let release = Task { try await released.release() }
                    let key = try LockKey("acme/contacts/56")
                    let applied = await eventually(within: .seconds(120)) {
                        await fake.with { $0.table.holders[key]?.isEmpty ?? true }
                    }
                    try #require(applied, "the release was not applied")
                    let states = kept.states
                    try await admin.revokeSession(kept.holder.session, reason: "signed out by support")
                    for await _ in states {}
                    #expect(kept.lossReason != nil)
                    // Its session's lease has ended, but no loss is pinned on it: the release's answer decides.
                    #expect(released.lossReason == nil, "the applied release's lock was taken as revoked")
                    try await release.value
                    #expect(released.state == .released)
                    #expect(released.lossReason == nil)
                }
            }
        }
    }

    @Test func aLockStaysHeldWithoutAnEventAndAnEventAboutAnotherFenceChangesNothing() async throws {
        try await withCluster { fake in
            var configuration = testConfiguration
            configuration.sessionTTL = .seconds(2)
            try await withClient(fake, configuration: configuration) { client in
                let lock = try await client.acquire("acme/contacts/61")
                #expect(await subscribed(fake, lock.holder.session))
                await fake.with { state in
                    var other = lock.holder
                    other.fence = FenceToken(lock.fence.rawValue + 1000)
                    for record in state.subscriptions.values {
                        record.send(state.table.nextIndex, .lockLost(key: lock.key, holder: other, loss: .expired))
                        let elsewhere = try! LockKey("acme/contacts/62")
                        record.send(
                            state.table.nextIndex,
                            .lockLost(key: elsewhere, holder: lock.holder, loss: .forceUnlocked(by: "x", reason: "y")))
                    }
                }
                // An inspect answered on the same connection comes after those events: they were handled.
                _ = try await client.inspect("acme/contacts/61")
                let renewals = await fake.with { $0.requests(\.isRenewal).count }
                #expect(
                    await eventually(within: .seconds(120)) {
                        await fake.with { $0.requests(\.isRenewal).count } > renewals + 1
                    })
                #expect(lock.state != .lost)
                #expect(lock.lossReason == nil)
                try await lock.release()
            }
        }
    }

    @Test func aLostConnectionResubscribesAfterTheLastIndexSeen() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "alice@frontend-2") { alice in
                try await withClient(fake, owner: "bob@frontend-3") { bob in
                    let lock = try await alice.acquire("acme/contacts/63")
                    var watch = alice.watch("acme/contacts/64").makeAsyncIterator()
                    #expect(try await watch.next()?.status == .free)
                    #expect(await subscribed(fake, lock.holder.session))
                    let other = try await bob.acquire("acme/contacts/64")
                    #expect(try await watch.next()?.status == .held)
                    let lastIndex = await fake.with { $0.table.nextIndex }
                    let before = await fake.with { $0.subscribeRequests.count }
                    await fake.with { $0.dropConnections() }
                    #expect(
                        await eventually(within: .seconds(120)) {
                            await fake.with { state in
                                state.subscribeRequests.dropFirst(before).contains {
                                    $0.subscription.sessions.contains(lock.holder.session)
                                }
                            }
                        })
                    let again = await fake.with { state in
                        state.subscribeRequests.dropFirst(before).first {
                            $0.subscription.sessions.contains(lock.holder.session)
                        }
                    }
                    #expect(again?.subscription.after == lastIndex, "\(String(describing: again))")
                    #expect(again?.subscription.keys.map(\.string) == ["acme/contacts/64"])
                    // The watch goes on over the new subscription.
                    try await other.release()
                    #expect(try await watch.next()?.status == .free)
                    #expect(lock.state != .lost)
                    try await lock.release()
                }
            }
        }
    }

    @Test func aResyncWithoutTheLocksFenceMarksItLostAndKeepsTheOthers() async throws {
        try await withCluster { fake in
            try await withClient(fake) { client in
                let first = try await client.acquire("acme/contacts/65")
                let second = try await client.acquire("acme/contacts/66")
                #expect(await subscribed(fake, first.holder.session))
                #expect(await subscribed(fake, second.holder.session))
                let states = first.states
                await fake.with { state in
                    // While the client is disconnected, an administrator frees the first key; the leader then
                    // no longer keeps that history and answers the resumed subscription with a resync.
                    state.dropConnections()
                    _ = state.table.forceUnlock(first.key)
                    state.lossesPublished = state.table.losses.count
                    state.keepsHistory = false
                }
                for await _ in states {}
                #expect(first.lossReason == .endedWithoutNotice)
                #expect(second.state != .lost)
                try await second.release()
            }
        }
    }

    @Test func aWatchYieldsTheCurrentStateThenEveryChange() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "alice@frontend-2") { alice in
                try await withClient(fake, owner: "bob@frontend-3") { bob in
                    var watch = alice.watch("acme/contacts/70").makeAsyncIterator()
                    let first = try await watch.next()
                    #expect(first?.status == .free && first?.holders.isEmpty == true, "\(String(describing: first))")
                    let lock = try await bob.acquire("acme/contacts/70/phone", note: "editing phone")
                    let held = try await watch.next()
                    #expect(held?.status == .held)
                    #expect(held?.holders.first?.holder.owner == "bob@frontend-3")
                    #expect(held?.holders.first?.holder.note == "editing phone")
                    #expect(held?.holders.first?.key.string == "acme/contacts/70/phone")
                    #expect(held?.description.contains("held by bob@frontend-3") == true)
                    #expect((held?.index ?? 0) > (first?.index ?? .max))
                    try await lock.release()
                    #expect(try await watch.next()?.status == .free)
                    #expect(await fake.with { $0.table.waiters.isEmpty }, "watching never queues")
                }
            }
        }
    }

    @Test func aSlowWatcherGetsTheLatestStateNotEveryOne() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "alice@frontend-2") { alice in
                try await withClient(fake, owner: "bob@frontend-3") { bob in
                    var watch = alice.watch("acme/contacts/71").makeAsyncIterator()
                    #expect(try await watch.next()?.status == .free)
                    let early = try await bob.acquire("acme/contacts/71")
                    try await early.release()
                    let late = try await bob.acquire("acme/contacts/71", note: "second time")
                    // Answered on the connection the events came on: every state was handed over before it.
                    _ = try await alice.inspect("acme/contacts/71")
                    let next = try await watch.next()
                    #expect(next?.holders.map(\.holder.fence) == [late.fence], "\(String(describing: next))")
                    try await late.release()
                }
            }
        }
    }

    @Test func aWatchSurvivesALeaderChangeAndShowsWhatChangedMeanwhile() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "alice@frontend-2") { alice in
                try await withClient(fake, owner: "bob@frontend-3") { bob in
                    _ = try await bob.acquire("acme/contacts/72")
                    var watch = alice.watch("acme/contacts/72").makeAsyncIterator()
                    #expect(try await watch.next()?.status == .held)
                    await fake.with { state in
                        state.stepDown(to: 1)
                        // Freed while nobody is subscribed: only the resubscription can tell.
                        _ = state.table.forceUnlock(try! LockKey("acme/contacts/72"))
                        state.lossesPublished = state.table.losses.count
                    }
                    #expect(try await watch.next()?.status == .free)
                    #expect(await fake.with { $0.subscribeRequests.last?.node } == 1)
                }
            }
        }
    }

    @Test func aLockDelayedKeyTurnsFreeOnceTheDelayIsOver() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "alice@frontend-2") { alice in
                try await withClient(fake, owner: "bob@frontend-3") { bob in
                    _ = try await bob.acquire("acme/contacts/73")
                    var watch = alice.watch("acme/contacts/73").makeAsyncIterator()
                    #expect(try await watch.next()?.status == .held)
                    await fake.with { state in
                        let key = try! LockKey("acme/contacts/73")
                        _ = state.table.forceUnlock(key)
                        let now = UInt64(Date().timeIntervalSince1970 * 1000)
                        state.table.lockDelays[key] = Timestamp(millisecondsSinceEpoch: now + 400)
                        state.publishEvents()
                    }
                    let delayed = try await watch.next()
                    guard case .lockDelayed? = delayed?.status else {
                        Issue.record("expected lock-delayed, got \(String(describing: delayed))")
                        return
                    }
                    #expect(delayed?.description.contains("free again in") == true)
                    // No entry ends a lock-delay: the client re-reads the key by itself.
                    #expect(try await watch.next()?.status == .free)
                }
            }
        }
    }

    @Test func aPrefixWatchYieldsEachBusyKeyThenItsChanges() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "alice@frontend-2") { alice in
                try await withClient(fake, owner: "bob@frontend-3") { bob in
                    let lock = try await bob.acquire("acme/deals/5")
                    var watch = alice.watch(prefix: "acme/deals").makeAsyncIterator()
                    let first = try await watch.next()
                    #expect(first?.key.string == "acme/deals/5" && first?.status == .held)
                    let other = try await bob.acquire("acme/deals/6")
                    let second = try await watch.next()
                    #expect(second?.key.string == "acme/deals/6" && second?.status == .held)
                    try await lock.release()
                    let freed = try await watch.next()
                    #expect(freed?.key.string == "acme/deals/5" && freed?.status == .free)
                    try await other.release()
                }
            }
        }
    }

    @Test func watchesPastTheLimitAndBadKeysEndWithATypedError() async throws {
        try await withCluster { fake in
            var configuration = testConfiguration
            configuration.maximumWatches = 1
            try await withClient(fake, configuration: configuration) { client in
                var first = client.watch("acme/contacts/74").makeAsyncIterator()
                let state = try await first.next()
                #expect(state?.status == .free)
                let second = await padlockError { for try await _ in client.watch("acme/contacts/75") {} }
                #expect(second?.code == .unavailable)
                #expect(second?.message.contains("maximumWatches") == true)
                let bad = await padlockError { for try await _ in client.watch(prefix: "acme//x") {} }
                #expect(bad?.code == .invalidArgument)
            }
        }
    }

    @Test func aQueuedAcquireIsToldItsPositionAsItMoves() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "alice@frontend-2") { alice in
                try await withClient(fake, owner: "carol@frontend-4") { carol in
                    try await withClient(fake, owner: "bob@frontend-3") { bob in
                        let held = try await alice.acquire("acme/contacts/80")
                        let carolWaits = Task { try await carol.acquire("acme/contacts/80", wait: .seconds(120)) }
                        #expect(
                            await eventually(within: .seconds(120)) { await fake.with { $0.table.waiters.count } == 1 })
                        let positions = Shared<[Int]>([])
                        async let granted = bob.acquire(
                            "acme/contacts/80", wait: .seconds(120),
                            onQueuePosition: { position in positions.with { $0.append(position) } })
                        #expect(await eventually(within: .seconds(120)) { positions.value == [2] })
                        carolWaits.cancel()
                        #expect(await eventually(within: .seconds(120)) { positions.value == [2, 1] })
                        // A resubscription repeats the position; it is told once.
                        await fake.with { $0.dropConnections() }
                        #expect(
                            await eventually(within: .seconds(120)) {
                                await fake.with { state in
                                    state.subscriptions.values.contains { $0.lastPositions.values.contains(1) }
                                }
                            })
                        _ = try await bob.inspect("acme/contacts/80")
                        try await held.release()
                        let lock = try await granted
                        #expect(positions.value == [2, 1])
                        try await lock.release()
                    }
                }
            }
        }
    }

    @Test func withLockCancelsItsBodyWhenTheLockIsLostAndThrowsLockLost() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "alice@frontend-2") { alice in
                try await withClient(fake, owner: "admin") { admin in
                    let bodyCancelled = Shared(false)
                    let error = await padlockError {
                        try await alice.withLock("acme/contacts/81") { lock in
                            _ = try await admin.forceUnlock("acme/contacts/81", reason: "taken back")
                            // Sleeps until cancelled by the loss (or for ten minutes, failing the test).
                            do { try await Task.sleep(for: .seconds(600)) } catch { bodyCancelled.with { $0 = true } }
                        }
                    }
                    #expect(bodyCancelled.value)
                    #expect(error?.code == .lockLost)
                    #expect(error?.message.contains("taken back") == true, "\(String(describing: error))")
                }
            }
        }
    }
}

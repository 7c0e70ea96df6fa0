import PadlockClient
import Testing
import Wire

/// Issue 19, item 0: one client serves many owners; each owner's locks share its sessions; `releaseAll(owner:)`.
@Suite(.serialized) struct OwnerTests {
    /// Sessions the client asked to open for `owner` (distinct nonces: a retried open is one session).
    static func opens(of owner: String, _ fake: FakeCluster) async -> Int {
        await fake.with { state in
            Set(
                state.requests { _ in true }.compactMap { received -> UInt64? in
                    guard case .openSession(let opener, let nonce, _) = received.request.operation, opener == owner
                    else { return nil }
                    return nonce
                }
            ).count
        }
    }

    @Test func eachCallsOwnerHoldsItsLocksOnItsOwnSessions() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "crm-server@frontend-2") { client in
                let bobRecord = try await client.acquire("acme/contacts/1", owner: "bob@frontend-2", note: "editing")
                let carolRecord = try await client.acquire("acme/contacts/2", owner: "carol@frontend-2")
                let bobOther = try await client.acquire("acme/contacts/3", owner: "bob@frontend-2")
                let server = try await client.acquire("acme/contacts/4")
                #expect(bobRecord.holder.owner == "bob@frontend-2" && carolRecord.holder.owner == "carol@frontend-2")
                #expect(server.holder.owner == "crm-server@frontend-2", "no owner: the client's default")
                #expect(bobOther.holder.session == bobRecord.holder.session, "one owner's locks share a session")
                #expect(carolRecord.holder.session != bobRecord.holder.session)
                #expect(await Self.opens(of: "bob@frontend-2", fake) == 1)

                let scoped = try await client.withLock("acme/contacts/5", owner: "carol@frontend-2") { lock in
                    lock.holder.owner
                }
                #expect(scoped == "carol@frontend-2")

                let empty = await padlockError { _ = try await client.acquire("acme/contacts/6", owner: "") }
                #expect(empty?.code == .invalidArgument)
                for lock in [bobRecord, carolRecord, bobOther, server] { try await lock.release() }
            }
        }
    }

    @Test func anotherOwnersLockOnTheSameClientIsNotTheCallersOwn() async throws {
        try await withCluster { fake in
            try await withClient(fake) { client in
                let field = try await client.acquire("acme/contacts/42/phone", owner: "bob@frontend-2")
                let bobs = await padlockError {
                    _ = try await client.acquire("acme/contacts/42", owner: "bob@frontend-2")
                }
                #expect(bobs?.conflicts.first?.isOwn == true, "\(String(describing: bobs))")
                let carols = await padlockError {
                    _ = try await client.acquire("acme/contacts/42", owner: "carol@frontend-2")
                }
                #expect(carols?.conflicts.first?.isOwn == false, "\(String(describing: carols))")
                #expect(carols?.message.contains("bob@frontend-2 (exclusive") == true, "\(String(describing: carols))")
                try await field.release()
            }
        }
    }

    @Test func releaseAllEndsOneOwnersSessionsAndReleasesItsLocksOnly() async throws {
        try await withCluster { fake in
            try await withClient(fake) { client in
                let first = try await client.acquire("acme/contacts/1", owner: "bob@frontend-2")
                let second = try await client.acquire("acme/contacts/2/phone", owner: "bob@frontend-2")
                let carols = try await client.acquire("acme/contacts/3", owner: "carol@frontend-2")
                #expect(try await client.releaseAll(owner: "bob@frontend-2") == 2)
                #expect(first.state == .released && second.state == .released)
                #expect(carols.state == .safe)
                let held = await fake.with { state in state.table.holders.keys.map(\.string).sorted() }
                #expect(held == ["acme/contacts/3"])
                #expect(try await client.releaseAll(owner: "nobody@frontend-9") == 0)

                // Bob signs in again: a new session.
                let again = try await client.acquire("acme/contacts/1", owner: "bob@frontend-2")
                #expect(again.holder.session != first.holder.session)
                try await again.release()
                try await carols.release()
                let bad = await padlockError { _ = try await client.releaseAll(owner: "") }
                #expect(bad?.code == .invalidArgument)
            }
        }
    }

    @Test func releaseAllEndsTheOwnersAcquiresInFlightInsteadOfRetryingThem() async throws {
        try await withCluster { fake in
            try await withClient(fake) { client in
                let carols = try await client.acquire("acme/contacts/7", owner: "carol@frontend-3")
                async let queued = padlockError {
                    _ = try await client.acquire("acme/contacts/7", owner: "bob@frontend-2", wait: .seconds(5))
                }
                // Wait until bob's acquire is queued behind carol's lock.
                let deadline = ContinuousClock.now + .seconds(20)
                while await fake.with({ $0.table.waiters.isEmpty }), ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(try await client.releaseAll(owner: "bob@frontend-2") == 0)
                let ended = await queued
                #expect(ended?.code == .cancelled, "\(String(describing: ended))")
                #expect(ended?.message.contains("releaseAll(owner: bob@frontend-2)") == true)
                #expect(await Self.opens(of: "bob@frontend-2", fake) == 1, "not retried on a new session")
                #expect(carols.state == .safe)
                try await carols.release()
            }
        }
    }

    @Test func aFullPoolClosesAnIdleSessionOfAnotherOwnerToServeANewOne() async throws {
        var configuration = testConfiguration
        configuration.maximumConcurrentSessions = 2
        try await withCluster { fake in
            try await withClient(fake, configuration: configuration) { client in
                let a = try await client.acquire("acme/contacts/1", owner: "a@fe")
                let b = try await client.acquire("acme/contacts/2", owner: "b@fe")
                // Both sessions hold a lock: a third owner cannot get one before the deadline.
                let full = await padlockError { _ = try await client.acquire("acme/contacts/3", owner: "c@fe") }
                #expect(full?.code == .unavailable, "\(String(describing: full))")
                #expect(full?.message.contains("no session was free") == true, "\(String(describing: full))")
                // Once a's session is idle, it makes room for c.
                try await a.release()
                let c = try await client.acquire("acme/contacts/3", owner: "c@fe")
                #expect(c.holder.owner == "c@fe")
                #expect(b.state == .safe, "a session holding a lock is never closed for room")
                try await b.release()
                try await c.release()
            }
        }
    }

    @Test func oneOwnersSessionsAreBoundedByMaximumSessionsPerOwner() async throws {
        var configuration = testConfiguration
        configuration.maximumSessionsPerOwner = 1
        try await withCluster { fake in
            try await withClient(fake, configuration: configuration) { client in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<10 {
                        group.addTask {
                            let lock = try await client.acquire("acme/contacts/\(index)", owner: "bob@fe")
                            try await lock.release()
                        }
                    }
                    try await group.waitForAll()
                }
                #expect(await Self.opens(of: "bob@fe", fake) == 1)
            }
        }
        var bad = testConfiguration
        bad.maximumSessionsPerOwner = 0
        try await withCluster { fake in
            let refused = await padlockError { try await withClient(fake, configuration: bad) { _ in } }
            #expect(refused?.code == .invalidArgument && refused?.message.contains("maximumSessionsPerOwner") == true)
        }
    }
}

import Testing
import Wire

@testable import PadlockClient

/// Holds, roles, all-or-nothing acquires and mode changes as the client sees them (`docs/holds.md`): what is
/// refused before anything is sent, what a refusal by a hold says, and how locks follow the cluster's answers.
@Suite(.serialized) struct HoldClientTests {
    @Test func badRolesKeysAndHoldsAreRefusedBeforeAnythingIsSent() async throws {
        try await withCluster { fake in
            try await withClient(fake) { client in
                let refusals: [(String, PadlockError?)] = [
                    ("is 1 to 64 bytes", await padlockError { _ = try await client.acquire("acme/x", roles: [""]) }),
                    (
                        "is 1 to 64 bytes",
                        await padlockError { _ = try await client.acquire("acme/x", roles: ["a\nb"]) }
                    ),
                    (
                        "at most 16 roles",
                        await padlockError {
                            _ = try await client.acquire("acme/x", roles: (0...16).map { "role-\($0)" })
                        }
                    ),
                    (
                        "claims no roles",
                        await padlockError { _ = try await client.acquire("acme/x", roles: ["a"], takeover: "why") }
                    ),
                    ("at least one key", await padlockError { _ = try await client.acquire(keys: []) }),
                    (
                        "at most 64 keys, got 65",
                        await padlockError { _ = try await client.acquire(keys: (0...64).map { "acme/r\($0)" }) }
                    ),
                    (
                        "must not overlap",
                        await padlockError { _ = try await client.acquire(keys: ["acme/a", "acme/a/b"]) }
                    ),
                    (
                        "must not overlap",
                        await padlockError { _ = try await client.acquire(keys: ["acme/a", "acme/a"]) }
                    ),
                    ("not a valid key", await padlockError { _ = try await client.acquire(keys: ["acme/a", "/bad"]) }),
                    (
                        "needs a reason",
                        await padlockError { _ = try await client.placeHold("acme/d", rule: "R", reason: "") }
                    ),
                    (
                        "needs a rule name",
                        await padlockError { _ = try await client.placeHold("acme/d", rule: "", reason: "r") }
                    ),
                    (
                        "at most 128 bytes",
                        await padlockError {
                            _ = try await client.placeHold(
                                "acme/d", rule: String(repeating: "x", count: 129), reason: "r")
                        }
                    ),
                    (
                        "one key segment",
                        await padlockError {
                            _ = try await client.placeHold("acme/d", rule: "R", reason: "r", editableFields: ["a/b"])
                        }
                    ),
                    (
                        "exempts at most 16",
                        await padlockError {
                            _ = try await client.placeHold(
                                "acme/d", rule: "R", reason: "r", exemptRoles: (0...16).map { "r\($0)" })
                        }
                    ),
                    ("needs a reason", await padlockError { _ = try await client.liftHold("acme/d", reason: "") }),
                    (
                        "needs a rule name",
                        await padlockError { _ = try await client.liftHold("acme/d", rule: "", reason: "r") }
                    ),
                ]
                for (words, error) in refusals {
                    #expect(error?.code == .invalidArgument, "\(words): \(String(describing: error))")
                    #expect(error?.message.contains(words) == true, "\(words): \(String(describing: error))")
                }
                #expect(await fake.with { $0.requests(\.isHoldOperation).isEmpty })
            }
        }
    }

    @Test func aHoldRefusesARepWithItsRuleAndReasonAndGrantsAnExemptRoleAndAnEditableField() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "ops@admin") { admin in
                try await withClient(fake, owner: "bob@frontend-1") { rep in
                    let placed = try await admin.placeHold(
                        "acme/deals/42", rule: "Deal closed", reason: "stage closed-won",
                        exemptRoles: ["finance-admin"],
                        editableFields: ["notes"])
                    #expect(placed.hold.placedBy == "ops@admin")
                    #expect(placed.endedHolders.isEmpty)
                    let refused = await padlockError { _ = try await rep.acquire("acme/deals/42", roles: ["rep"]) }
                    guard case .restricted(let hold)? = refused?.code else {
                        Issue.record("expected restricted, got \(String(describing: refused))")
                        return
                    }
                    #expect(hold == placed.hold)
                    let message = refused?.message ?? ""
                    #expect(message.hasPrefix("Locked by rule 'Deal closed' since "), "\(message)")
                    #expect(message.contains("(placed by ops@admin) — stage closed-won"), "\(message)")
                    #expect(message.contains("only finance-admin may edit"), "\(message)")
                    #expect(message.contains("notes stay editable"), "\(message)")
                    // A plain acquire (no roles) is refused too, and a field not left editable names the hold.
                    let plain = await padlockError { _ = try await rep.acquire("acme/deals/42/amount") }
                    #expect(plain?.code == .restricted(by: placed.hold))
                    #expect(plain?.message.contains("on acme/deals/42 since") == true, "\(String(describing: plain))")
                    let exempt = try await rep.acquire("acme/deals/42", roles: ["finance-admin"])
                    try await exempt.release()
                    let notes = try await rep.acquire("acme/deals/42/notes")
                    try await notes.release()
                    let viewing = try await rep.acquire("acme/deals/42", mode: .shared)
                    try await viewing.release()
                }
            }
        }
    }

    @Test func holdsAreListedPageByPageInspectedAndLifted() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "ops@admin") { admin in
                for key in ["acme/deals/1", "acme/deals/2", "acme/deals/3", "globex/deals/1"] {
                    _ = try await admin.placeHold(key, rule: "Deal closed", reason: "closed-won", source: .rule)
                }
                let acme = try await admin.holds(prefix: "acme")
                #expect(acme.map(\.key.string) == ["acme/deals/1", "acme/deals/2", "acme/deals/3"])
                #expect(acme.allSatisfy { $0.source == .rule })
                #expect(try await admin.holds().count == 4)
                let lifted = try await admin.liftHold("acme/deals/2", rule: "Deal closed", reason: "reopened")
                #expect(lifted.map(\.key.string) == ["acme/deals/2"])
                #expect(try await admin.holds(prefix: "acme/deals/2").isEmpty)
                let missing = await padlockError { _ = try await admin.liftHold("acme/deals/2", reason: "again") }
                #expect(missing?.code == .invalidArgument)
                #expect(missing?.message.contains("no hold on acme/deals/2") == true, "\(String(describing: missing))")
            }
        }
    }

    @Test func aKeyStateNamesTheHoldsCoveringTheKey() throws {
        let key = try LockKey("acme/deals/42/amount")
        let hold = Hold(
            key: try LockKey("acme/deals/42"), rule: "Deal closed", reason: "stage closed-won", source: .manual,
            placedBy: "ops@admin", since: Timestamp(rawValue: 1_000), fence: FenceToken(9), restricts: .edit,
            exemptRoles: ["finance-admin"], editableFields: ["notes"])
        let inspection = Inspection(key: key, holders: [], waiters: [], lockDelayedUntil: nil, holds: [hold])
        let state = KeyState(inspection, index: 10)
        #expect(state.holds == [hold])
        #expect(state.description.hasPrefix("acme/deals/42/amount: free; hold 'Deal closed' on acme/deals/42 since "))
        #expect(state.description.hasSuffix("(stage closed-won)"), "\(state)")
    }

    @Test func placingAHoldThatEndsHoldersMarksThisClientsOwnLocksLost() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "ops@admin") { admin in
                let editing = try await admin.acquire("acme/deals/7", note: "editing")
                let placed = try await admin.placeHold(
                    "acme/deals/7", rule: "Deal closed", reason: "stage closed-won", endHolders: true)
                #expect(placed.endedHolders.map(\.holder) == [editing.holder])
                #expect(editing.state == .lost)
                #expect(editing.lossReason?.description.contains("Deal closed") == true)
            }
        }
    }
}

/// Upgrades, downgrades and all-or-nothing acquires.
@Suite(.serialized) struct LockModeAndBatchTests {
    @Test func anUpgradeAndADowngradeGiveTheLockTheNewFenceAndItReleasesUnderIt() async throws {
        try await withCluster { fake in
            try await withClient(fake) { client in
                let lock = try await client.acquire("acme/deals/42", mode: .shared, note: "viewing")
                let viewing = lock.fence
                try await lock.upgrade()
                #expect(lock.mode == .exclusive)
                #expect(lock.fence > viewing)
                #expect(lock.holder.session == lock.requestID.session)
                #expect(await fake.with { $0.table.holders[lock.key]?.map(\.fence) } == [lock.fence])
                let editing = lock.fence
                try await lock.downgrade()
                #expect(lock.mode == .shared)
                #expect(lock.fence > editing)
                // Idempotent in the mode it already has: nothing is sent.
                let before = await fake.with { $0.requests(\.isHoldOperation).count }
                try await lock.downgrade()
                #expect(await fake.with { $0.requests(\.isHoldOperation).count } == before)
                try await lock.release()
                #expect(await fake.with { $0.table.releases.map(\.fence) } == [lock.fence])
                #expect(lock.state == .released)
                let again = await padlockError { try await lock.upgrade() }
                #expect(again?.code == .invalidArgument)
            }
        }
    }

    @Test func anUpgradeRefusedByAnotherViewerLeavesTheLockSharedUnderItsFence() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "alice@frontend-2") { alice in
                try await withClient(fake, owner: "bob@frontend-1") { bob in
                    let mine = try await alice.acquire("acme/deals/42", mode: .shared)
                    let theirs = try await bob.acquire("acme/deals/42", mode: .shared)
                    let fence = mine.fence
                    let refused = await padlockError { try await mine.upgrade() }
                    #expect(refused?.code == .held(by: [theirs.holder]), "\(String(describing: refused))")
                    #expect(mine.mode == .shared)
                    #expect(mine.fence == fence)
                    #expect(mine.state == .safe)
                    try await theirs.release()
                    try await mine.release()
                }
            }
        }
    }

    @Test func aBatchIsGrantedUnderOneFenceInTheKeysOrderOrNotAtAll() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "alice@frontend-2") { alice in
                try await withClient(fake, owner: "bob@frontend-1") { bob in
                    let locks = try await alice.acquire(keys: ["acme/b", "acme/a"], note: "merging")
                    #expect(locks.map(\.key.string) == ["acme/b", "acme/a"])
                    #expect(Set(locks.map(\.fence)).count == 1)
                    for lock in locks { try await lock.release() }
                    let held = try await bob.acquire("acme/d")
                    let refused = await padlockError { _ = try await alice.acquire(keys: ["acme/c", "acme/d"]) }
                    #expect(refused?.code == .held(by: [held.holder]), "\(String(describing: refused))")
                    #expect(refused?.message.contains("all-or-nothing acquire of acme/c, acme/d") == true)
                    #expect(await fake.with { $0.table.holders.keys.map(\.string) } == ["acme/d"])
                    let value = try await alice.withLock(keys: ["acme/e", "acme/f"]) { locks in locks.count }
                    #expect(value == 2)
                    #expect(await fake.with { $0.table.holders.keys.map(\.string) } == ["acme/d"])
                    try await held.release()
                }
            }
        }
    }

    @Test func aBatchWhoseAnswerWasLostIsResolvedAndEveryKeyReleased() async throws {
        try await withCluster { fake in
            await fake.script { _, request in request.operation.isAcquireKeys ? .applyWithoutAnswer : .normal }
            var configuration = testConfiguration
            configuration.callDeadline = .milliseconds(700)
            try await withClient(fake, configuration: configuration) { client in
                let error = await padlockError { _ = try await client.acquire(keys: ["acme/x", "acme/y"]) }
                guard case .outcomeUnknown(let id)? = error?.code else {
                    Issue.record("expected outcomeUnknown, got \(String(describing: error))")
                    return
                }
                #expect(error?.message.contains("acme/x, acme/y") == true, "\(String(describing: error))")
                let resolution = try await client.resolve(id)
                guard case .grantedThenReleased(let holder) = resolution else {
                    Issue.record("expected grantedThenReleased, got \(resolution)")
                    return
                }
                let releases = await fake.with { $0.table.releases.map { "\($0.key) \($0.fence)" } }
                #expect(releases == ["acme/x \(holder.fence)", "acme/y \(holder.fence)"])
                #expect(await fake.with { $0.table.holders.isEmpty })
            }
        }
    }

    @Test func rolesAloneSendTheV3AcquireAndOneKeyWithoutRolesStaysAPlainAcquire() async throws {
        try await withCluster { fake in
            try await withClient(fake) { client in
                try await client.acquire("acme/p").release()
                for lock in try await client.acquire(keys: ["acme/q"]) { try await lock.release() }
                #expect(await fake.with { $0.requests(\.isAcquireKeys).isEmpty })
                try await client.acquire("acme/r", roles: ["rep"]).release()
                #expect(await fake.with { $0.requests(\.isAcquireKeys).count } == 1)
            }
        }
    }
}

import Foundation
import PadlockClient
import Testing

/// The client library's holds, batches and mode changes against a real cluster: the lock table's answers
/// (`grantedKeys`, a mode change's new fence, `holdPlaced` with ended holders, `noHold`) reach callers as
/// `docs/client.md` says.
@Suite(.serialized) struct HoldClientIntegrationTests {
    @Test("Upgrade and downgrade move the lock to the cluster's new fence, and it releases under it")
    func upgradeAndDowngrade() async throws {
        let cluster = try LocalCluster(nodes: 1)
        defer { cluster.stop() }
        let alice = try await cluster.client(owner: "alice@it")
        let bob = try await cluster.client(owner: "bob@it")
        let lock = try await alice.acquire("acme/deals/42", mode: .shared, note: "viewing")
        let viewing = lock.fence
        let other = try await bob.acquire("acme/deals/42", mode: .shared)
        let refused = await Self.error { try await lock.upgrade() }
        #expect(refused?.code == .held(by: [other.holder]), "\(String(describing: refused))")
        #expect(refused?.message.contains("the lock stays shared") == true, "\(String(describing: refused))")
        #expect(refused?.message.contains("own lock") == false, "\(String(describing: refused))")
        #expect(lock.mode == .shared && lock.fence == viewing)
        try await other.release()
        try await lock.upgrade()
        #expect(lock.mode == .exclusive)
        #expect(lock.fence > viewing)
        #expect(try await alice.checkFence("acme/deals/42", lock.fence).isCurrent)
        try await lock.downgrade()
        #expect(lock.mode == .shared)
        #expect(try await alice.checkFence("acme/deals/42", lock.fence).isCurrent)
        try await lock.release()
        #expect(try await alice.inspect("acme/deals/42").holders.isEmpty)
        await alice.close()
        await bob.close()
    }

    @Test("A batch is granted under one fence or refused whole; a hold refuses it and ends holders when asked")
    func batchesAndHolds() async throws {
        let cluster = try LocalCluster(nodes: 1)
        defer { cluster.stop() }
        let admin = try await cluster.client(owner: "ops@it")
        let rep = try await cluster.client(owner: "rep@it")
        let locks = try await rep.acquire(keys: ["acme/contacts/2", "acme/contacts/1"], note: "merging")
        #expect(locks.map(\.key.string) == ["acme/contacts/2", "acme/contacts/1"])
        #expect(Set(locks.map(\.fence)).count == 1)

        let placed = try await admin.placeHold(
            "acme/contacts/1", rule: "Merge review", reason: "duplicate check", endHolders: true)
        #expect(placed.endedHolders.map(\.key.string) == ["acme/contacts/1"])
        let lost = await Self.eventually { locks[1].state == .lost }
        #expect(lost, "the ended holder's lock turns lost: \(locks[1].state)")
        #expect(locks[0].state != .lost)
        try await locks[0].release()

        let refused = await Self.error { _ = try await rep.acquire(keys: ["acme/contacts/3", "acme/contacts/1"]) }
        #expect(refused?.code == .restricted(by: placed.hold), "\(String(describing: refused))")
        #expect(refused?.message.contains("Locked by rule 'Merge review'") == true)
        #expect(try await rep.inspect("acme/contacts/3").holders.isEmpty, "nothing of the batch is held")
        let exempt = try await rep.acquire(keys: ["acme/contacts/3"], roles: ["merger"])
        #expect(exempt.count == 1)
        try await exempt[0].release()

        #expect(try await admin.holds(prefix: "acme").map(\.rule) == ["Merge review"])
        let lifted = try await admin.liftHold("acme/contacts/1", reason: "checked")
        #expect(lifted.map(\.rule) == ["Merge review"])
        let again = await Self.error { _ = try await admin.liftHold("acme/contacts/1", reason: "checked") }
        #expect(again?.code == .invalidArgument, "\(String(describing: again))")
        #expect(again?.message.contains("no hold on acme/contacts/1") == true)
        await admin.close()
        await rep.close()
    }

    private static func error(_ body: () async throws -> Void) async -> PadlockError? {
        do {
            try await body()
            return nil
        } catch let error as PadlockError {
            return error
        } catch {
            return nil
        }
    }

    private static func eventually(_ condition: () -> Bool) async -> Bool {
        let end = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < end {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }
}

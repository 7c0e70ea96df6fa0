import Testing
import Wire

@testable import PadlockClient

/// `acquire(…, takeover:)`: one request that ends the holders and grants at once, and the checks made before
/// anything is sent.
@Suite(.serialized) struct ClientTakeoverTests {
    @Test func aTakeoverIsGrantedAtOnceAboveTheHoldersFenceWithItsReason() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "alice@frontend-2") { alice in
                try await withClient(fake, owner: "manager@frontend-1") { manager in
                    let held = try await alice.acquire("acme/contacts/42", note: "editing phone number")
                    let taken = try await manager.acquire(
                        "acme/contacts/42", note: "fixing the address", takeover: "Alice is on leave")
                    #expect(taken.fence > held.fence)
                    #expect(taken.holder.owner == "manager@frontend-1")
                    #expect(taken.holder.note == "fixing the address")
                    let reasons = await fake.with { $0.table.takeovers.map(\.reason) }
                    let ended = await fake.with { $0.table.takeovers.first?.ended ?? [] }
                    #expect(reasons == ["Alice is on leave"])
                    #expect(ended == [held.holder])
                    try await taken.release()
                }
            }
        }
    }

    @Test func aTakeoverWithoutAReasonOrWithAWaitIsRefusedBeforeAnythingIsSent() async throws {
        try await withCluster { fake in
            try await withClient(fake) { client in
                let empty = await padlockError { _ = try await client.acquire("acme/x", takeover: "") }
                #expect(empty?.code == .invalidArgument)
                #expect(empty?.message.contains("needs a reason") == true, "\(String(describing: empty))")
                let waiting = await padlockError {
                    _ = try await client.acquire("acme/x", wait: .seconds(1), takeover: "on leave")
                }
                #expect(waiting?.code == .invalidArgument)
                #expect(waiting?.message.contains("never waits") == true, "\(String(describing: waiting))")
                let long = String(repeating: "r", count: 2_000)
                let tooLong = await padlockError { _ = try await client.acquire("acme/x", takeover: long) }
                #expect(tooLong?.code == .invalidArgument)
                #expect(await fake.with { $0.table.takeovers.count } == 0)
            }
        }
    }
}

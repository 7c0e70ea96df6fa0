import PadlockClient
import Testing

/// Issue 19, item 4: `held(by:)` names every conflicting holder, bounded, the caller's own marked.
@Suite(.serialized) struct HeldTests {
    @Test func aWholeRecordTryLockNamesEveryFieldHolderWithItsKey() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "alice@frontend-2") { alice in
                try await withClient(fake, owner: "bob@frontend-3") { bob in
                    try await withClient(fake, owner: "carol@frontend-4") { carol in
                        let phone = try await alice.acquire("acme/contacts/42/phone", note: "editing phone")
                        let email = try await bob.acquire("acme/contacts/42/email", note: "editing email")
                        let refused = await padlockError { _ = try await carol.acquire("acme/contacts/42") }
                        guard case .held(let holders)? = refused?.code, let error = refused else {
                            Issue.record("expected held, got \(String(describing: refused))")
                            return
                        }
                        #expect(holders == [email.holder, phone.holder], "key order: email before phone")
                        #expect(
                            error.conflicts.map(\.key.string) == ["acme/contacts/42/email", "acme/contacts/42/phone"])
                        #expect(error.conflicts.allSatisfy { !$0.isOwn } && !error.holdersTruncated)
                        #expect(!error.isOwn(phone.holder))
                        let message = error.message
                        #expect(
                            message.contains("bob@frontend-3") && message.contains("alice@frontend-2"), "\(message)")
                        #expect(message.contains("on acme/contacts/42/phone"), "\(message)")
                        #expect(message.contains("try again later"), "\(message)")
                        try await phone.release()
                        try await email.release()
                    }
                }
            }
        }
    }

    @Test func aRecordLockBlockedByTheCallersOwnFieldLockSaysItIsItsOwn() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "alice@frontend-2") { alice in
                let field = try await alice.acquire("acme/contacts/42/phone", note: "editing phone")
                let refused = await padlockError { _ = try await alice.acquire("acme/contacts/42") }
                guard case .held(let holders)? = refused?.code, let error = refused else {
                    Issue.record("expected held, got \(String(describing: refused))")
                    return
                }
                #expect(holders == [field.holder])
                #expect(error.conflicts.first?.isOwn == true)
                #expect(error.isOwn(field.holder))
                #expect(error.message.contains("this client's own lock (alice@frontend-2"), "\(error.message)")
                #expect(error.message.contains("release this client's own conflicting lock first"), "\(error.message)")
                try await field.release()
            }
        }
    }

    @Test func atMostSixteenHoldersAreNamedAndTheCutIsFlagged() async throws {
        try await withCluster { fake in
            try await withClient(fake, owner: "reader@frontend-1") { reader in
                try await withClient(fake, owner: "writer@frontend-2") { writer in
                    var locks: [Lock] = []
                    for number in 0..<20 {
                        locks.append(try await reader.acquire("acme/reports/r\(number)", mode: .shared))
                    }
                    let refused = await padlockError { _ = try await writer.acquire("acme/reports") }
                    guard case .held(let holders)? = refused?.code, let error = refused else {
                        Issue.record("expected held, got \(String(describing: refused))")
                        return
                    }
                    #expect(holders.count == 16 && error.conflicts.count == 16)
                    #expect(error.holdersTruncated)
                    #expect(error.message.contains("and by 13 more, and more not listed"), "\(error.message)")
                    for lock in locks { try await lock.release() }
                }
            }
        }
    }
}

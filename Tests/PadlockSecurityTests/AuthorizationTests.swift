import PadlockSecurity
import PadlockTypes
import Testing
import Wire

@Suite struct AuthorizationTests {
    static let app = ClientIdentity(name: "acme-app", role: .app, namespaces: ["acme"])
    static let reader = ClientIdentity(name: "acme-reader", role: .reader, namespaces: ["acme"])
    static let admin = ClientIdentity(name: "ops", role: .admin, namespaces: nil)
    static let request = RequestID(session: SessionID(7), sequence: 1)

    static func key(_ text: String) -> LockKey { try! LockKey(text) }

    static func acquire(_ key: String) -> ClientOperation {
        .acquire(request, Acquisition(key: Self.key(key), mode: .exclusive, waitMilliseconds: 0, note: ""))
    }

    @Test func anAppLocksInItsNamespaceOnly() {
        #expect(Authorization.denial(of: Self.acquire("acme/contacts/1"), by: Self.app) == nil)
        let denial = Authorization.denial(of: Self.acquire("globex/contacts/1"), by: Self.app)
        #expect(denial?.contains("may not use namespace globex") == true, "\(String(describing: denial))")
    }

    @Test func aReaderInspectsButCannotLockOrOpenSessions() {
        #expect(Authorization.denial(of: .inspect(Self.key("acme/x")), by: Self.reader) == nil)
        #expect(
            Authorization.denial(of: .checkFence(key: Self.key("acme/x"), fence: FenceToken(3)), by: Self.reader) == nil
        )
        #expect(Authorization.denial(of: Self.acquire("acme/x"), by: Self.reader)?.contains("needs role app") == true)
        let open = ClientOperation.openSession(owner: "r", nonce: 1, ttlMilliseconds: 10_000)
        #expect(Authorization.denial(of: open, by: Self.reader) != nil)
    }

    @Test func onlyAnAdminForceUnlocksRevokesAuditsAndChangesMembership() {
        let adminOperations: [ClientOperation] = [
            .forceUnlock(Self.request, key: Self.key("acme/x"), reason: "r"),
            .revokeSession(Self.request, target: SessionID(9), reason: "r"), .audit(after: nil, limit: 10),
            .addMember(node: NodeID(4), peerAddress: "127.0.0.1:1", clientAddress: "127.0.0.1:2"),
            .removeMember(NodeID(3)),
        ]
        for operation in adminOperations {
            #expect(Authorization.denial(of: operation, by: Self.app)?.contains("needs role admin") == true)
            #expect(Authorization.denial(of: operation, by: Self.admin) == nil)
        }
    }

    static func takeover(_ key: String) -> ClientOperation {
        .takeover(
            request, Acquisition(key: Self.key(key), mode: .exclusive, waitMilliseconds: 0, note: ""), reason: "leave")
    }

    @Test func anAdminTakesOverInItsNamespacesAndANamedAppClientOnlyWhereNamed() {
        #expect(Authorization.denial(of: Self.takeover("acme/contacts/1"), by: Self.admin) == nil)
        var scopedAdmin = Self.admin
        scopedAdmin.namespaces = ["acme"]
        #expect(Authorization.denial(of: Self.takeover("globex/1"), by: scopedAdmin)?.contains("may not use") == true)

        let denial = Authorization.denial(of: Self.takeover("acme/contacts/1"), by: Self.app)
        #expect(denial?.contains("may not take over locks in namespace acme") == true, "\(String(describing: denial))")
        #expect(denial?.contains("admin clients") == true, "the refusal says who may: \(String(describing: denial))")
        #expect(denial?.contains("takeover = [\"acme\"]") == true, "and how to allow it: \(String(describing: denial))")

        let named = ClientIdentity(
            name: "crm", role: .app, namespaces: ["acme", "globex"], takeoverNamespaces: ["acme"])
        #expect(Authorization.denial(of: Self.takeover("acme/contacts/1"), by: named) == nil)
        #expect(Authorization.denial(of: Self.takeover("globex/contacts/1"), by: named) != nil)
        let everywhere = ClientIdentity(name: "crm", role: .app, namespaces: ["acme"], takeoverNamespaces: nil)
        #expect(Authorization.denial(of: Self.takeover("acme/contacts/1"), by: everywhere) == nil)
        #expect(Authorization.denial(of: Self.takeover("globex/1"), by: everywhere)?.contains("may not use") == true)
        #expect(Authorization.denial(of: Self.takeover("acme/x"), by: Self.reader)?.contains("needs role app") == true)
    }

    @Test func aListingMustStayInsideTheClientsNamespaces() {
        #expect(Authorization.denial(of: .list(ListQuery(prefix: Self.key("acme"), limit: 10)), by: Self.app) == nil)
        #expect(Authorization.denial(of: .list(ListQuery(prefix: Self.key("globex"), limit: 10)), by: Self.app) != nil)
        #expect(Authorization.denial(of: .list(ListQuery(limit: 10)), by: Self.app)?.contains("give a prefix") == true)
        #expect(Authorization.denial(of: .list(ListQuery(limit: 10)), by: Self.admin) == nil)
    }

    @Test func aDisabledClientIsRefusedEverything() {
        var disabled = Self.admin
        disabled.enabled = false
        #expect(Authorization.denial(of: .status, by: disabled) == "client disabled")
    }

    @Test func theDirectoryFindsClientsByTheirTokensHash() {
        let directory = ClientDirectory([
            (Self.app, TokenHash.hex(of: "app-token")),
            (ClientIdentity(name: "old", role: .app, namespaces: nil, enabled: false), TokenHash.hex(of: "old-token")),
        ])
        #expect(directory.admit(credentials: Array("app-token".utf8)) == .client(Self.app))
        #expect(directory.admit(credentials: Array("old-token".utf8)) == .refused(reason: "client disabled"))
        guard case .refused = directory.admit(credentials: []) else {
            Issue.record("a missing token was admitted")
            return
        }
        guard case .refused = directory.admit(credentials: Array("guess".utf8)) else {
            Issue.record("an unknown token was admitted")
            return
        }
        #expect(ClientDirectory().admit(credentials: []) == .open, "no clients: the port stays open")
    }
}

@Suite struct PeerProofTests {
    static let secret = Array(repeating: UInt8(0x42), count: 32)
    static let dialerNonce = Array(repeating: UInt8(1), count: 32)
    static let listenerNonce = Array(repeating: UInt8(2), count: 32)

    static func proof(
        _ prover: PeerProof, side: PeerProof.Side, cluster: UInt64 = 9, listenerNonce: [UInt8] = listenerNonce
    )
        -> [UInt8]
    {
        prover.proof(
            side: side, cluster: cluster, dialer: 2, listener: 1, dialerNonce: dialerNonce, listenerNonce: listenerNonce
        )
    }

    static func verify(_ proof: [UInt8], side: PeerProof.Side, listenerNonce: [UInt8] = listenerNonce) -> Bool {
        PeerProof(secret: secret).verify(
            proof, side: side, cluster: 9, dialer: 2, listener: 1, dialerNonce: dialerNonce,
            listenerNonce: listenerNonce)
    }

    @Test func theRightSecretProves() {
        #expect(Self.verify(Self.proof(PeerProof(secret: Self.secret), side: .dialer), side: .dialer))
    }

    @Test func aWrongSecretAnotherClusterAReflectionOrANewNonceFail() {
        let right = PeerProof(secret: Self.secret)
        #expect(
            !Self.verify(Self.proof(PeerProof(secret: Array(repeating: 0x43, count: 32)), side: .dialer), side: .dialer)
        )
        #expect(!Self.verify(Self.proof(right, side: .dialer, cluster: 10), side: .dialer))
        #expect(
            !Self.verify(Self.proof(right, side: .listener), side: .dialer), "the listener's proof cannot be reflected")
        let replayed = Self.proof(right, side: .dialer)
        #expect(!Self.verify(replayed, side: .dialer, listenerNonce: Array(repeating: 3, count: 32)))
        #expect(!Self.verify(Array(replayed.prefix(31)), side: .dialer), "a short proof fails")
    }

    @Test func constantTimeCompareComparesEveryByte() {
        #expect(PeerProof.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!PeerProof.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!PeerProof.constantTimeEqual([1, 2, 3], [1, 2]))
    }
}

import PadlockSecurity
import PadlockTypes
import Testing
import Wire

/// Who may place, lift and list holds, and use every key of an all-or-nothing acquire (issue 22).
@Suite struct HoldAuthorizationTests {
    static let app = AuthorizationTests.app
    static let reader = AuthorizationTests.reader
    static let admin = AuthorizationTests.admin
    static let request = AuthorizationTests.request
    static func key(_ text: String) -> LockKey { AuthorizationTests.key(text) }

    static func place(_ key: String) -> ClientOperation {
        .placeHold(
            request,
            HoldPlacement(
                key: Self.key(key), rule: "Deal closed", reason: "stage closed-won", source: .rule, restricts: .edit,
                exemptRoles: ["finance-admin"], editableFields: [], endsHolders: false))
    }

    static func lift(_ key: String) -> ClientOperation {
        .liftHold(request, key: Self.key(key), rule: nil, reason: "reopened")
    }

    @Test func anAdminPlacesAndLiftsHoldsInTheNamespacesItMayUse() {
        for operation in [Self.place("acme/deals/42"), Self.lift("acme/deals/42"), Self.place("globex")] {
            #expect(Authorization.denial(of: operation, by: Self.admin) == nil, "\(operation.name)")
        }
        var scopedAdmin = Self.admin
        scopedAdmin.namespaces = ["acme"]
        #expect(Authorization.denial(of: Self.place("acme"), by: scopedAdmin) == nil, "a tenant freeze")
        let outside = Authorization.denial(of: Self.place("globex/deals/1"), by: scopedAdmin)
        #expect(outside?.contains("may not use namespace globex") == true, "\(String(describing: outside))")
    }

    @Test func anAppClientPlacesHoldsOnlyInTheNamespacesItsHoldsSettingNames() {
        for operation in [Self.place("acme/deals/42"), Self.lift("acme/deals/42")] {
            let denial = Authorization.denial(of: operation, by: Self.app)
            #expect(
                denial?.contains("may not place or lift holds in namespace acme") == true,
                "\(String(describing: denial))")
            #expect(denial?.contains("admin clients") == true, "it says who may: \(String(describing: denial))")
            #expect(denial?.contains("holds = [\"acme\"]") == true, "and how: \(String(describing: denial))")
        }
        let named = ClientIdentity(
            name: "crm", role: .app, namespaces: ["acme", "globex"], takeoverNamespaces: [], holdNamespaces: ["acme"])
        #expect(Authorization.denial(of: Self.place("acme/deals/42"), by: named) == nil)
        #expect(Authorization.denial(of: Self.lift("acme/deals/42"), by: named) == nil)
        #expect(
            Authorization.denial(of: Self.place("globex/deals/1"), by: named)?.contains("in namespace globex") == true)
        let takeoverOnly = ClientIdentity(
            name: "crm", role: .app, namespaces: ["acme"], takeoverNamespaces: ["acme"], holdNamespaces: [])
        #expect(Authorization.denial(of: Self.place("acme/1"), by: takeoverOnly) != nil, "takeover is not holds")
        let everywhere = ClientIdentity(name: "crm", role: .app, namespaces: ["acme"], holdNamespaces: nil)
        #expect(Authorization.denial(of: Self.place("acme/1"), by: everywhere) == nil)
        #expect(Authorization.denial(of: Self.place("globex/1"), by: everywhere)?.contains("may not use") == true)
    }

    @Test func aReaderNeverPlacesOrLiftsHolds() {
        var reader = Self.reader
        reader.holdNamespaces = nil
        for operation in [Self.place("acme/deals/42"), Self.lift("acme/deals/42")] {
            #expect(Authorization.denial(of: operation, by: reader)?.contains("needs role app") == true)
        }
    }

    @Test func everyoneListsHoldsButANamespaceBoundClientOnlyUnderAPrefixOfItsOwn() {
        let inside = ClientOperation.holds(prefix: Self.key("acme/deals"), after: nil, limit: 10)
        let outside = ClientOperation.holds(prefix: Self.key("globex"), after: nil, limit: 10)
        let all = ClientOperation.holds(prefix: nil, after: nil, limit: 10)
        for client in [Self.app, Self.reader] {
            #expect(Authorization.denial(of: inside, by: client) == nil)
            #expect(Authorization.denial(of: outside, by: client)?.contains("may not use namespace globex") == true)
            let denial = Authorization.denial(of: all, by: client)
            #expect(denial?.contains("may list holds only within its namespaces") == true)
            #expect(denial?.contains("give a prefix such as acme") == true, "\(String(describing: denial))")
        }
        #expect(Authorization.denial(of: all, by: Self.admin) == nil)
    }

    @Test func everyKeyOfAnAllOrNothingAcquireMustBeInTheClientsNamespaces() {
        func acquire(_ keys: [String]) -> ClientOperation {
            let keys = keys.map(Self.key)
            return .acquireKeys(
                Self.request, keys: keys, Acquisition(key: keys[0], mode: .exclusive, waitMilliseconds: 0, note: ""),
                roles: ["sales-rep"])
        }
        #expect(Authorization.denial(of: acquire(["acme/1", "acme/2"]), by: Self.app) == nil)
        let denial = Authorization.denial(of: acquire(["acme/1", "globex/2"]), by: Self.app)
        #expect(
            denial?.contains("may not use namespace globex (key globex/2)") == true, "\(String(describing: denial))")
        #expect(Authorization.denial(of: acquire(["acme/1"]), by: Self.reader)?.contains("needs role app") == true)
        let change = ClientOperation.changeMode(
            Self.request, key: Self.key("globex/1"), fence: FenceToken(3), mode: .exclusive, waitMilliseconds: 0,
            roles: [])
        #expect(Authorization.denial(of: change, by: Self.app)?.contains("may not use namespace globex") == true)
    }
}

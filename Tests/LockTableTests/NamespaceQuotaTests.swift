import LockTable
import PadlockTypes
import Testing

/// Per-namespace quotas: set through the log, enforced on acquires, kept in snapshots.
@Suite struct NamespaceQuotaTests {
    var table = LockTable()
    var index: UInt64 = 0

    mutating func apply(_ command: Command) -> CommandResult {
        index += 1
        return table.apply(command, at: index, time: Timestamp(rawValue: index * 10)).result
    }

    mutating func open(_ owner: String) -> SessionID {
        guard case .sessionOpened(let id, _) = apply(.openSession(owner: owner, nonce: index, ttlMilliseconds: 10_000))
        else { preconditionFailure("no session") }
        return id
    }

    mutating func acquire(_ session: SessionID, _ sequence: UInt64, _ key: String, wait: UInt64 = 0) -> CommandResult {
        apply(
            .acquire(
                RequestID(session: session, sequence: sequence), key: try! LockKey(key), mode: .exclusive,
                waitMilliseconds: wait, note: ""))
    }

    static func isGranted(_ result: CommandResult) -> Bool {
        if case .granted = result { return true }
        return false
    }

    @Test mutating func aNamespaceAtItsQuotaRefusesMoreLocksWhileOthersStillGetThem() {
        let quotas = NamespaceQuotas(byNamespace: ["acme": .init(heldLocksMax: 2, waitersMax: 1)])
        #expect(apply(.setQuotas(quotas)) == .quotasSet)
        #expect(table.quotas == quotas)
        let alice = open("alice@acme")
        let bob = open("bob@globex")
        #expect(Self.isGranted(acquire(alice, 1, "acme/contacts/1")))
        #expect(Self.isGranted(acquire(alice, 2, "acme/contacts/2")))
        #expect(Self.isGranted(acquire(alice, 3, "acme2/contacts/1")), "acme2 is another namespace")
        let carol = open("carol@acme")
        #expect(acquire(carol, 1, "acme/contacts/3") == .overloaded(.namespaceHeldLocks))
        #expect(Self.isGranted(acquire(bob, 1, "globex/contacts/1")), "globex has no quota")
        #expect(Self.isGranted(acquire(bob, 2, "globex/contacts/2")))
    }

    @Test mutating func aOneSegmentKeyAndWaitersCountAgainstTheHeldLockQuota() {
        _ = apply(.setQuotas(NamespaceQuotas(byNamespace: ["acme": .init(heldLocksMax: 1)])))
        let alice = open("alice@acme")
        let bob = open("bob@acme")
        #expect(Self.isGranted(acquire(alice, 1, "acme")))
        #expect(acquire(bob, 1, "acme", wait: 5_000) == .overloaded(.namespaceHeldLocks))
    }

    @Test mutating func waitersCountAgainstTheNamespacesWaiterQuota() {
        _ = apply(.setQuotas(NamespaceQuotas(standard: .init(waitersMax: 1))))
        let alice = open("alice@acme")
        let bob = open("bob@acme")
        let carol = open("carol@acme")
        #expect(Self.isGranted(acquire(alice, 1, "acme/contacts/1")))
        #expect(acquire(bob, 1, "acme/contacts/1", wait: 5_000) == .queued(position: 1))
        #expect(acquire(carol, 1, "acme/contacts/1", wait: 5_000) == .overloaded(.namespaceWaiters))
    }

    @Test mutating func aTakeoverAtTheQuotaIsGrantedWhenItEndsALockAndRefusedWhenItEndsNone() {
        _ = apply(.setQuotas(NamespaceQuotas(byNamespace: ["acme": .init(heldLocksMax: 1)])))
        let alice = open("alice@acme")
        let manager = open("manager@acme")
        #expect(Self.isGranted(acquire(alice, 1, "acme/contacts/1")))
        func takeover(_ sequence: UInt64, _ key: String) -> Command {
            .takeover(
                RequestID(session: manager, sequence: sequence), key: try! LockKey(key), mode: .exclusive, note: "",
                reason: "on leave", admin: "manager@acme")
        }
        #expect(apply(takeover(1, "acme/contacts/2")) == .overloaded(.namespaceHeldLocks), "ends nothing: over quota")
        #expect(Self.isGranted(apply(takeover(2, "acme/contacts/1"))), "frees the slot it takes")
        #expect(table.inspect(try! LockKey("acme/contacts/1")).holders.map(\.holder.session) == [manager])
    }

    @Test mutating func quotasSurviveASnapshot() throws {
        let quotas = NamespaceQuotas(standard: .init(heldLocksMax: 9), byNamespace: ["acme": .init(waitersMax: 3)])
        _ = apply(.setQuotas(quotas))
        var restored = LockTable()
        try restored.restore(from: table.snapshot())
        #expect(restored.quotas == quotas)
        #expect(restored.snapshot() == table.snapshot())
    }
}

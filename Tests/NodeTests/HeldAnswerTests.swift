import Node
import PadlockTypes
import Testing
import Wire

/// Issue 19, item 4: a refused acquire's `held` answer names every conflicting holder, bounded.
@Suite struct HeldAnswerTests {
    static func acquire(
        _ session: SessionID, _ sequence: UInt64, _ name: String, _ mode: LockMode, wait: UInt64 = 0
    )
        -> ClientOperation
    {
        .acquire(
            RequestID(session: session, sequence: sequence),
            Acquisition(key: key(name), mode: mode, waitMilliseconds: wait, note: "note \(sequence)"))
    }

    static func granted(_ answer: Result<ClientResult, ClientFailure>?) throws -> Holder {
        guard case .success(.granted(let holder))? = answer else {
            throw TestFailure("expected granted, got \(String(describing: answer))")
        }
        return holder
    }

    static func held(_ answer: Result<ClientResult, ClientFailure>?) throws -> (holders: [LockInfo], truncated: Bool) {
        guard case .failure(.held(let holders, let truncated, _))? = answer else {
            throw TestFailure("expected held, got \(String(describing: answer))")
        }
        return (holders, truncated)
    }

    @Test("A whole-record try-lock is refused naming every field holder, each with its key")
    func everyFieldHolderIsNamed() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let alice = try cluster.openSession(owner: "alice@frontend-2")
        let bob = try cluster.openSession(owner: "bob@frontend-3")
        let carol = try cluster.openSession(owner: "carol@frontend-4")
        let phone = try Self.granted(cluster.ask(Self.acquire(alice, 1, "acme/contacts/42/phone", .exclusive)))
        let email = try Self.granted(cluster.ask(Self.acquire(bob, 1, "acme/contacts/42/email", .exclusive)))
        _ = try Self.granted(cluster.ask(Self.acquire(bob, 2, "acme/contacts/43", .exclusive)))

        let refused = try Self.held(cluster.ask(Self.acquire(carol, 1, "acme/contacts/42", .exclusive)))
        #expect(Set(refused.holders.map(\.holder)) == [phone, email])
        #expect(Set(refused.holders.map(\.key.string)) == ["acme/contacts/42/phone", "acme/contacts/42/email"])
        #expect(!refused.truncated)
        #expect(refused.holders.allSatisfy { $0.leaseDeadline > $0.holder.since }, "each with its session's deadline")
    }

    @Test("A wait that runs out is answered with every holder still in the way")
    func aTimedOutWaitNamesEveryHolder() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        let alice = try cluster.openSession(ttl: 60_000, owner: "alice@frontend-2")
        let bob = try cluster.openSession(ttl: 60_000, owner: "bob@frontend-3")
        let carol = try cluster.openSession(ttl: 60_000, owner: "carol@frontend-4")
        let first = try Self.granted(cluster.ask(Self.acquire(alice, 1, "acme/reports/q3", .shared)))
        let second = try Self.granted(cluster.ask(Self.acquire(bob, 1, "acme/reports/q3", .shared)))
        let waiting = cluster.send(Self.acquire(carol, 1, "acme/reports", .exclusive, wait: 300))
        for _ in 0..<20 { cluster.tick(milliseconds: 50) }
        let refused = try Self.held(cluster.answer(to: waiting))
        #expect(refused.holders.map(\.holder) == [first, second])
    }

    @Test("At most sixteen holders are named, and the answer says more conflict")
    func theListIsBounded() throws {
        let cluster = try SingleNodeCluster()
        cluster.elect()
        for number in 0..<20 {
            let reader = try cluster.openSession(owner: "reader\(number)@frontend")
            _ = try Self.granted(cluster.ask(Self.acquire(reader, 1, "acme/reports/r\(number)", .shared)))
        }
        let writer = try cluster.openSession(owner: "writer@frontend")
        let refused = try Self.held(cluster.ask(Self.acquire(writer, 1, "acme/reports", .exclusive)))
        #expect(refused.holders.count == WireLimits.heldHoldersMax)
        #expect(refused.truncated)
        #expect(Set(refused.holders.map(\.holder.session)).count == WireLimits.heldHoldersMax, "no holder twice")

        // A shared request on the same subtree conflicts with nobody there.
        let reader = try cluster.openSession(owner: "reader@frontend")
        _ = try Self.granted(cluster.ask(Self.acquire(reader, 1, "acme/reports", .shared)))
    }
}

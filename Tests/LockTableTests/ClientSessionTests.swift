import LockTable
import PadlockTypes
import Testing

/// Sessions opened by authenticated clients: the table records the client on every replica, bounds how many
/// sessions each client has open, and keeps both in snapshots.
@Suite struct ClientSessionTests {
    var table = LockTable()
    var index: UInt64 = 0

    mutating func apply(_ command: Command) -> CommandResult {
        index += 1
        return table.apply(command, at: index, time: Timestamp(rawValue: index * 10)).result
    }

    mutating func open(
        _ client: String?, owner: String = "alice@fe", nonce: UInt64? = nil, quota: UInt64 = 0
    )
        -> CommandResult
    {
        let nonce = nonce ?? index
        guard let client else { return apply(.openSession(owner: owner, nonce: nonce, ttlMilliseconds: 10_000)) }
        return apply(
            .openClientSession(owner: owner, nonce: nonce, ttlMilliseconds: 10_000, client: client, sessionsMax: quota))
    }

    static func session(_ result: CommandResult) -> SessionID? {
        if case .sessionOpened(let id, _) = result { return id }
        return nil
    }

    @Test mutating func aClientAtItsSessionQuotaIsRefusedUntilOneOfItsSessionsEnds() throws {
        let first = try #require(Self.session(open("crm-a", quota: 2)))
        #expect(Self.session(open("crm-a", quota: 2)) != nil)
        #expect(open("crm-a", quota: 2) == .overloaded(.clientSessions))
        #expect(Self.session(open("crm-b", quota: 2)) != nil, "another client has its own quota")
        #expect(Self.session(open(nil)) != nil, "sessions opened without a client count against no client")
        #expect(table.sessionCount(ofClient: "crm-a") == 2)

        #expect(apply(.closeSession(RequestID(session: first, sequence: 1))) == .sessionClosed)
        #expect(Self.session(open("crm-a", quota: 2)) != nil, "closing one frees a place")
        #expect(open("crm-a", quota: 2) == .overloaded(.clientSessions))
        #expect(Self.session(open("crm-a", quota: 3)) != nil, "the quota in the entry is the one applied")
    }

    @Test mutating func eachSessionRemembersItsClientAndARetriedOpenIsRecognisedPerClient() throws {
        let a = try #require(Self.session(open("crm-a", owner: "alice@fe", nonce: 7)))
        let retried = try #require(Self.session(open("crm-a", owner: "alice@fe", nonce: 7)))
        #expect(retried == a, "the same client, owner and nonce are a retry")
        let b = try #require(Self.session(open("crm-b", owner: "alice@fe", nonce: 7)))
        #expect(b != a, "another client with the same owner and nonce gets a session of its own")
        let plain = try #require(Self.session(open(nil, owner: "alice@fe", nonce: 7)))
        #expect(plain != a && plain != b)

        #expect(table.session(a)?.client == "crm-a")
        #expect(table.session(b)?.client == "crm-b")
        #expect(table.session(plain)?.client == nil)
        #expect(table.sessions(ofClient: "crm-a") == [a])
        #expect(table.clientsWithSessions == ["crm-a", "crm-b"])

        _ = apply(.revokeSession(RequestID(session: plain, sequence: 1), session: a, reason: "disabled", admin: "ops"))
        #expect(table.sessions(ofClient: "crm-a").isEmpty)
        #expect(table.clientsWithSessions == ["crm-b"])
    }

    @Test mutating func snapshotsKeepEachSessionsClientAndTheQuotaCounts() throws {
        let a = try #require(Self.session(open("crm-a", quota: 1)))
        _ = open(nil)
        var restored = LockTable()
        try restored.restore(from: table.snapshot())
        #expect(restored.snapshot() == table.snapshot())
        #expect(restored.session(a)?.client == "crm-a")
        #expect(restored.sessionCount(ofClient: "crm-a") == 1)
        let refused = restored.apply(
            .openClientSession(owner: "bob@fe", nonce: 99, ttlMilliseconds: 10_000, client: "crm-a", sessionsMax: 1),
            at: index + 1, time: Timestamp(rawValue: index * 10 + 10))
        #expect(refused.result == .overloaded(.clientSessions), "the restored table counts the client's sessions")
    }

    /// Version 3 snapshots (before sessions recorded clients) still restore: their sessions have no client.
    @Test mutating func aVersionThreeSnapshotRestoresWithSessionsWithoutClients() throws {
        let owner = "zed-unique-owner@fe"
        let id = try #require(Self.session(open(nil, owner: owner)))
        let current = table.snapshot()
        // A version 3 snapshot is the same bytes without the empty client string after each owner.
        let ownerBytes = Array(owner.utf8)
        let at = try #require(
            (0...(current.count - ownerBytes.count)).first { Array(current[$0..<$0 + ownerBytes.count]) == ownerBytes })
        let clientAt = at + ownerBytes.count
        try #require(current[clientAt] == 0, "an empty client string is one zero byte")
        var old = current
        old.remove(at: clientAt)
        try #require(old[4] == 5, "the version byte follows the four-byte magic")
        old[4] = 3
        // Version 5 appended the holds (none here: one zero count); no waiter or audit record is written.
        try #require(old.last == 0, "an empty list of holds is one zero byte")
        old.removeLast()

        var restored = LockTable()
        try restored.restore(from: old)
        #expect(restored.session(id)?.owner == owner)
        #expect(restored.session(id)?.client == nil)
        #expect(restored.snapshot() == current, "it is written back as version 5")
    }
}

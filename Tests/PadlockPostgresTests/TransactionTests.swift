import PadlockPostgres
import PostgresNIO
import Testing

/// Rolled-back writers, blocked writers, dropped connections and isolation levels. Every interleaving is
/// arranged with row locks and waited for through `pg_stat_activity`, never with sleeps.
@Suite struct TransactionTests {
    let contacts = try! PostgresFencedRecords(table: "contacts")

    @Test func aFenceWrittenInsideATransactionThatRollsBackIsNotKept() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await createContacts(connection, ["42": 5])
            try await connection.execute("BEGIN")
            #expect(
                try await contacts.update(on: connection, key: "42", fence: FenceToken(30), set: ["phone": "new"])
                    == .applied)
            try await connection.execute("ROLLBACK")
            // Data and fence went together: the fence 30 never became visible, so fence 6 may still write.
            #expect(try await stored(connection, "42")?.fence == 5)
            #expect(
                try await contacts.update(on: connection, key: "42", fence: FenceToken(6), set: ["phone": "six"])
                    == .applied)
        }
    }

    @Test func aWriterInsideWithTransactionThatThrowsLeavesNothing() async throws {
        struct SaveFailed: Error {}
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await createContacts(connection, ["42": 5])
            let contacts = self.contacts
            await #expect(throws: PostgresTransactionError.self) {
                try await connection.withTransaction(logger: quiet) { connection in
                    _ = try await contacts.update(
                        on: connection, key: "42", fence: FenceToken(30), set: ["phone": "new"])
                    throw SaveFailed()
                }
            }
            #expect(try await stored(connection, "42")?.phone == "+41 44 000 00 00")
            #expect(try await stored(connection, "42")?.fence == 5)
        }
    }

    /// Under READ COMMITTED, a writer blocked on the row lock rechecks the fence condition against the version
    /// the lock holder committed, so an older fence queued behind a newer one is refused, and a newer one applies.
    @Test func underReadCommittedABlockedWriterSeesTheCommittedFence() async throws {
        try await TestDatabase.with { database in
            let (holder, older, newer, observer) = (
                try await database.connect(), try await database.connect(), try await database.connect(),
                try await database.connect()
            )
            try await createContacts(holder, ["42": 5])
            try await holder.execute("BEGIN")
            #expect(
                try await contacts.update(on: holder, key: "42", fence: FenceToken(10), set: ["phone": "ten"])
                    == .applied)
            let contacts = self.contacts
            // Each pid is asked before its connection starts the write that blocks: a connection runs one
            // statement at a time, so asking afterwards would queue the question behind the blocked write.
            let (olderPID, newerPID) = (try await older.backendPID(), try await newer.backendPID())
            let olderWrite = Task {
                try await contacts.update(on: older, key: "42", fence: FenceToken(9), set: ["phone": "nine"])
            }
            try await observer.waitUntilBlocked(olderPID)
            let newerWrite = Task {
                try await contacts.update(on: newer, key: "42", fence: FenceToken(11), set: ["phone": "eleven"])
            }
            try await observer.waitUntilBlocked(newerPID)
            try await holder.execute("COMMIT")
            let (olderResult, newerResult) = (try await olderWrite.value, try await newerWrite.value)
            #expect(newerResult == .applied)
            // The older writer ran after the holder's commit, before or after the newer writer.
            #expect(
                olderResult == .rejected(stored: FenceToken(10)) || olderResult == .rejected(stored: FenceToken(11)))
            #expect(try await stored(observer, "42")?.phone == "eleven")
        }
    }

    /// The backend of a writer waiting on a row lock is terminated: the call fails with a typed, retryable
    /// error, nothing of its write lands, and writing again on a new connection with the same fence applies.
    @Test func aConnectionDroppedMidStatementIsATypedRetryableErrorAndWritesNothing() async throws {
        try await TestDatabase.with { database in
            let (holder, doomed, observer) = (
                try await database.connect(), try await database.connect(), try await database.connect()
            )
            try await createContacts(holder, ["42": 5])
            try await holder.execute("BEGIN")
            #expect(
                try await contacts.update(on: holder, key: "42", fence: FenceToken(10), set: ["phone": "ten"])
                    == .applied)
            let contacts = self.contacts
            let pid = try await doomed.backendPID()  // before the write: asked after, it would queue behind it
            let write = Task {
                try await contacts.update(on: doomed, key: "42", fence: FenceToken(12), set: ["phone": "twelve"])
            }
            try await observer.waitUntilBlocked(pid)
            #expect(try await observer.scalar("SELECT pg_terminate_backend(\(pid))", as: Bool.self) == true)
            let lost = await #expect(throws: PostgresFencingError.self) { try await write.value }
            #expect(lost?.caseName == "connectionLost" && lost?.isRetryable == true)
            try await holder.execute("COMMIT")
            #expect(try await stored(observer, "42")?.phone == "ten")
            let again = try await database.connect()
            #expect(
                try await contacts.update(on: again, key: "42", fence: FenceToken(12), set: ["phone": "twelve"])
                    == .applied)
        }
    }

    /// Under REPEATABLE READ and SERIALIZABLE, a write to a row another transaction changed after this one's
    /// snapshot is a serialization failure, typed and retryable, whether the writer's fence is newer or older
    /// than the concurrent one; run again, the newer fence applies and the older one is refused as under READ
    /// COMMITTED. (A fence the snapshot already shows to be stale is simply refused: no row matches.)
    @Test(arguments: ["REPEATABLE READ", "SERIALIZABLE"])
    func aConcurrentChangeUnderSnapshotIsolationIsARetryableSerializationFailure(isolation: String) async throws {
        try await TestDatabase.with { database in
            let (first, second) = (try await database.connect(), try await database.connect())
            try await createContacts(first, ["a": 5, "b": 5])
            // Key a: a newer fence (25) after a concurrent 20; key b: an older fence (15) after a concurrent 25.
            let rounds: [(key: String, fence: UInt64, concurrent: UInt64, retried: FencedWrite)] = [
                ("a", 25, 20, .applied), ("b", 15, 25, .rejected(stored: FenceToken(25))),
            ]
            for (key, fence, concurrent, retried) in rounds {
                try await first.execute("BEGIN ISOLATION LEVEL \(isolation)", "SELECT count(*) FROM contacts")
                let meanwhile = try await contacts.update(on: second, key: key, fence: FenceToken(concurrent), set: [:])
                #expect(meanwhile == .applied)
                let conflict = await #expect(throws: PostgresFencingError.self) {
                    try await contacts.update(on: first, key: key, fence: FenceToken(fence), set: ["phone": "x"])
                }
                #expect(conflict?.caseName == "serializationFailure" && conflict?.sqlState == "40001")
                #expect(conflict?.isRetryable == true)
                try await first.execute("ROLLBACK", "BEGIN ISOLATION LEVEL \(isolation)")
                let again = try await contacts.update(
                    on: first, key: key, fence: FenceToken(fence), set: ["phone": "x"])
                #expect(again == retried)
                try await first.execute("COMMIT")
            }
        }
    }

    /// Write skew under SERIALIZABLE: each transaction reads the record the other one writes. PostgreSQL
    /// aborts one of them, at its write or at its commit; through `withTransaction` the failure is classified
    /// as the same retryable serialization failure.
    @Test func writeSkewUnderSerializableAbortsOneTransactionWithATypedError() async throws {
        try await TestDatabase.with { database in
            let (first, second) = (try await database.connect(), try await database.connect())
            try await createContacts(first, ["a": 1, "b": 1])
            try await first.execute("BEGIN ISOLATION LEVEL SERIALIZABLE", "SELECT fence FROM contacts WHERE key = 'a'")
            try await second.execute("BEGIN ISOLATION LEVEL SERIALIZABLE", "SELECT fence FROM contacts WHERE key = 'b'")
            var failures: [PostgresFencingError] = []
            for (connection, key) in [(first, "b"), (second, "a")] {
                do {
                    _ = try await contacts.update(on: connection, key: key, fence: FenceToken(2), set: ["phone": key])
                } catch { failures.append(try #require(PostgresFencingError(error))) }
            }
            for connection in [first, second] {
                do { try await connection.execute("COMMIT") } catch {
                    failures.append(try #require(PostgresFencingError(error)))
                }
            }
            #expect(failures.count == 1, "one of the two transactions is aborted: \(failures)")
            #expect(failures.allSatisfy { $0.caseName == "serializationFailure" && $0.isRetryable })
        }
    }

    @Test func withTransactionFailuresAreClassifiedThroughPostgresTransactionError() async throws {
        try await TestDatabase.with { database in
            let (first, second) = (try await database.connect(), try await database.connect())
            try await createContacts(first, ["42": 5])
            let contacts = self.contacts
            let failed = await #expect(throws: PostgresTransactionError.self) {
                try await first.withTransaction(logger: quiet) { connection in
                    try await connection.execute(
                        "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "SELECT fence FROM contacts")
                    _ = try await contacts.update(on: second, key: "42", fence: FenceToken(6), set: [:])
                    return try await contacts.update(on: connection, key: "42", fence: FenceToken(7), set: [:])
                }
            }
            let classified = failed.flatMap { PostgresFencingError($0) }
            #expect(classified?.caseName == "serializationFailure" && classified?.isRetryable == true)
        }
    }
}

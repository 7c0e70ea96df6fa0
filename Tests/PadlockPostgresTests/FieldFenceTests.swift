import PadlockPostgres
import PostgresNIO
import Testing

/// Field-level locks: `acme/contacts/42/phone` and `…/42/email` are held at once with unrelated fences, and the
/// whole-record lock `acme/contacts/42` conflicts with both.
@Suite struct FieldFenceTests {
    let phone = try! PostgresFencedRecords(table: "contacts", fenceColumn: "phone_fence")
    let email = try! PostgresFencedRecords(table: "contacts", fenceColumn: "email_fence")
    let record = try! PostgresFencedRecords(table: "contacts").covering(fieldFences: ["phone_fence", "email_fence"])

    func prepared(_ database: TestDatabase) async throws -> PostgresConnection {
        let connection = try await database.connect()
        try await createContacts(connection, ["42": 1])
        try await record.addFenceColumns(on: connection)
        return connection
    }

    @Test func siblingFieldLocksWriteTheirOwnFieldsWhateverTheOrderOfTheirFences() async throws {
        try await TestDatabase.with { database in
            let connection = try await prepared(database)
            // The email lock was granted after the phone lock (fence 21 > 20); both are held.
            let outcomes = [
                try await email.update(
                    on: connection, key: "42", fence: FenceToken(21), set: ["email": "dana@example.com"]),
                try await phone.update(
                    on: connection, key: "42", fence: FenceToken(20), set: ["phone": "+41 44 555 01 02"]),
            ]
            #expect(outcomes == [.applied, .applied], "one shared fence column would have rejected the phone holder")
        }
    }

    @Test func aStaleWholeRecordHolderIsRejectedByANewerFieldFence() async throws {
        try await TestDatabase.with { database in
            let connection = try await prepared(database)
            // The record lock (fence 30) lapsed; the phone lock was granted next (31) and wrote.
            let outcomes = [
                try await phone.update(on: connection, key: "42", fence: FenceToken(31), set: ["phone": "new"]),
                try await record.update(
                    on: connection, key: "42", fence: FenceToken(30), set: ["phone": "stale", "name": "stale"]),
            ]
            #expect(outcomes == [.applied, .rejected(stored: FenceToken(31))])
            #expect(try await stored(connection, "42")?.phone == "new")
        }
    }

    @Test func aWholeRecordWriteAdvancesEveryFieldFenceSoStaleFieldHoldersAreRejected() async throws {
        try await TestDatabase.with { database in
            let connection = try await prepared(database)
            let outcomes = [
                try await email.update(
                    on: connection, key: "42", fence: FenceToken(40), set: ["email": "old@example.com"]),
                try await record.update(
                    on: connection, key: "42", fence: FenceToken(45), set: ["email": "new@example.com"]),
                // A phone holder from before the record lock (fence 41, lapsed) tries to write.
                try await phone.update(on: connection, key: "42", fence: FenceToken(41), set: ["phone": "stale"]),
            ]
            #expect(outcomes == [.applied, .applied, .rejected(stored: FenceToken(45))])
            let read = try await record.read(on: connection, key: "42")
            #expect(read?.fence == FenceToken(45))
            #expect(try read?.row.makeRandomAccess()["phone_fence"].decode(Int64?.self) == 45)
        }
    }
}

import GRDB
import PadlockSQLite
import PadlockTypes
import Testing

/// Field-level locks: `acme/contacts/42/phone` and `…/42/email` are held at once with unrelated fences, and the
/// whole-record lock `acme/contacts/42` conflicts with both.
@Suite struct FieldFenceTests {
    let phone = try! FencedRecords(table: "contacts", fenceColumn: "phone_fence")
    let email = try! FencedRecords(table: "contacts", fenceColumn: "email_fence")
    let record = try! FencedRecords(table: "contacts").covering(fieldFences: ["phone_fence", "email_fence"])

    func database() throws -> DatabaseQueue {
        let database = try contactsDatabase(["42": 1])
        try database.write { db in try record.addFenceColumn(db) }
        return database
    }

    @Test func siblingFieldLocksWriteTheirOwnFieldsWhateverTheOrderOfTheirFences() throws {
        let database = try database()
        // The email lock was granted after the phone lock (fence 21 > 20); both are held.
        let outcomes = try database.write { db in
            [
                try email.update(db, key: "42", fence: FenceToken(21), set: ["email": "dana@example.com"]),
                try phone.update(db, key: "42", fence: FenceToken(20), set: ["phone": "+41 44 555 01 02"]),
            ]
        }
        #expect(outcomes == [.applied, .applied], "one shared fence column would have rejected the phone holder")
    }

    @Test func aStaleWholeRecordHolderIsRejectedByANewerFieldFence() throws {
        let database = try database()
        // The record lock (fence 30) lapsed; the phone lock was granted next (31) and wrote.
        let outcomes = try database.write { db in
            [
                try phone.update(db, key: "42", fence: FenceToken(31), set: ["phone": "new"]),
                try record.update(db, key: "42", fence: FenceToken(30), set: ["phone": "stale", "name": "stale"]),
            ]
        }
        #expect(outcomes == [.applied, .rejected(stored: FenceToken(31))])
        #expect(try stored(database, "42")?.phone == "new")
    }

    @Test func aWholeRecordWriteAdvancesEveryFieldFenceSoStaleFieldHoldersAreRejected() throws {
        let database = try database()
        let outcomes = try database.write { db in
            [
                try email.update(db, key: "42", fence: FenceToken(40), set: ["email": "old@example.com"]),
                try record.update(db, key: "42", fence: FenceToken(45), set: ["email": "new@example.com"]),
                // A phone holder from before the record lock (fence 41, lapsed) tries to write.
                try phone.update(db, key: "42", fence: FenceToken(41), set: ["phone": "stale"]),
            ]
        }
        #expect(outcomes == [.applied, .applied, .rejected(stored: FenceToken(45))])
        let read = try database.read { db in try record.read(db, key: "42") }
        #expect(read?.fence == FenceToken(45))
        #expect(read?.row["phone_fence"] == 45 as Int64)
    }
}

import GRDB
import PadlockSQLite
import PadlockTypes
import Testing

@Suite struct FencedRecordsTests {
    let contacts = try! FencedRecords(table: "contacts")

    @Test func aNewerFenceAppliesAndIsStoredWithTheData() throws {
        let database = try contactsDatabase(["42": 5])
        let outcome = try database.write { db in
            try contacts.update(db, key: "42", fence: FenceToken(7), set: ["phone": "+41 44 555 01 02"])
        }
        #expect(outcome == .applied)
        #expect(try stored(database, "42")?.phone == "+41 44 555 01 02")
        #expect(try stored(database, "42")?.fence == 7)
    }

    @Test func anOlderFenceIsRejectedWithTheStoredFenceAndChangesNothing() throws {
        let database = try contactsDatabase(["42": 9])
        let outcome = try database.write { db in
            try contacts.update(db, key: "42", fence: FenceToken(5), set: ["phone": "stale"])
        }
        #expect(outcome == .rejected(stored: FenceToken(9)))
        #expect(try stored(database, "42")?.phone == "+41 44 000 00 00")
        #expect(try stored(database, "42")?.fence == 9)
    }

    @Test func theSameHolderWritingTwiceWithItsFenceAppliesBothTimes() throws {
        let database = try contactsDatabase(["42": 5])
        let first = try database.write { db in
            try contacts.update(db, key: "42", fence: FenceToken(8), set: ["phone": "first"])
        }
        let second = try database.write { db in
            try contacts.update(db, key: "42", fence: FenceToken(8), set: ["phone": "second", "email": nil])
        }
        #expect(first == .applied && second == .applied)
        #expect(try stored(database, "42")?.phone == "second")
    }

    @Test func aMissingRecordIsReportedAndNotCreated() throws {
        let database = try contactsDatabase(["42": 5])
        let outcome = try database.write { db in
            try contacts.update(db, key: "43", fence: FenceToken(7), set: ["phone": "+41"])
        }
        #expect(outcome == .missing)
        #expect(try stored(database, "43") == nil)
    }

    @Test func aRecordThatPredatesFencingAcceptsTheFirstFenceThenEnforcesIt() throws {
        let database = try contactsDatabase()
        try database.write { db in try db.execute(sql: "INSERT INTO contacts (key, phone) VALUES ('7', 'old')") }
        let first = try database.write { db in
            try contacts.update(db, key: "7", fence: FenceToken(3), set: ["phone": "new"])
        }
        let older = try database.write { db in
            try contacts.update(db, key: "7", fence: FenceToken(2), set: ["phone": "stale"])
        }
        #expect(first == .applied)
        #expect(older == .rejected(stored: FenceToken(3)))
        #expect(try stored(database, "7")?.phone == "new")
    }

    @Test func anUpdateWithNoValuesStillShutsOutOlderHolders() throws {
        let database = try contactsDatabase(["42": 5])
        let claimed = try database.write { db in try contacts.update(db, key: "42", fence: FenceToken(20), set: [:]) }
        let older = try database.write { db in
            try contacts.update(db, key: "42", fence: FenceToken(19), set: ["phone": "stale"])
        }
        #expect(claimed == .applied)
        #expect(older == .rejected(stored: FenceToken(20)))
    }

    @Test func upsertCreatesNewRecordsAndUpdatesExistingOnesUnderTheSameRule() throws {
        let database = try contactsDatabase()
        let created = try database.write { db in
            try contacts.upsert(db, key: "100", fence: FenceToken(11), values: ["name": "Dana", "phone": "1"])
        }
        let stale = try database.write { db in
            try contacts.upsert(db, key: "100", fence: FenceToken(10), values: ["name": "Stale", "phone": "0"])
        }
        let newer = try database.write { db in
            try contacts.upsert(db, key: "100", fence: FenceToken(12), values: ["phone": "2"])
        }
        #expect(created == .applied)
        #expect(stale == .rejected(stored: FenceToken(11)))
        #expect(newer == .applied)
        let record = try #require(try database.read { db in try contacts.read(db, key: "100") })
        #expect(record.fence == FenceToken(12))
        #expect(record.row["name"] == "Dana", "an upsert leaves the columns it does not name alone")
        #expect(record.row["phone"] == "2")
    }

    @Test func readReportsTheFenceAndNilForAMissingRecord() throws {
        let database = try contactsDatabase(["42": 5])
        try database.write { db in try db.execute(sql: "INSERT INTO contacts (key) VALUES ('unfenced')") }
        let (record, unfenced, missing) = try database.read { db in
            (try contacts.read(db, key: "42"), try contacts.read(db, key: "unfenced"), try contacts.read(db, key: "9"))
        }
        #expect(record?.fence == FenceToken(5))
        #expect(record?.row["name"] == "Contact 42")
        #expect(unfenced != nil && unfenced?.fence == nil)
        #expect(missing == nil)
    }

    @Test func aFenceWrittenInsideATransactionThatRollsBackIsNotKept() throws {
        struct SaveFailed: Error {}
        let database = try contactsDatabase(["42": 5])
        #expect(throws: SaveFailed.self) {
            try database.write { db in
                #expect(try contacts.update(db, key: "42", fence: FenceToken(30), set: ["phone": "new"]) == .applied)
                throw SaveFailed()
            }
        }
        // Data and fence went together: the fence 30 never became visible, so fence 6 may still write.
        #expect(try stored(database, "42")?.fence == 5)
        let later = try database.write { db in
            try contacts.update(db, key: "42", fence: FenceToken(6), set: ["phone": "six"])
        }
        #expect(later == .applied)
    }

    @Test func writesOutsideAnyTransactionOpenTheirOwn() throws {
        let database = try contactsDatabase(["42": 5])
        let (newer, older) = try database.writeWithoutTransaction { db in
            let newer = try contacts.update(db, key: "42", fence: FenceToken(6), set: ["phone": "six"])
            let older = try contacts.upsert(db, key: "42", fence: FenceToken(4), values: ["phone": "four"])
            #expect(!db.isInsideTransaction, "the helper's own transaction is committed")
            return (newer, older)
        }
        #expect(newer == .applied && older == .rejected(stored: FenceToken(6)))
    }

    @Test func tableAndColumnNamesThatAreSQLKeywordsWork() throws {
        let database = try DatabaseQueue()
        try database.write { db in
            try db.execute(sql: #"CREATE TABLE "order" ("group" TEXT PRIMARY KEY, "select" TEXT, "where" INTEGER)"#)
        }
        let orders = try FencedRecords(table: "order", keyColumn: "group", fenceColumn: "where")
        let outcomes = try database.write { db in
            [
                try orders.upsert(db, key: "1", fence: FenceToken(2), values: ["select": "a"]),
                try orders.update(db, key: "1", fence: FenceToken(1), set: ["select": "b"]),
            ]
        }
        #expect(outcomes == [.applied, .rejected(stored: FenceToken(2))])
    }
}

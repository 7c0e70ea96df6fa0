import GRDB
import PadlockSQLite
import PadlockTypes
import Testing

@Suite struct SchemaTests {
    @Test func addFenceColumnPreparesAnExistingTableAndIsIdempotent() throws {
        let database = try DatabaseQueue()
        try database.write { db in
            // A CRM table from before fencing: the key column is neither the primary key nor unique.
            try db.execute(sql: "CREATE TABLE deals (id INTEGER PRIMARY KEY, deal_key TEXT NOT NULL, stage TEXT)")
            try db.execute(sql: "INSERT INTO deals (deal_key, stage) VALUES ('d1', 'lead'), ('d2', 'won')")
        }
        let deals = try FencedRecords(table: "deals", keyColumn: "deal_key")
        #expect(throws: FencingError.noSuchColumn(table: "deals", column: "fence")) {
            try database.read { db in try deals.checkSchema(db) }
        }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("fence deals") { db in try deals.addFenceColumn(db) }
        try migrator.migrate(database)
        try database.write { db in try deals.addFenceColumn(db) }  // a second run changes nothing

        try database.read { db in try deals.checkSchema(db, writing: ["stage"]) }
        let outcomes = try database.write { db in
            [
                try deals.update(db, key: "d1", fence: FenceToken(4), set: ["stage": "qualified"]),
                try deals.update(db, key: "d1", fence: FenceToken(3), set: ["stage": "lost"]),
                try deals.upsert(db, key: "d3", fence: FenceToken(5), values: ["stage": "lead"]),
            ]
        }
        #expect(outcomes == [.applied, .rejected(stored: FenceToken(4)), .applied])
        let d2 = try database.read { db in try deals.read(db, key: "d2") }
        #expect(d2?.fence == nil, "existing rows were never written under a lock")
    }

    @Test func addFenceColumnRefusesAKeyColumnThatTwoRowsShare() throws {
        let database = try DatabaseQueue()
        try database.write { db in
            try db.execute(sql: "CREATE TABLE notes (note_key TEXT, body TEXT)")
            try db.execute(sql: "INSERT INTO notes VALUES ('n1', 'a'), ('n1', 'b')")
        }
        let notes = try FencedRecords(table: "notes", keyColumn: "note_key")
        #expect(throws: DatabaseError.self) { try database.write { db in try notes.addFenceColumn(db) } }
        let columns = try database.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('notes')")
        }
        #expect(!columns.contains("fence"), "the failed migration added nothing")
        #expect(throws: FencingError.noSuchColumn(table: "notes", column: "fence")) {
            try database.read { db in try notes.checkSchema(db) }
        }
    }

    @Test func aKeyColumnWithoutAUniqueIndexIsRefusedBeforeWriting() throws {
        let database = try DatabaseQueue()
        try database.write { db in
            try db.execute(sql: "CREATE TABLE notes (note_key TEXT, body TEXT, fence INTEGER)")
            try db.execute(sql: "INSERT INTO notes VALUES ('n1', 'a', 1), ('n1', 'b', 1)")
        }
        let notes = try FencedRecords(table: "notes", keyColumn: "note_key")
        #expect(throws: FencingError.keyNotUnique(table: "notes", column: "note_key")) {
            try database.write { db in try notes.update(db, key: "n1", fence: FenceToken(2), set: ["body": "c"]) }
        }
    }

    @Test func aFenceColumnThatWouldCompareAsTextIsRefused() throws {
        let database = try DatabaseQueue()
        try database.write { db in try db.execute(sql: "CREATE TABLE tags (key TEXT PRIMARY KEY, fence TEXT)") }
        let tags = try FencedRecords(table: "tags")
        let expected = FencingError.fenceColumnNotInteger(table: "tags", column: "fence", type: "TEXT")
        #expect(throws: expected) {
            try database.write { db in try tags.upsert(db, key: "t", fence: FenceToken(9), values: [:]) }
        }
        #expect(throws: expected) { try database.write { db in try tags.addFenceColumn(db) } }
    }

    @Test func missingTablesAndColumnsAreNamed() throws {
        let database = try contactsDatabase(["42": 1])
        let deals = try FencedRecords(table: "deals")
        #expect(throws: FencingError.noSuchTable("deals")) {
            try database.read { db in try deals.read(db, key: "1") }
        }
        let contacts = try FencedRecords(table: "contacts")
        #expect(throws: FencingError.noSuchColumn(table: "contacts", column: "fax")) {
            try database.write { db in try contacts.update(db, key: "42", fence: FenceToken(2), set: ["fax": "1"]) }
        }
        let otherFence = try FencedRecords(table: "contacts", fenceColumn: "version")
        #expect(throws: FencingError.noSuchColumn(table: "contacts", column: "version")) {
            try database.read { db in try otherFence.read(db, key: "42") }
        }
    }

    @Test func aStoredFenceThatIsNotAFenceIsReported() throws {
        let database = try contactsDatabase()
        try database.write { db in try db.execute(sql: "INSERT INTO contacts (key, fence) VALUES ('x', 'abc')") }
        let contacts = try FencedRecords(table: "contacts")
        let expected = FencingError.storedFenceInvalid(key: "x", column: "fence", value: "\"abc\"")
        #expect(throws: expected) {
            try database.write { db in try contacts.update(db, key: "x", fence: FenceToken(5), set: ["phone": "1"]) }
        }
        #expect(throws: expected) { try database.read { db in try contacts.read(db, key: "x") } }
    }
}

import PadlockPostgres
import PostgresNIO
import Testing

@Suite struct SchemaTests {
    @Test func addFenceColumnsPreparesALiveTableWithoutRewritingItAndIsIdempotent() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            // A CRM table from before fencing: the key column is neither the primary key nor unique.
            try await connection.execute(
                "CREATE TABLE deals (id bigserial PRIMARY KEY, deal_key text NOT NULL, stage text)",
                "INSERT INTO deals (deal_key, stage) SELECT 'd' || n, 'lead' FROM generate_series(1, 2000) n")
            let fileBefore = try await connection.scalar(
                "SELECT relfilenode::bigint FROM pg_class WHERE relname = 'deals'", as: Int64.self)
            let deals = try PostgresFencedRecords(table: "deals", keyColumn: "deal_key")
            await #expect(throws: PostgresFencingError.noSuchColumn(table: "deals", column: "fence")) {
                try await deals.checkSchema(on: connection)
            }
            try await deals.addFenceColumns(on: connection)
            try await deals.addFenceColumns(on: connection)  // a second run changes nothing
            let fileAfter = try await connection.scalar(
                "SELECT relfilenode::bigint FROM pg_class WHERE relname = 'deals'", as: Int64.self)
            #expect(fileBefore == fileAfter, "adding a nullable column without a default rewrites no row")
            let indexes = try await connection.scalar(
                "SELECT count(*) FROM pg_indexes WHERE tablename = 'deals'", as: Int64.self)
            #expect(indexes == 2, "the primary key and one unique index on deal_key")

            try await deals.checkSchema(on: connection, writing: ["stage"])
            let outcomes = [
                try await deals.update(on: connection, key: "d1", fence: FenceToken(4), set: ["stage": "qualified"]),
                try await deals.update(on: connection, key: "d1", fence: FenceToken(3), set: ["stage": "lost"]),
                try await deals.upsert(on: connection, key: "d3000", fence: FenceToken(5), values: ["stage": "lead"]),
            ]
            #expect(outcomes == [.applied, .rejected(stored: FenceToken(4)), .applied])
            #expect(try await deals.read(on: connection, key: "d2")?.fence == nil, "existing rows were never fenced")
        }
    }

    @Test func theMigrationGivesUpInsteadOfQueueingBehindALongTransaction() async throws {
        try await TestDatabase.with { database in
            let reader = try await database.connect()
            let migrating = try await database.connect()
            try await reader.execute(
                "CREATE TABLE notes (key text PRIMARY KEY, body text)", "INSERT INTO notes VALUES ('n1', 'a')")
            // A long report holds a lock on the table that ALTER TABLE must wait for.
            try await reader.execute("BEGIN", "SELECT * FROM notes")
            let notes = try PostgresFencedRecords(table: "notes")
            let refused = await #expect(throws: PostgresFencingError.self) {
                try await notes.addFenceColumns(on: migrating, lockTimeout: .milliseconds(100))
            }
            #expect(refused?.caseName == "lockTimeout" && refused?.isRetryable == true)
            #expect(refused?.description.contains("\"notes\"") == true)
            // The failed attempt left the table alone and the connection usable; after the report, it runs.
            try await reader.execute("COMMIT")
            try await notes.addFenceColumns(on: migrating, lockTimeout: .milliseconds(100))
            #expect(
                try await notes.upsert(on: migrating, key: "n1", fence: FenceToken(2), values: ["body": "b"])
                    == .applied)
        }
    }

    @Test func aUniqueIndexThatCannotBeBuiltIsReportedAndLeavesNothingBehind() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await connection.execute(
                "CREATE TABLE notes (note_key text, body text)", "INSERT INTO notes VALUES ('n1', 'a'), ('n1', 'b')")
            let notes = try PostgresFencedRecords(table: "notes", keyColumn: "note_key")
            let refused = await #expect(throws: PostgresFencingError.self) {
                try await notes.addFenceColumns(on: connection)
            }
            #expect(refused?.caseName == "server" && refused?.sqlState == "23505")  // unique_violation
            let leftovers = try await connection.scalar(
                "SELECT count(*) FROM pg_indexes WHERE tablename = 'notes'", as: Int64.self)
            #expect(leftovers == 0, "the half-built index was dropped")
            await #expect(throws: PostgresFencingError.keyNotUnique(table: "notes", column: "note_key")) {
                try await notes.update(on: connection, key: "n1", fence: FenceToken(2), set: ["body": "c"])
            }
            // Once the duplicate is gone, the same migration completes.
            try await connection.execute("DELETE FROM notes WHERE body = 'b'")
            try await notes.addFenceColumns(on: connection)
            #expect(
                try await notes.update(on: connection, key: "n1", fence: FenceToken(2), set: ["body": "c"]) == .applied)
        }
    }

    @Test func aFenceColumnThatIsNotBigintIsRefused() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await connection.execute("CREATE TABLE tags (key text PRIMARY KEY, fence text)")
            let tags = try PostgresFencedRecords(table: "tags")
            let expected = PostgresFencingError.fenceColumnNotBigint(table: "tags", column: "fence", type: "text")
            await #expect(throws: expected) {
                try await tags.upsert(on: connection, key: "t", fence: FenceToken(9), values: [:])
            }
            await #expect(throws: expected) { try await tags.addFenceColumns(on: connection) }
        }
    }

    @Test func missingTablesAndColumnsAreNamed() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await createContacts(connection, ["42": 1])
            let deals = try PostgresFencedRecords(table: "deals")
            await #expect(throws: PostgresFencingError.noSuchTable("deals")) {
                try await deals.read(on: connection, key: "1")
            }
            let contacts = try PostgresFencedRecords(table: "contacts")
            await #expect(throws: PostgresFencingError.noSuchColumn(table: "contacts", column: "fax")) {
                try await contacts.update(on: connection, key: "42", fence: FenceToken(2), set: ["fax": "1"])
            }
            let otherFence = try PostgresFencedRecords(table: "contacts", fenceColumn: "version")
            await #expect(throws: PostgresFencingError.noSuchColumn(table: "contacts", column: "version")) {
                try await otherFence.read(on: connection, key: "42")
            }
        }
    }

    @Test func aStoredFenceThatIsNotAFenceIsReported() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await createContacts(connection)
            try await connection.execute("INSERT INTO contacts (key, fence) VALUES ('x', -3)")
            let contacts = try PostgresFencedRecords(table: "contacts")
            let expected = PostgresFencingError.storedFenceInvalid(key: "x", column: "fence", value: "-3")
            await #expect(throws: expected) { try await contacts.read(on: connection, key: "x") }
        }
    }

    @Test func aServerErrorOfTheCallersSchemaIsTypedWithItsMessage() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await createContacts(connection, ["42": 1])
            try await connection.execute(
                "ALTER TABLE contacts ADD CONSTRAINT phone_digits CHECK (phone ~ '^[+0-9 ]*$')")
            let contacts = try PostgresFencedRecords(table: "contacts")
            let refused = await #expect(throws: PostgresFencingError.self) {
                try await contacts.update(on: connection, key: "42", fence: FenceToken(2), set: ["phone": "call me"])
            }
            #expect(refused?.sqlState == "23514" && refused?.description.contains("phone_digits") == true)
        }
    }
}

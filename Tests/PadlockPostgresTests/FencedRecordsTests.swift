import PadlockPostgres
import PostgresNIO
import Testing

/// The cases of PadlockSQLiteTests' FencedRecordsTests, against a real PostgreSQL server.
@Suite struct FencedRecordsTests {
    let contacts = try! PostgresFencedRecords(table: "contacts")

    @Test func aNewerFenceAppliesAndIsStoredWithTheData() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await createContacts(connection, ["42": 5])
            let outcome = try await contacts.update(
                on: connection, key: "42", fence: FenceToken(7), set: ["phone": "+41 44 555 01 02"])
            #expect(outcome == .applied)
            #expect(try await stored(connection, "42")?.phone == "+41 44 555 01 02")
            #expect(try await stored(connection, "42")?.fence == 7)
        }
    }

    @Test func anOlderFenceIsRejectedWithTheStoredFenceAndChangesNothing() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await createContacts(connection, ["42": 9])
            let outcome = try await contacts.update(
                on: connection, key: "42", fence: FenceToken(5), set: ["phone": "stale"])
            #expect(outcome == .rejected(stored: FenceToken(9)))
            #expect(try await stored(connection, "42")?.phone == "+41 44 000 00 00")
            #expect(try await stored(connection, "42")?.fence == 9)
        }
    }

    @Test func theSameHolderWritingTwiceWithItsFenceAppliesBothTimes() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await createContacts(connection, ["42": 5])
            let first = try await contacts.update(
                on: connection, key: "42", fence: FenceToken(8), set: ["phone": "first"])
            let second = try await contacts.update(
                on: connection, key: "42", fence: FenceToken(8), set: ["phone": "second", "email": nil])
            #expect(first == .applied && second == .applied)
            #expect(try await stored(connection, "42")?.phone == "second")
        }
    }

    @Test func aMissingRecordIsReportedAndNotCreated() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await createContacts(connection, ["42": 5])
            let outcome = try await contacts.update(
                on: connection, key: "43", fence: FenceToken(7), set: ["phone": "+41"])
            #expect(outcome == .missing)
            #expect(try await stored(connection, "43") == nil)
        }
    }

    @Test func aRecordThatPredatesFencingAcceptsTheFirstFenceThenEnforcesIt() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await createContacts(connection)
            try await connection.execute("INSERT INTO contacts (key, phone) VALUES ('7', 'old')")
            let first = try await contacts.update(on: connection, key: "7", fence: FenceToken(3), set: ["phone": "new"])
            let older = try await contacts.update(
                on: connection, key: "7", fence: FenceToken(2), set: ["phone": "stale"])
            #expect(first == .applied)
            #expect(older == .rejected(stored: FenceToken(3)))
            #expect(try await stored(connection, "7")?.phone == "new")
        }
    }

    @Test func anUpdateWithNoValuesStillShutsOutOlderHolders() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await createContacts(connection, ["42": 5])
            let claimed = try await contacts.update(on: connection, key: "42", fence: FenceToken(20), set: [:])
            let older = try await contacts.update(on: connection, key: "42", fence: FenceToken(19), set: ["phone": "x"])
            #expect(claimed == .applied)
            #expect(older == .rejected(stored: FenceToken(20)))
        }
    }

    @Test func upsertCreatesNewRecordsAndUpdatesExistingOnesUnderTheSameRule() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await createContacts(connection)
            let created = try await contacts.upsert(
                on: connection, key: "100", fence: FenceToken(11), values: ["name": "Dana", "phone": "1"])
            let stale = try await contacts.upsert(
                on: connection, key: "100", fence: FenceToken(10), values: ["name": "Stale", "phone": "0"])
            let newer = try await contacts.upsert(
                on: connection, key: "100", fence: FenceToken(12), values: ["phone": "2"])
            #expect(created == .applied)
            #expect(stale == .rejected(stored: FenceToken(11)))
            #expect(newer == .applied)
            let record = try #require(try await contacts.read(on: connection, key: "100"))
            #expect(record.fence == FenceToken(12))
            #expect(try column(record, "name") == "Dana", "an upsert leaves the columns it does not name alone")
            #expect(try column(record, "phone") == "2")
        }
    }

    @Test func readReportsTheFenceAndNilForAMissingRecord() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await createContacts(connection, ["42": 5])
            try await connection.execute("INSERT INTO contacts (key) VALUES ('unfenced')")
            let record = try await contacts.read(on: connection, key: "42")
            let unfenced = try await contacts.read(on: connection, key: "unfenced")
            #expect(record?.fence == FenceToken(5))
            #expect(try column(record, "name") == "Contact 42")
            #expect(unfenced != nil && unfenced?.fence == nil)
            #expect(try await contacts.read(on: connection, key: "9") == nil)
        }
    }

    @Test func tableAndColumnNamesThatAreSQLKeywordsWork() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await connection.execute(
                #"CREATE TABLE "order" ("group" text PRIMARY KEY, "select" text, "where" bigint)"#)
            let orders = try PostgresFencedRecords(table: "order", keyColumn: "group", fenceColumn: "where")
            let first = try await orders.upsert(on: connection, key: "1", fence: FenceToken(2), values: ["select": "a"])
            let second = try await orders.update(on: connection, key: "1", fence: FenceToken(1), set: ["select": "b"])
            #expect([first, second] == [.applied, .rejected(stored: FenceToken(2))])
        }
    }

    @Test func namesAreFoldedToLowerCaseAsPostgreSQLFoldsUnquotedNames() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await connection.execute("CREATE TABLE Deals (Deal_Key text PRIMARY KEY, Stage text, Fence bigint)")
            let deals = try PostgresFencedRecords(table: "DEALS", keyColumn: "deal_key", fenceColumn: "FENCE")
            let outcome = try await deals.upsert(
                on: connection, key: "d1", fence: FenceToken(4), values: ["STAGE": "lead"])
            #expect(outcome == .applied)
            #expect(try await connection.scalar("SELECT stage FROM deals", as: String.self) == "lead")
        }
    }

    @Test func anIntegerKeyColumnTakesTextKeysAndKeepsItsIndex() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await connection.execute(
                "CREATE TABLE tickets (id bigint PRIMARY KEY, title text, fence bigint)",
                "INSERT INTO tickets (id, title) VALUES (17, 'printer')")
            let tickets = try PostgresFencedRecords(table: "tickets", keyColumn: "id")
            let outcomes = [
                try await tickets.update(on: connection, key: "17", fence: FenceToken(3), set: ["title": "scanner"]),
                try await tickets.upsert(on: connection, key: "18", fence: FenceToken(4), values: ["title": "fax"]),
                try await tickets.update(on: connection, key: "17", fence: FenceToken(2), set: ["title": "stale"]),
            ]
            #expect(outcomes == [.applied, .applied, .rejected(stored: FenceToken(3))])
            #expect(try await tickets.read(on: connection, key: "18")?.fence == FenceToken(4))
        }
    }

    @Test func thePoolOverloadsLeaseAConnectionPerWrite() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await createContacts(connection, ["42": 5])
            let client = database.client(maximumConnections: 2)
            try await withRunning(client) {
                let newer = try await contacts.update(on: client, key: "42", fence: FenceToken(6), set: ["phone": "6"])
                let older = try await contacts.upsert(
                    on: client, key: "42", fence: FenceToken(4), values: ["phone": "4"])
                let read = try await contacts.read(on: client, key: "42")
                #expect(newer == .applied && older == .rejected(stored: FenceToken(6)))
                #expect(read?.fence == FenceToken(6))
            }
        }
    }
}

/// Runs `body` while `client` runs, then stops the client.
func withRunning<T>(_ client: PostgresClient, _ body: () async throws -> T) async throws -> T {
    let running = Task { await client.run() }
    defer { running.cancel() }
    return try await body()
}

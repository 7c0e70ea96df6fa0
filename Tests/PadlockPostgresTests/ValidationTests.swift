import PadlockPostgres
import PostgresNIO
import Testing

@Suite struct ValidationTests {
    @Test(arguments: [
        "", "1contacts", "contacts; DROP TABLE contacts", "contacts--", "crm.contacts", "con tacts", "\"contacts\"",
        "kontaktë", "pg_class", "PG_temp", String(repeating: "a", count: 64), "a\u{0}b",
    ])
    func tableNamesThatAreNotPlainIdentifiersAreRefused(name: String) {
        #expect(throws: PostgresFencingError.invalidIdentifier(name, role: .table)) {
            try PostgresFencedRecords(table: name)
        }
    }

    @Test func plainIdentifiersAreAccepted() throws {
        let long = String(repeating: "a", count: PostgresFencedRecords.identifierLengthMax)
        for name in ["contacts", "_private", "Contacts2", "crm_contacts_v2", long] {
            #expect(throws: Never.self) { try PostgresFencedRecords(table: name) }
        }
    }

    @Test func badKeyAndFenceColumnNamesAreRefusedWithTheirRole() {
        #expect(throws: PostgresFencingError.invalidIdentifier("record key", role: .keyColumn)) {
            try PostgresFencedRecords(table: "contacts", keyColumn: "record key")
        }
        #expect(throws: PostgresFencingError.invalidIdentifier("fence'", role: .fenceColumn)) {
            try PostgresFencedRecords(table: "contacts", fenceColumn: "fence'")
        }
        #expect(throws: PostgresFencingError.duplicateColumn("KEY")) {
            try PostgresFencedRecords(table: "contacts", keyColumn: "key", fenceColumn: "KEY")
        }
        let contacts = try? PostgresFencedRecords(table: "contacts")
        #expect(throws: PostgresFencingError.duplicateColumn("Fence")) {
            try contacts?.covering(fieldFences: ["Fence"])
        }
    }

    @Test func valuesThatNameTheKeyOrAFenceOrABadColumnAreRefusedBeforeWriting() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await createContacts(connection, ["42": 5])
            let contacts = try PostgresFencedRecords(table: "contacts")
            let cases: [([String: PostgresFencedValue], PostgresFencingError)] = [
                (["key": "43"], .reservedColumn("key")),
                (["FENCE": 99], .reservedColumn("FENCE")),
                (["phone = 1; --": "x"], .invalidIdentifier("phone = 1; --", role: .column)),
                (["Phone": "a", "phone": "b"], .duplicateColumn("phone")),
            ]
            for (values, expected) in cases {
                await #expect(throws: expected) {
                    try await contacts.update(on: connection, key: "42", fence: FenceToken(6), set: values)
                }
                await #expect(throws: expected) {
                    try await contacts.upsert(on: connection, key: "42", fence: FenceToken(6), values: values)
                }
            }
            #expect(try await stored(connection, "42")?.fence == 5)
        }
    }

    @Test func anEmptyKeyAndAFenceBeyondBigintAreRefused() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await createContacts(connection, ["42": 5])
            let contacts = try PostgresFencedRecords(table: "contacts")
            await #expect(throws: PostgresFencingError.emptyKey) {
                try await contacts.update(on: connection, key: "", fence: FenceToken(6), set: [:])
            }
            await #expect(throws: PostgresFencingError.emptyKey) { try await contacts.read(on: connection, key: "") }
            let huge = FenceToken(UInt64(Int64.max) + 1)
            await #expect(throws: PostgresFencingError.fenceOutOfRange(huge)) {
                try await contacts.upsert(on: connection, key: "42", fence: huge, values: [:])
            }
            let largest = FenceToken(UInt64(Int64.max))
            #expect(try await contacts.update(on: connection, key: "42", fence: largest, set: [:]) == .applied)
            #expect(try await contacts.read(on: connection, key: "42")?.fence == largest)
        }
    }

    @Test func errorsSayWhatIsWrongAndWhichAreRetryable() {
        #expect(
            PostgresFencingError.invalidIdentifier("a b", role: .keyColumn).description
                .contains("key column name \"a b\""))
        #expect(PostgresFencingError.keyNotUnique(table: "t", column: "k").description.contains("unique index"))
        let conflict = PostgresFencingError.serializationFailure(sqlState: "40001", message: "could not serialize")
        #expect(conflict.isRetryable && conflict.description.contains("run it again with the same fence"))
        #expect(PostgresFencingError.connectionLost(message: "gone").isRetryable)
        #expect(!PostgresFencingError.server(sqlState: "23505", message: "duplicate").isRetryable)
        #expect(PostgresFencingError(ServerError("not from PostgreSQL")) == nil)
    }
}

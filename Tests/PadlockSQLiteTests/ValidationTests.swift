import GRDB
import PadlockSQLite
import PadlockTypes
import Testing

@Suite struct ValidationTests {
    @Test(arguments: [
        "", "1contacts", "contacts; DROP TABLE contacts", "contacts--", "crm.contacts", "con tacts", "\"contacts\"",
        "kontaktë", "sqlite_master", "SQLITE_temp", String(repeating: "a", count: 129), "a\u{0}b",
    ])
    func tableNamesThatAreNotPlainIdentifiersAreRefused(name: String) {
        #expect(throws: FencingError.invalidIdentifier(name, role: .table)) { try FencedRecords(table: name) }
    }

    @Test func plainIdentifiersAreAccepted() throws {
        let long = String(repeating: "a", count: FencedRecords.identifierLengthMax)
        for name in ["contacts", "_private", "Contacts2", "crm_contacts_v2", long] {
            #expect(throws: Never.self) { try FencedRecords(table: name) }
        }
    }

    @Test func badKeyAndFenceColumnNamesAreRefusedWithTheirRole() {
        #expect(throws: FencingError.invalidIdentifier("record key", role: .keyColumn)) {
            try FencedRecords(table: "contacts", keyColumn: "record key")
        }
        #expect(throws: FencingError.invalidIdentifier("fence'", role: .fenceColumn)) {
            try FencedRecords(table: "contacts", fenceColumn: "fence'")
        }
        #expect(throws: FencingError.duplicateColumn("KEY")) {
            try FencedRecords(table: "contacts", keyColumn: "key", fenceColumn: "KEY")
        }
    }

    @Test func coveredFieldFencesMustBeNewPlainNames() throws {
        let contacts = try FencedRecords(table: "contacts")
        #expect(throws: FencingError.duplicateColumn("Fence")) { try contacts.covering(fieldFences: ["Fence"]) }
        #expect(throws: FencingError.duplicateColumn("phone_fence")) {
            try contacts.covering(fieldFences: ["phone_fence", "phone_fence"])
        }
        #expect(throws: FencingError.invalidIdentifier("phone-fence", role: .fenceColumn)) {
            try contacts.covering(fieldFences: ["phone-fence"])
        }
    }

    @Test func valuesThatNameTheKeyOrAFenceOrABadColumnAreRefusedBeforeWriting() throws {
        let database = try contactsDatabase(["42": 5])
        let contacts = try FencedRecords(table: "contacts")
        let cases: [([String: (any DatabaseValueConvertible)?], FencingError)] = [
            (["key": "43"], .reservedColumn("key")),
            (["FENCE": 99], .reservedColumn("FENCE")),
            (["phone = 1; --": "x"], .invalidIdentifier("phone = 1; --", role: .column)),
            (["Phone": "a", "phone": "b"], .duplicateColumn("phone")),
        ]
        for (values, expected) in cases {
            #expect(throws: expected) {
                try database.write { db in try contacts.update(db, key: "42", fence: FenceToken(6), set: values) }
            }
            #expect(throws: expected) {
                try database.write { db in try contacts.upsert(db, key: "42", fence: FenceToken(6), values: values) }
            }
        }
        #expect(try stored(database, "42")?.fence == 5)
    }

    @Test func anEmptyKeyAndAFenceBeyondSQLiteIntegersAreRefused() throws {
        let database = try contactsDatabase(["42": 5])
        let contacts = try FencedRecords(table: "contacts")
        #expect(throws: FencingError.emptyKey) {
            try database.write { db in try contacts.update(db, key: "", fence: FenceToken(6), set: [:]) }
        }
        #expect(throws: FencingError.emptyKey) { try database.read { db in try contacts.read(db, key: "") } }
        let huge = FenceToken(UInt64(Int64.max) + 1)
        #expect(throws: FencingError.fenceOutOfRange(huge)) {
            try database.write { db in try contacts.upsert(db, key: "42", fence: huge, values: [:]) }
        }
        let largest = FenceToken(UInt64(Int64.max))
        let outcome = try database.write { db in try contacts.update(db, key: "42", fence: largest, set: [:]) }
        #expect(outcome == .applied)
        #expect(try database.read { db in try contacts.read(db, key: "42")?.fence } == largest)
    }

    @Test func errorsSayWhatIsWrong() {
        #expect(FencingError.invalidIdentifier("a b", role: .keyColumn).description.contains("key column name \"a b\""))
        #expect(FencingError.keyNotUnique(table: "t", column: "k").description.contains("unique index"))
    }
}

import Foundation
import GRDB
import PadlockClient
import PadlockSQLite

/// One contact as the editor shows it.
struct Contact: Sendable {
    var id: String
    var name: String
    var phone: String
    var email: String
    var editedBy: String
    var edits: Int
    var fence: FenceToken?
}

/// The CRM's contacts database: a SQLite file written only through fenced writes.
///
/// Record `id` of tenant `tenant` is fenced by the lock `tenant/contacts/id`; its fields `phone` and `email` by
/// `tenant/contacts/id/phone` and `…/email`, whose fences live in their own columns (docs/fencing.md).
struct ContactStore: Sendable {
    let database: DatabasePool
    /// Whole-record writes: check and advance the record fence and both field fences.
    let records: FencedRecords
    /// Field writes under a field lock.
    let phoneField: FencedRecords
    let emailField: FencedRecords

    /// Opens (or creates) the database at `path` with `count` contacts.
    static func open(path: String, count: Int) throws -> ContactStore {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let database = try DatabasePool(path: path, configuration: configuration)
        let records = try FencedRecords(table: "contacts", keyColumn: "id")
            .covering(fieldFences: ["phone_fence", "email_fence"])
        var migrator = DatabaseMigrator()
        // Version 1 is the CRM from before Padlock: no fence anywhere.
        migrator.registerMigration("contacts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE contacts (
                        id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, phone TEXT NOT NULL DEFAULT '',
                        email TEXT NOT NULL DEFAULT '', edited_by TEXT NOT NULL DEFAULT '',
                        edits INTEGER NOT NULL DEFAULT 0)
                    """)
            for number in 1...count {
                try db.execute(
                    sql: "INSERT INTO contacts (id, name, phone, email) VALUES (?, ?, ?, ?)",
                    arguments: [
                        "\(number)", "Contact \(number)", "+41 44 000 00 0\(number % 10)", "c\(number)@example.com",
                    ])
            }
        }
        // Version 2 adds the fence columns; existing rows start with NULL (never written under a lock).
        migrator.registerMigration("fences") { db in try records.addFenceColumn(db) }
        try migrator.migrate(database)
        try database.read { db in try records.checkSchema(db, writing: ["name", "phone", "email", "edited_by"]) }
        return ContactStore(
            database: database, records: records,
            phoneField: try FencedRecords(table: "contacts", keyColumn: "id", fenceColumn: "phone_fence"),
            emailField: try FencedRecords(table: "contacts", keyColumn: "id", fenceColumn: "email_fence"))
    }

    func read(_ id: String) async throws -> Contact? {
        try await database.read { db in try records.read(db, key: id).map(Self.contact) }
    }

    func all() async throws -> [Contact] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT id FROM contacts ORDER BY CAST(id AS INTEGER)").compactMap { row in
                try records.read(db, key: row["id"]).map(Self.contact)
            }
        }
    }

    /// Saves a whole-record edit under the record lock's fence; the edit counter is read and written in the
    /// same transaction, under the same lock.
    func save(
        _ id: String, field: String, value: String, by editor: String, fence: FenceToken
    ) async throws
        -> FencedWrite
    {
        try await database.write { db in
            let edits = try Int.fetchOne(db, sql: "SELECT edits FROM contacts WHERE id = ?", arguments: [id]) ?? 0
            return try records.update(
                db, key: id, fence: fence, set: [field: value, "edited_by": editor, "edits": edits + 1])
        }
    }

    /// Saves one field under that field's lock (`…/42/phone`), checked against that field's own fence.
    func saveField(_ id: String, field: String, value: String, fence: FenceToken) async throws -> FencedWrite {
        let helper = field == "phone" ? phoneField : emailField
        return try await database.write { db in try helper.update(db, key: id, fence: fence, set: [field: value]) }
    }

    private static func contact(_ record: FencedRecord) -> Contact {
        Contact(
            id: record.row["id"], name: record.row["name"], phone: record.row["phone"], email: record.row["email"],
            editedBy: record.row["edited_by"], edits: record.row["edits"], fence: record.fence)
    }
}

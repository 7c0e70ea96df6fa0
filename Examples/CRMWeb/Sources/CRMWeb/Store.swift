import Foundation
import GRDB
import PadlockClient
import PadlockSQLite

/// A kind of record the CRM edits: its table, the fields a rep may edit, and how to name one.
struct RecordKind: Sendable, Hashable {
    /// The table and the lock-key segment: `contacts` or `deals`.
    let name: String
    /// "Contact" or "Deal".
    let singular: String
    /// The editable columns, in the order the edit page shows them; each has its own fence column.
    let fields: [String]

    static let contacts = RecordKind(
        name: "contacts", singular: "Contact", fields: ["name", "phone", "email", "notes"])
    static let deals = RecordKind(name: "deals", singular: "Deal", fields: ["title", "amount", "stage", "notes"])
    static let all = [contacts, deals]

    static func named(_ name: String) -> RecordKind? { all.first { $0.name == name } }

    /// The column holding the fence of one field's own lock (`acme/contacts/1/phone`).
    static func fenceColumn(_ field: String) -> String { "\(field)_fence" }
}

/// One record as the pages show it.
struct Record: Sendable {
    let kind: RecordKind
    let id: String
    let values: [String: String]
    let editedBy: String
    let fence: FenceToken?

    /// "Contact 1: Ada Lovelace".
    var title: String { "\(kind.singular) \(id): \(values[kind.fields[0]] ?? "")" }
}

/// The CRM's database: contacts and deals, written only through fenced writes. Two implementations with the
/// same semantics: `SQLiteStore` (the default, a file) and `PostgresStore` (`--database postgres://…`).
///
/// Record `id` of kind `contacts` is fenced by the lock `TENANT/contacts/id`, each field by
/// `TENANT/contacts/id/FIELD` with its own fence column (docs/fencing.md): a whole-record write checks and
/// advances the record's fence and every field fence, a field write only that field's.
protocol Store: Sendable {
    /// Every record of a kind, by id.
    func all(_ kind: RecordKind) async throws -> [Record]
    func read(_ kind: RecordKind, id: String) async throws -> Record?
    /// Writes only the lock's fence: from now on the store refuses every write under an older lock on the
    /// record (or field), so a holder that lost its lock cannot save over the rep who opened it next.
    func claim(_ kind: RecordKind, id: String, field: String?, fence: FenceToken) async throws -> FencedWrite
    /// Saves the edited fields (only `field` under a field lock) with the lock's fence.
    func save(
        _ kind: RecordKind, id: String, field: String?, values: [String: String], by editor: String, fence: FenceToken
    ) async throws -> FencedWrite
}

extension RecordKind {
    /// The seed records: id and the values of the first three fields, in order.
    var seed: [(id: String, values: [String])] {
        switch name {
        case "contacts":
            [
                ("1", ["Ada Lovelace", "+44 20 7946 0001", "ada@example.com"]),
                ("2", ["Grace Hopper", "+1 202 555 0102", "grace@example.com"]),
                ("3", ["Alan Turing", "+44 161 496 0003", "alan@example.com"]),
                ("4", ["Margaret Hamilton", "+1 617 555 0104", "margaret@example.com"]),
            ]
        default:
            [
                ("1", ["Analytical Engine support", "120000", "negotiation"]),
                ("2", ["Compiler training", "45000", "proposal"]),
                ("3", ["Apollo guidance review", "300000", "qualified"]),
            ]
        }
    }

    /// The fields the seed gives values for (the first three).
    var seededFields: [String] { Array(fields.prefix(3)) }

    /// The columns a save writes: the edited fields (only `field` under a field lock), and, for a whole-record
    /// save, who edited it.
    func changes(field: String?, values: [String: String], by editor: String) -> [String: String] {
        var changes: [String: String] = [:]
        for name in field.map({ [$0] }) ?? fields { if let value = values[name] { changes[name] = value } }
        if field == nil { changes["edited_by"] = editor }
        return changes
    }
}

/// Contacts and deals in a SQLite file, through `FencedRecords` from `PadlockSQLite`.
struct SQLiteStore: Store {
    let database: DatabasePool

    static func open(path: String) throws -> SQLiteStore {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let database = try DatabasePool(path: path, configuration: configuration)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("records") { db in
            for kind in RecordKind.all { try createTable(db, kind) }
            try seed(db)
        }
        try migrator.migrate(database)
        return SQLiteStore(database: database)
    }

    private static func createTable(_ db: Database, _ kind: RecordKind) throws {
        let fields = kind.fields.map { "\($0) TEXT NOT NULL DEFAULT ''" }
        let fences = kind.fields.map { "\(RecordKind.fenceColumn($0)) INTEGER" }
        let columns =
            ["id TEXT PRIMARY KEY NOT NULL"] + fields + ["edited_by TEXT NOT NULL DEFAULT ''", "fence INTEGER"]
            + fences
        try db.execute(sql: "CREATE TABLE \(kind.name) (\(columns.joined(separator: ", ")))")
    }

    private static func seed(_ db: Database) throws {
        for kind in RecordKind.all {
            let columns = (["id"] + kind.seededFields).joined(separator: ", ")
            let placeholders = Array(repeating: "?", count: kind.seededFields.count + 1).joined(separator: ", ")
            for (id, values) in kind.seed {
                try db.execute(
                    sql: "INSERT INTO \(kind.name) (\(columns)) VALUES (\(placeholders))",
                    arguments: StatementArguments([id] + values))
            }
        }
    }

    /// The helper for writes under the lock on the whole record (`field` nil) or on one field.
    static func fenced(_ kind: RecordKind, field: String?) throws -> FencedRecords {
        if let field {
            return try FencedRecords(table: kind.name, keyColumn: "id", fenceColumn: RecordKind.fenceColumn(field))
        }
        return try FencedRecords(table: kind.name, keyColumn: "id")
            .covering(fieldFences: kind.fields.map(RecordKind.fenceColumn))
    }

    func all(_ kind: RecordKind) async throws -> [Record] {
        let records = try Self.fenced(kind, field: nil)
        return try await database.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM \(kind.name) ORDER BY CAST(id AS INTEGER)").compactMap { id in
                try records.read(db, key: id).map { Self.record(kind, $0) }
            }
        }
    }

    func read(_ kind: RecordKind, id: String) async throws -> Record? {
        let records = try Self.fenced(kind, field: nil)
        return try await database.read { db in try records.read(db, key: id).map { Self.record(kind, $0) } }
    }

    func claim(_ kind: RecordKind, id: String, field: String?, fence: FenceToken) async throws -> FencedWrite {
        let records = try Self.fenced(kind, field: field)
        return try await database.write { db in try records.update(db, key: id, fence: fence, set: [:]) }
    }

    func save(
        _ kind: RecordKind, id: String, field: String?, values: [String: String], by editor: String, fence: FenceToken
    ) async throws -> FencedWrite {
        let records = try Self.fenced(kind, field: field)
        let toWrite = kind.changes(field: field, values: values, by: editor)
        return try await database.write { db in
            try records.update(
                db, key: id, fence: fence, set: toWrite.mapValues { $0 as (any DatabaseValueConvertible)? })
        }
    }

    private static func record(_ kind: RecordKind, _ stored: FencedRecord) -> Record {
        var values: [String: String] = [:]
        for field in kind.fields { values[field] = stored.row[field] }
        return Record(
            kind: kind, id: stored.row["id"], values: values, editedBy: stored.row["edited_by"], fence: stored.fence)
    }
}

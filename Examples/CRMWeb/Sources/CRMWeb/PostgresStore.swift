import Foundation
import Logging
import PadlockClient
import PadlockPostgres
import PostgresNIO

/// Contacts and deals in PostgreSQL, through `PostgresFencedRecords` from `PadlockPostgres`: the same tables,
/// the same fence columns and the same fenced writes as `SQLiteStore`. The pool (`client`) is a service of the
/// app's `ServiceGroup`.
struct PostgresStore: Store {
    let client: PostgresClient
    let helpers: [String: PostgresFencedRecords]

    /// Connects to `url` (`postgres://user[:password]@host[:port]/database`), creates and seeds the tables when
    /// they are missing, and adds their fence columns with the helper's live-table migration.
    static func open(url: String, logger: Logger) async throws -> PostgresStore {
        let (connection, pool) = try configurations(url)
        let setup = try await PostgresConnection.connect(configuration: connection, id: 1, logger: logger)
        var helpers: [String: PostgresFencedRecords] = [:]
        do {
            for kind in RecordKind.all {
                try await createTable(kind, on: setup, logger: logger)
                let whole = try fenced(kind, field: nil)
                try await whole.addFenceColumns(on: setup)
                helpers[kind.name] = whole
                for field in kind.fields { helpers["\(kind.name)/\(field)"] = try fenced(kind, field: field) }
            }
            try await setup.close()
        } catch {
            try? await setup.close()
            throw error
        }
        return PostgresStore(client: PostgresClient(configuration: pool, backgroundLogger: logger), helpers: helpers)
    }

    /// A table from before fencing (the fence columns come from `addFenceColumns`), seeded once. Two app servers
    /// starting at once take turns through an advisory lock.
    private static func createTable(_ kind: RecordKind, on connection: PostgresConnection, logger: Logger) async throws
    {
        let columns =
            ["id text PRIMARY KEY"] + kind.fields.map { "\($0) text NOT NULL DEFAULT ''" }
            + ["edited_by text NOT NULL DEFAULT ''"]
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(2024)", logger: logger)
            let create = "CREATE TABLE IF NOT EXISTS \(kind.name) (\(columns.joined(separator: ", ")))"
            try await connection.query(PostgresQuery(unsafeSQL: create), logger: logger)
            let names = (["id"] + kind.seededFields).joined(separator: ", ")
            for (id, values) in kind.seed {
                var binds = PostgresBindings()
                for value in [id] + values { binds.append(value) }
                let placeholders = (1...binds.count).map { "$\($0)" }.joined(separator: ", ")
                let insert = "INSERT INTO \(kind.name) (\(names)) VALUES (\(placeholders)) ON CONFLICT (id) DO NOTHING"
                try await connection.query(PostgresQuery(unsafeSQL: insert, binds: binds), logger: logger)
            }
        }
    }

    /// The helper for writes under the lock on the whole record (`field` nil) or on one field.
    static func fenced(_ kind: RecordKind, field: String?) throws -> PostgresFencedRecords {
        if let field {
            return try PostgresFencedRecords(
                table: kind.name, keyColumn: "id", fenceColumn: RecordKind.fenceColumn(field))
        }
        return try PostgresFencedRecords(table: kind.name, keyColumn: "id")
            .covering(fieldFences: kind.fields.map(RecordKind.fenceColumn))
    }

    private func helper(_ kind: RecordKind, field: String?) throws -> PostgresFencedRecords {
        let name = kind.name + (field.map { "/\($0)" } ?? "")
        guard let helper = helpers[name] else { throw StoreError("\(kind.singular) has no field \(field ?? "")") }
        return helper
    }

    func all(_ kind: RecordKind) async throws -> [Record] {
        let records = try helper(kind, field: nil)
        return try await client.withConnection { connection in
            let sql = "SELECT id FROM \(kind.name) ORDER BY CAST(id AS integer)"
            var found: [Record] = []
            for try await id in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: records.logger)
                .decode(String.self)
            {
                if let stored = try await records.read(on: connection, key: id) {
                    found.append(try Self.record(kind, stored))
                }
            }
            return found
        }
    }

    func read(_ kind: RecordKind, id: String) async throws -> Record? {
        try await helper(kind, field: nil).read(on: client, key: id).map { try Self.record(kind, $0) }
    }

    func claim(_ kind: RecordKind, id: String, field: String?, fence: FenceToken) async throws -> FencedWrite {
        try await helper(kind, field: field).update(on: client, key: id, fence: fence, set: [:])
    }

    func save(
        _ kind: RecordKind, id: String, field: String?, values: [String: String], by editor: String, fence: FenceToken
    ) async throws -> FencedWrite {
        let changes = kind.changes(field: field, values: values, by: editor)
        return try await helper(kind, field: field).update(
            on: client, key: id, fence: fence, set: changes.mapValues { $0 as PostgresFencedValue })
    }

    private static func record(_ kind: RecordKind, _ stored: PostgresFencedRecord) throws -> Record {
        let row = stored.row.makeRandomAccess()
        var values: [String: String] = [:]
        for field in kind.fields { values[field] = try row[field].decode(String.self) }
        return Record(
            kind: kind, id: try row["id"].decode(String.self), values: values,
            editedBy: try row["edited_by"].decode(String.self), fence: stored.fence)
    }
}

extension PostgresStore {
    /// The connection settings for `postgres://user[:password]@host[:port]/database` (TLS off: a loopback or
    /// private network; a production setup would configure it).
    static func configurations(
        _ text: String
    ) throws -> (connection: PostgresConnection.Configuration, pool: PostgresClient.Configuration) {
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? ""),
            let host = url.host, !host.isEmpty, let user = url.user, !user.isEmpty
        else {
            throw StoreError("--database \(text) is not postgres://user@host:port/database")
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        let port = url.port ?? 5432
        let connection = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: url.password, database: database.isEmpty ? nil : database,
            tls: .disable)
        var pool = PostgresClient.Configuration(
            host: host, port: port, username: user, password: url.password, database: database.isEmpty ? nil : database,
            tls: .disable)
        pool.options.maximumConnections = 10
        return (connection, pool)
    }
}

struct StoreError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

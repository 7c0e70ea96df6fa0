import PadlockFencing
import PadlockTypes
import PostgresNIO
import Synchronization

/// What the catalog says about the table: its columns with their types, and whether the key column is unique.
struct TableShape: Sendable {
    /// Column name → type as `format_type` spells it (`bigint`, `text`, `character varying(40)`).
    var columns: [String: String]
    var keyIsUnique: Bool
    /// How a text parameter is compared with the key column: as it is for the text types, else cast to the
    /// column's type (`CAST($1 AS bigint)`), so the key column's index is used.
    var keyType: String?

    func cast(_ parameter: String) -> String {
        guard let keyType else { return parameter }
        return "CAST(\(parameter) AS \(keyType))"
    }
}

/// The shapes read so far, shared by the copies of one ``PostgresFencedRecords``; forgotten when a statement
/// fails, since the table may have changed.
final class SchemaCache: Sendable {
    private let state = Mutex<(shape: TableShape?, checked: Set<[String]>)>((nil, []))

    func shape(checked columns: [String]) -> TableShape? {
        state.withLock { $0.checked.contains(columns) ? $0.shape : nil }
    }

    func remember(_ shape: TableShape, checked columns: [String]) {
        state.withLock { state in
            state.shape = shape
            state.checked.insert(columns)
        }
    }

    func forget() { state.withLock { $0 = (nil, []) } }
}

extension PostgresFencedRecords {
    /// Checks that the table can take fenced writes of `columns`: it exists, has the key, fence and written
    /// columns, its fence columns are `bigint`, and its key column is unique. Writes and reads check this
    /// themselves (once per set of columns); call it at start-up to learn of a schema mistake before the first
    /// edit.
    /// - Throws: ``PostgresFencingError`` naming what is missing or wrong.
    public func checkSchema(on connection: PostgresConnection, writing columns: [String] = []) async throws {
        schema.forget()
        _ = try await checkedShape(on: connection, writing: columns.map { $0.lowercased() })
    }

    func checkedShape(on connection: PostgresConnection, writing columns: [String]) async throws -> TableShape {
        if let known = schema.shape(checked: columns) { return known }
        let shape = try await readShape(on: connection)
        for column in [keyColumn] + fenceColumns + columns where shape.columns[column] == nil {
            throw PostgresFencingError.noSuchColumn(table: table, column: column)
        }
        for column in fenceColumns {
            let type = shape.columns[column] ?? ""
            guard type == "bigint" else {
                throw PostgresFencingError.fenceColumnNotBigint(table: table, column: column, type: type)
            }
        }
        guard shape.keyIsUnique else { throw PostgresFencingError.keyNotUnique(table: table, column: keyColumn) }
        schema.remember(shape, checked: columns)
        return shape
    }

    /// One catalog query: the table (as the connection's `search_path` resolves it), its live columns, and
    /// whether a valid, non-partial unique index has exactly the key column.
    func readShape(on connection: PostgresConnection) async throws -> TableShape {
        var binds = PostgresBindings()
        binds.append(quoted(table))
        binds.append(keyColumn)
        let sql = """
            SELECT t.oid IS NOT NULL AS found, a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS type,
                   EXISTS (SELECT 1 FROM pg_index i
                            WHERE i.indrelid = t.oid AND i.indisunique AND i.indisvalid AND i.indpred IS NULL
                              AND i.indexprs IS NULL AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum
                              AND a.attname = $2) AS unique_key
              FROM (SELECT to_regclass($1) AS oid) t
              LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
            """
        let rows = try await run(PostgresQuery(unsafeSQL: sql, binds: binds), on: connection)
        guard let first = rows.first, try first.makeRandomAccess()["found"].decode(Bool.self) else {
            throw PostgresFencingError.noSuchTable(table)
        }
        var shape = TableShape(columns: [:], keyIsUnique: false, keyType: nil)
        for row in rows {
            let cells = row.makeRandomAccess()
            let (name, type) = (try cells["name"].decode(String.self), try cells["type"].decode(String.self))
            shape.columns[name] = type
            if try cells["unique_key"].decode(Bool.self) { shape.keyIsUnique = true }
        }
        if let type = shape.columns[keyColumn], type != "text", !type.hasPrefix("character varying") {
            let allowed = type.unicodeScalars.allSatisfy { scalar in
                ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || " _(),".unicodeScalars.contains(scalar)
            }
            guard allowed else {
                throw PostgresFencingError.keyTypeUnsupported(table: table, column: keyColumn, type: type)
            }
            shape.keyType = type
        }
        return shape
    }
}

extension PostgresFencedRecords {
    /// Prepares an existing table for fenced writes, safely on a live table: adds each missing fence column as
    /// a nullable `bigint` (no default, so PostgreSQL changes only the catalog and rewrites no row; NULL in every
    /// existing row, which the first fenced write of each record fills in), and a unique index on the key
    /// column, when there is none, with `CREATE UNIQUE INDEX CONCURRENTLY` (readers and writers carry on while
    /// it is built). Running it again changes nothing.
    ///
    /// Adding a column needs a brief exclusive lock on the table. PostgreSQL queues every later reader and writer
    /// behind a waiting `ALTER TABLE`, so the helper waits at most `lockTimeout` for it (`SET LOCAL
    /// lock_timeout`) and then gives up with ``PostgresFencingError/lockTimeout(table:message:)`` instead of
    /// stalling the application behind a long transaction; run it again later.
    ///
    /// Run it outside any transaction (it commits its own, and a concurrent index cannot be built inside one).
    /// - Throws: ``PostgresFencingError/noSuchTable(_:)``, ``PostgresFencingError/noSuchColumn(table:column:)``
    ///   for a missing key column, ``PostgresFencingError/fenceColumnNotBigint(table:column:type:)``,
    ///   ``PostgresFencingError/lockTimeout(table:message:)``, or ``PostgresFencingError/server(sqlState:message:)``
    ///   (the unique index cannot be built while two rows share a key; the half-built index is dropped).
    public func addFenceColumns(on connection: PostgresConnection, lockTimeout: Duration = .seconds(2)) async throws {
        schema.forget()
        let shape = try await readShape(on: connection)
        guard shape.columns[keyColumn] != nil else {
            throw PostgresFencingError.noSuchColumn(table: table, column: keyColumn)
        }
        for column in fenceColumns {
            if let type = shape.columns[column], type != "bigint" {
                throw PostgresFencingError.fenceColumnNotBigint(table: table, column: column, type: type)
            }
        }
        let missing = fenceColumns.filter { shape.columns[$0] == nil }
        if !missing.isEmpty { try await addColumns(missing, on: connection, lockTimeout: lockTimeout) }
        if !shape.keyIsUnique { try await addUniqueIndex(on: connection) }
    }

    private func addColumns(
        _ columns: [String], on connection: PostgresConnection, lockTimeout: Duration
    ) async throws {
        let (seconds, attoseconds) = lockTimeout.components
        let milliseconds = max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        let additions = columns.map { "ADD COLUMN IF NOT EXISTS \(quoted($0)) bigint" }.joined(separator: ", ")
        _ = try await run("BEGIN", on: connection)
        do {
            _ = try await run(PostgresQuery(unsafeSQL: "SET LOCAL lock_timeout = \(milliseconds)"), on: connection)
            _ = try await run(PostgresQuery(unsafeSQL: "ALTER TABLE \(quoted(table)) \(additions)"), on: connection)
            _ = try await run("COMMIT", on: connection)
        } catch {
            _ = try? await run("ROLLBACK", on: connection)
            throw error
        }
    }

    private func addUniqueIndex(on connection: PostgresConnection) async throws {
        let name = "\(table)_\(keyColumn)_fenced_key"
        // A build that failed earlier leaves an invalid index of this name behind; only such a leftover is dropped.
        var binds = PostgresBindings()
        binds.append(quoted(name))
        let leftover = try await run(
            PostgresQuery(
                unsafeSQL: "SELECT 1 FROM pg_index WHERE indexrelid = to_regclass($1) AND NOT indisvalid", binds: binds),
            on: connection)
        if !leftover.isEmpty {
            _ = try await run(PostgresQuery(unsafeSQL: "DROP INDEX CONCURRENTLY \(quoted(name))"), on: connection)
        }
        let create = "CREATE UNIQUE INDEX CONCURRENTLY \(quoted(name)) ON \(quoted(table)) (\(quoted(keyColumn)))"
        do {
            _ = try await run(PostgresQuery(unsafeSQL: create), on: connection)
        } catch {
            _ = try? await run(
                PostgresQuery(unsafeSQL: "DROP INDEX CONCURRENTLY IF EXISTS \(quoted(name))"), on: connection)
            throw error
        }
    }
}

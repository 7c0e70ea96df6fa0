import PadlockFencing
import PadlockTypes
import PostgresNIO

/// A write whose names were checked, with its values already bound (in column order), so it can cross into a
/// pooled connection's task.
struct CheckedWrite: Sendable {
    let columns: [String]
    let values: PostgresBindings
    let fence: Int64
}

// The statements. Every name in them was checked by `checkIdentifier`, folded to lower case and is quoted
// anyway, so a name that is a keyword (`order`, `group`) still works; every value is a bound parameter. The
// values come first ($1…$n), then the fence ($n+1, used for every fence column) and the key ($n+2).
extension PostgresFencedRecords {
    func update(
        on connection: PostgresConnection, key: String, fence: FenceToken, checked: CheckedWrite
    ) async throws -> FencedWrite {
        let shape = try await checkedShape(on: connection, writing: checked.columns)
        let (fenceParameter, keyParameter) = ("$\(checked.columns.count + 1)", "$\(checked.columns.count + 2)")
        let assignments =
            checked.columns.enumerated().map { "\(quoted($0.element)) = $\($0.offset + 1)" }
            + fenceColumns.map { "\(quoted($0)) = \(fenceParameter)" }
        let guards = fenceColumns.map { "(\(quoted($0)) IS NULL OR \(quoted($0)) <= \(fenceParameter))" }
        let sql =
            "UPDATE \(quoted(table)) SET \(assignments.joined(separator: ", ")) WHERE \(quoted(keyColumn)) = "
            + "\(shape.cast(keyParameter)) AND \(guards.joined(separator: " AND ")) RETURNING 1"
        let changed = try await changedRows(sql, checked, key: key, on: connection)
        return try await outcome(on: connection, key: key, fence: fence, changed: changed, shape: shape, upsert: false)
    }

    func upsert(
        on connection: PostgresConnection, key: String, fence: FenceToken, checked: CheckedWrite
    ) async throws -> FencedWrite {
        let shape = try await checkedShape(on: connection, writing: checked.columns)
        let (fenceParameter, keyParameter) = ("$\(checked.columns.count + 1)", "$\(checked.columns.count + 2)")
        let names = ([keyColumn] + checked.columns + fenceColumns).map(quoted).joined(separator: ", ")
        let values =
            [shape.cast(keyParameter)] + checked.columns.indices.map { "$\($0 + 1)" }
            + fenceColumns.map { _ in fenceParameter }
        let assignments = (checked.columns + fenceColumns).map { "\(quoted($0)) = excluded.\(quoted($0))" }
        let guards = fenceColumns.map { column -> String in
            let stored = "\(quoted(table)).\(quoted(column))"
            return "(\(stored) IS NULL OR \(stored) <= excluded.\(quoted(column)))"
        }
        let sql =
            "INSERT INTO \(quoted(table)) (\(names)) VALUES (\(values.joined(separator: ", "))) "
            + "ON CONFLICT (\(quoted(keyColumn))) DO UPDATE SET \(assignments.joined(separator: ", ")) "
            + "WHERE \(guards.joined(separator: " AND ")) RETURNING 1"
        let changed = try await changedRows(sql, checked, key: key, on: connection)
        return try await outcome(on: connection, key: key, fence: fence, changed: changed, shape: shape, upsert: true)
    }

    /// Runs the conditional write and counts the rows it returned (one when it applied).
    private func changedRows(
        _ sql: String, _ checked: CheckedWrite, key: String, on connection: PostgresConnection
    ) async throws -> Int {
        var binds = checked.values
        binds.append(checked.fence)
        binds.append(key)
        let rows = try await run(PostgresQuery(unsafeSQL: sql, binds: binds), on: connection)
        if rows.count > 1 {
            // The unique index on the key was dropped after the shape was read.
            schema.forget()
            throw PostgresFencingError.keyNotUnique(table: table, column: keyColumn)
        }
        return rows.count
    }

    /// Runs one statement and collects its rows, classifying PostgreSQL's errors.
    func run(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [PostgresRow] {
        do {
            return try await connection.query(query, logger: logger).collect()
        } catch let error as PSQLError {
            let classified = PostgresFencingError.classify(error, table: table)
            if case .server = classified { schema.forget() }  // perhaps the table changed: read it again
            throw classified
        }
    }

    /// Runs `body` on a connection leased from `client`.
    func leased<T: Sendable>(
        _ client: PostgresClient, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await client.withConnection(body)
        } catch let error as PSQLError {
            throw PostgresFencingError.classify(error, table: table)
        }
    }

    func quoted(_ identifier: String) -> String { "\"\(identifier)\"" }
}

// What a write that changed nothing means.
extension PostgresFencedRecords {
    /// `.applied` when the statement returned its row; otherwise `.missing` or `.rejected` with the newest stored
    /// fence. The read is a second statement: under `READ COMMITTED` it may see a fence newer than the one that
    /// refused the write (fences only grow), never an older one; inside a `REPEATABLE READ` or `SERIALIZABLE`
    /// transaction it sees the same snapshot as the write.
    func outcome(
        on connection: PostgresConnection, key: String, fence: FenceToken, changed: Int, shape: TableShape,
        upsert: Bool
    ) async throws -> FencedWrite {
        if changed > 0 { return .applied }
        var binds = PostgresBindings()
        binds.append(key)
        let sql =
            "SELECT \(fenceColumns.map(quoted).joined(separator: ", ")) FROM \(quoted(table)) "
            + "WHERE \(quoted(keyColumn)) = \(shape.cast("$1"))"
        guard let row = try await run(PostgresQuery(unsafeSQL: sql, binds: binds), on: connection).first else {
            if !upsert { return .missing }
            throw PostgresFencingError.writeIgnored(key: key)
        }
        guard let newest = try storedFences(in: row, key: key).compactMap({ $0 }).max(), newest > fence else {
            throw PostgresFencingError.writeIgnored(key: key)
        }
        return .rejected(stored: newest)
    }

    /// The stored fence of each fence column: nil for NULL (never written under a lock).
    func storedFences(in row: PostgresRow, key: String) throws(PostgresFencingError) -> [FenceToken?] {
        let cells = row.makeRandomAccess()
        var fences: [FenceToken?] = []
        for column in fenceColumns {
            guard cells.contains(column) else { throw .noSuchColumn(table: table, column: column) }
            let cell = cells[column]
            guard let bytes = cell.bytes else {
                fences.append(nil)
                continue
            }
            guard let value = try? cell.decode(Int64.self) else {
                let shown = (try? cell.decode(String.self)) ?? "\(bytes.readableBytes) bytes of \(cell.dataType)"
                throw .storedFenceInvalid(key: key, column: column, value: shown)
            }
            guard value >= 0 else { throw .storedFenceInvalid(key: key, column: column, value: "\(value)") }
            fences.append(FenceToken(UInt64(value)))
        }
        return fences
    }
}

// Input checks, before any database is touched.
extension PostgresFencedRecords {
    /// The columns to write, sorted and lower-cased, with their values bound, after checking the key, the fence
    /// and every name.
    func checkWrite(_ key: String, _ fence: FenceToken, _ values: [String: PostgresFencedValue]) throws -> CheckedWrite
    {
        guard !key.isEmpty else { throw PostgresFencingError.emptyKey }
        guard fence.rawValue <= UInt64(Int64.max) else { throw PostgresFencingError.fenceOutOfRange(fence) }
        let reserved = [keyColumn] + fenceColumns
        var seen: Set<String> = []
        var binds = PostgresBindings(capacity: values.count + 2)
        let sorted = values.sorted { $0.key < $1.key }
        for (column, _) in sorted {
            try Self.checkIdentifier(column, role: .column)
            if reserved.contains(column.lowercased()) { throw PostgresFencingError.reservedColumn(column) }
            guard seen.insert(column.lowercased()).inserted else {
                throw PostgresFencingError.duplicateColumn(column)
            }
        }
        for (_, value) in sorted {
            if let value { try Self.bind(value, into: &binds) } else { binds.appendNull() }
        }
        return CheckedWrite(columns: sorted.map { $0.key.lowercased() }, values: binds, fence: Int64(fence.rawValue))
    }

    private static func bind(
        _ value: some PostgresThrowingDynamicTypeEncodable, into binds: inout PostgresBindings
    ) throws {
        try binds.append(value)
    }

    /// Refuses anything but a plain SQL identifier: `[A-Za-z_][A-Za-z0-9_]*`, at most `identifierLengthMax`
    /// bytes, and not in PostgreSQL's reserved `pg_` namespace.
    static func checkIdentifier(_ name: String, role: FencingNameRole) throws(PostgresFencingError) {
        guard SQLIdentifier.isPlain(name, maximumBytes: identifierLengthMax, reservedPrefix: "pg_") else {
            throw .invalidIdentifier(name, role: role)
        }
    }
}

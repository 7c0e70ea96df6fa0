import Logging
import PadlockFencing
import PadlockTypes
import PostgresNIO

/// Fenced writes to one PostgreSQL table: a write carrying a lock's fence applies only when the record's stored
/// fence is not newer than it, and stores the writer's fence together with the data, in one statement.
///
/// The same operations as `PadlockSQLite`'s `FencedRecords`, through postgres-nio (decision 0017), asynchronous
/// and on any `PostgresConnection` (inside the caller's transaction or outside any) or `PostgresClient`:
///
/// ```swift
/// let contacts = try PostgresFencedRecords(table: "contacts")       // columns "key" and "fence"
/// try await padlock.withLock("acme/contacts/42", note: "editing phone") { lock in
///     let outcome = try await contacts.update(
///         on: client, key: "42", fence: lock.fence, set: ["phone": "+41 44 555 01 02"])
///     guard outcome == .applied else { throw Reload() }              // someone newer wrote the record
/// }
/// ```
///
/// Each write is one `UPDATE … WHERE fence IS NULL OR fence <= $fence RETURNING` or `INSERT … ON CONFLICT DO
/// UPDATE … WHERE`, so the check and the write cannot be separated by another writer under any isolation level:
/// PostgreSQL locks the row, and under `READ COMMITTED` rechecks the condition against the newest committed
/// version after waiting for a concurrent writer. Only a refusal costs a second statement, the read of the
/// stored fence it reports; fences only grow, so that read shows a fence at least as new as the one that
/// refused the write.
///
/// Names are plain SQL identifiers, folded to lower case as PostgreSQL folds unquoted names, and quoted in the
/// statements (so keywords such as `order` work). The table's shape is read from the catalog at the first
/// write of each set of columns and kept in this value (and its copies); use one value per database.
public struct PostgresFencedRecords: Sendable {
    /// The longest table or column name accepted: PostgreSQL's `NAMEDATALEN` − 1 bytes.
    public static let identifierLengthMax = 63

    /// The table holding the records (lower case).
    public let table: String
    /// The column holding each record's key; it must be the primary key or have a unique index of its own.
    public let keyColumn: String
    /// The column holding the fence of each record's last fenced write (`bigint`, NULL when never written
    /// under a lock).
    public let fenceColumn: String
    /// Further fence columns a write checks and advances with ``fenceColumn``: the per-field fences a
    /// whole-record write must respect (see ``covering(fieldFences:)``). Empty by default.
    public let coveredFenceColumns: [String]
    /// Where postgres-nio logs the statements (nothing by default).
    public let logger: Logger

    let schema: SchemaCache

    /// Describes a table of fenced records. Only names are checked here (nothing touches a database).
    /// - Throws: ``PostgresFencingError/invalidIdentifier(_:role:)`` or
    ///   ``PostgresFencingError/duplicateColumn(_:)``.
    public init(
        table: String, keyColumn: String = "key", fenceColumn: String = "fence",
        logger: Logger = Logger(label: "padlock.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws(PostgresFencingError) {
        try Self.checkIdentifier(table, role: .table)
        try Self.checkIdentifier(keyColumn, role: .keyColumn)
        try Self.checkIdentifier(fenceColumn, role: .fenceColumn)
        guard keyColumn.lowercased() != fenceColumn.lowercased() else { throw .duplicateColumn(fenceColumn) }
        self.table = table.lowercased()
        self.keyColumn = keyColumn.lowercased()
        self.fenceColumn = fenceColumn.lowercased()
        self.coveredFenceColumns = []
        self.logger = logger
        self.schema = SchemaCache()
    }

    private init(_ base: PostgresFencedRecords, covered: [String]) {
        table = base.table
        keyColumn = base.keyColumn
        fenceColumn = base.fenceColumn
        coveredFenceColumns = covered
        logger = base.logger
        schema = SchemaCache()
    }

    /// The same table, for whole-record writes when fields of its records are also locked one by one: the
    /// returned helper applies a write only when the record fence and every field fence are not newer than the
    /// caller's, and then stores the caller's fence in each (docs/fencing.md, field-level locks).
    /// - Throws: ``PostgresFencingError/invalidIdentifier(_:role:)`` or
    ///   ``PostgresFencingError/duplicateColumn(_:)``.
    public func covering(fieldFences columns: [String]) throws(PostgresFencingError) -> PostgresFencedRecords {
        var seen = [keyColumn] + fenceColumns
        for column in columns {
            try Self.checkIdentifier(column, role: .fenceColumn)
            guard !seen.contains(column.lowercased()) else { throw .duplicateColumn(column) }
            seen.append(column.lowercased())
        }
        return PostgresFencedRecords(self, covered: coveredFenceColumns + columns.map { $0.lowercased() })
    }

    /// Every fence column a write checks and sets: ``fenceColumn`` first, then the covered ones.
    var fenceColumns: [String] { [fenceColumn] + coveredFenceColumns }
}

/// A value to write: anything postgres-nio can bind (`String`, `Int`, `Double`, `Bool`, `Date`, `UUID`, …),
/// or nil for NULL.
public typealias PostgresFencedValue = (any PostgresThrowingDynamicTypeEncodable)?

extension PostgresFencedRecords {
    /// Writes `values` to the record `key` if its stored fence is not newer than `fence`, and stores `fence`.
    ///
    /// An equal fence applies (the same holder writing again); a record never written under a lock (NULL
    /// fence) accepts any fence; an empty `values` writes only the fence, which shuts out every older holder.
    ///
    /// - Parameters:
    ///   - connection: a connection, inside the caller's transaction (the write then commits or rolls back
    ///     with it) or outside any (the statement commits on its own).
    ///   - set: the columns to write and their values (`nil` writes NULL); never the key or a fence column.
    /// - Returns: ``FencedWrite/applied``, ``FencedWrite/rejected(stored:)`` with the newer stored fence, or
    ///   ``FencedWrite/missing`` when no record has the key.
    /// - Throws: ``PostgresFencingError``.
    public func update(
        on connection: PostgresConnection, key: String, fence: FenceToken, set values: [String: PostgresFencedValue]
    ) async throws -> FencedWrite {
        try await update(on: connection, key: key, fence: fence, checked: try checkWrite(key, fence, values))
    }

    /// Creates the record `key` with `values` and `fence`, or, when it exists, updates it under the same rule
    /// as ``update(on:key:fence:set:)``. It never answers ``FencedWrite/missing``.
    /// - Throws: ``PostgresFencingError``.
    public func upsert(
        on connection: PostgresConnection, key: String, fence: FenceToken, values: [String: PostgresFencedValue]
    ) async throws -> FencedWrite {
        try await upsert(on: connection, key: key, fence: fence, checked: try checkWrite(key, fence, values))
    }

    /// The record `key` with the fence it was last written with (the newest of the covered fences), or nil
    /// when there is none. Reading needs no lock; a reader that will write back what it read must hold the lock
    /// from before the read until the write.
    /// - Throws: ``PostgresFencingError``.
    public func read(on connection: PostgresConnection, key: String) async throws -> PostgresFencedRecord? {
        guard !key.isEmpty else { throw PostgresFencingError.emptyKey }
        let shape = try await checkedShape(on: connection, writing: [])
        var binds = PostgresBindings()
        binds.append(key)
        let sql = "SELECT * FROM \(quoted(table)) WHERE \(quoted(keyColumn)) = \(shape.cast("$1"))"
        let rows = try await run(PostgresQuery(unsafeSQL: sql, binds: binds), on: connection)
        guard let row = rows.first else { return nil }
        let fences = try storedFences(in: row, key: key)
        return PostgresFencedRecord(fence: fences.compactMap { $0 }.max(), row: row)
    }
}

// The same calls on a `PostgresClient`: each leases a connection from the pool for the one write.
extension PostgresFencedRecords {
    /// ``update(on:key:fence:set:)`` on a connection leased from `client` for this write alone.
    public func update(
        on client: PostgresClient, key: String, fence: FenceToken, set values: [String: PostgresFencedValue]
    ) async throws -> FencedWrite {
        let checked = try checkWrite(key, fence, values)
        return try await leased(client) { connection in
            try await self.update(on: connection, key: key, fence: fence, checked: checked)
        }
    }

    /// ``upsert(on:key:fence:values:)`` on a connection leased from `client` for this write alone.
    public func upsert(
        on client: PostgresClient, key: String, fence: FenceToken, values: [String: PostgresFencedValue]
    ) async throws -> FencedWrite {
        let checked = try checkWrite(key, fence, values)
        return try await leased(client) { connection in
            try await self.upsert(on: connection, key: key, fence: fence, checked: checked)
        }
    }

    /// ``read(on:key:)`` on a connection leased from `client`.
    public func read(on client: PostgresClient, key: String) async throws -> PostgresFencedRecord? {
        try await leased(client) { connection in try await self.read(on: connection, key: key) }
    }
}

/// One record as ``PostgresFencedRecords/read(on:key:)`` returns it: its row and the fence it was last written
/// with.
public struct PostgresFencedRecord: Sendable {
    /// The fence of the last fenced write, or nil when the record was never written under a lock.
    public var fence: FenceToken?
    /// Every column of the record, the key and fence columns included (`row.makeRandomAccess()["phone"]`).
    public var row: PostgresRow

    /// Creates a record.
    public init(fence: FenceToken?, row: PostgresRow) {
        self.fence = fence
        self.row = row
    }
}

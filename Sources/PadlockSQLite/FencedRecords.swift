import GRDB
import PadlockTypes

/// Fenced writes to one SQLite table: a write carrying a lock's fence applies only when the record's stored
/// fence is not newer than it, and stores the writer's fence together with the data.
///
/// This is the resource side of Padlock's guarantee (DESIGN.md §2.1): the cluster hands successive holders of
/// a key strictly increasing fences, so a store that refuses fences lower than the newest it has seen for a
/// record can never interleave two holders' writes, whatever clocks, pauses and partitions do. A holder whose
/// lock lapsed while it was paused gets ``FencedWrite/rejected(stored:)`` instead of overwriting its successor.
///
/// ```swift
/// let contacts = try FencedRecords(table: "contacts")          // columns "key" and "fence"
/// try await padlock.withLock("acme/contacts/42", note: "editing phone") { lock in
///     let outcome = try await database.write { db in
///         try contacts.update(db, key: "42", fence: lock.fence, set: ["phone": "+41 44 555 01 02"])
///     }
///     guard outcome == .applied else { throw Reload() }         // someone newer wrote the record
/// }
/// ```
///
/// Each record's fence only means something next to fences of the **same lock key**: map one lock key to one
/// record (the lock `acme/contacts/42` fences the row whose key is `42` in tenant `acme`'s `contacts` table).
/// Field-level locks (`acme/contacts/42/phone`) need a fence column per field; see
/// ``covering(fieldFences:)`` and `docs/fencing.md`.
///
/// Every write runs as one conditional statement inside one transaction (the caller's, or an immediate one
/// the helper opens), so it is atomic under concurrent writers on any number of connections.
public struct FencedRecords: Sendable {
    /// The longest table or column name accepted.
    public static let identifierLengthMax = 128

    /// The table holding the records.
    public let table: String
    /// The column holding each record's key; it must be the primary key or have a unique index of its own.
    public let keyColumn: String
    /// The column holding the fence of each record's last fenced write (`INTEGER`, NULL when never written
    /// under a lock).
    public let fenceColumn: String
    /// Further fence columns a write checks and advances with ``fenceColumn``: the per-field fences a
    /// whole-record write must respect (see ``covering(fieldFences:)``). Empty by default.
    public let coveredFenceColumns: [String]

    /// Describes a table of fenced records.
    ///
    /// Only names are checked here (nothing touches a database): each must be a plain SQL identifier, and
    /// the key and fence columns must differ.
    /// - Throws: ``FencingError/invalidIdentifier(_:role:)`` or ``FencingError/duplicateColumn(_:)``.
    public init(table: String, keyColumn: String = "key", fenceColumn: String = "fence") throws(FencingError) {
        try Self.checkIdentifier(table, role: .table)
        try Self.checkIdentifier(keyColumn, role: .keyColumn)
        try Self.checkIdentifier(fenceColumn, role: .fenceColumn)
        guard !Self.sameName(keyColumn, fenceColumn) else { throw .duplicateColumn(fenceColumn) }
        self.init(checkedTable: table, keyColumn: keyColumn, fenceColumn: fenceColumn, covered: [])
    }

    private init(checkedTable table: String, keyColumn: String, fenceColumn: String, covered: [String]) {
        self.table = table
        self.keyColumn = keyColumn
        self.fenceColumn = fenceColumn
        self.coveredFenceColumns = covered
    }

    /// The same table, for whole-record writes when fields of its records are also locked one by one.
    ///
    /// A field lock (`acme/contacts/42/phone`) and its sibling (`…/42/email`) are held at the same time with
    /// unrelated fences, so each field writes its own fence column (`FencedRecords(table: "contacts",
    /// fenceColumn: "phone_fence")`). A whole-record lock (`acme/contacts/42`) conflicts with every field lock,
    /// so its fence is newer than any field fence written before it was granted; a whole-record write must check
    /// and advance them all, which the returned helper does: it applies only when the record fence and every
    /// field fence are not newer than the caller's, and then stores the caller's fence in each.
    /// - Throws: ``FencingError/invalidIdentifier(_:role:)`` or ``FencingError/duplicateColumn(_:)``.
    public func covering(fieldFences columns: [String]) throws(FencingError) -> FencedRecords {
        var seen = [keyColumn, fenceColumn] + coveredFenceColumns
        for column in columns {
            try Self.checkIdentifier(column, role: .fenceColumn)
            guard !seen.contains(where: { Self.sameName($0, column) }) else { throw .duplicateColumn(column) }
            seen.append(column)
        }
        return FencedRecords(
            checkedTable: table, keyColumn: keyColumn, fenceColumn: fenceColumn,
            covered: coveredFenceColumns + columns)
    }

    /// Every fence column a write checks and sets: ``fenceColumn`` first, then the covered ones.
    var fenceColumns: [String] { [fenceColumn] + coveredFenceColumns }
}

extension FencedRecords {
    /// Writes `values` to the record `key` if its stored fence is not newer than `fence`, and stores `fence`.
    ///
    /// An equal fence applies: it is the same holder writing again. A record never written under a lock (its
    /// fence is NULL) accepts any fence. An empty `values` writes only the fence, which is enough to shut out
    /// every older holder.
    ///
    /// - Parameters:
    ///   - db: a connection that may write (inside `write { db in … }`, or outside any transaction, when the
    ///     helper opens an immediate transaction of its own).
    ///   - set: the columns to write and their values (`nil` writes NULL); never the key or a fence column.
    /// - Returns: ``FencedWrite/applied``, ``FencedWrite/rejected(stored:)`` with the newer stored fence, or
    ///   ``FencedWrite/missing`` when no record has the key.
    /// - Throws: ``FencingError`` for bad names, an empty key, a missing table or column or a key column that
    ///   is not unique; GRDB's `DatabaseError` when SQLite fails.
    public func update(
        _ db: Database, key: String, fence: FenceToken, set values: [String: (any DatabaseValueConvertible)?]
    ) throws -> FencedWrite {
        let assignments = try checkWrite(key: key, fence: fence, values: values)
        return try atomically(db) {
            try checkSchema(db, writing: assignments.map(\.column))
            let statement = try db.cachedStatement(sql: updateSQL(columns: assignments.map(\.column)))
            // SET values…, fences…  WHERE key = ? AND (each fence IS NULL OR each fence <= ?)
            let arguments: [DatabaseArgument] =
                assignments.map(\.value) + fenceArguments(fence) + [key] + fenceArguments(fence)
            try statement.execute(arguments: StatementArguments(arguments))
            return try outcome(db, key: key, fence: fence, changes: db.changesCount, missingAllowed: true)
        }
    }

    /// Creates the record `key` with `values` and `fence`, or, when it exists, updates it under the same rule
    /// as ``update(_:key:fence:set:)``: only if its stored fence is not newer than `fence`.
    ///
    /// Use it for new records (the lock on the new record's key is held while it is created), and for
    /// writers that do not know whether the record exists yet. It never answers ``FencedWrite/missing``.
    ///
    /// - Throws: as ``update(_:key:fence:set:)``.
    public func upsert(
        _ db: Database, key: String, fence: FenceToken, values: [String: (any DatabaseValueConvertible)?]
    ) throws -> FencedWrite {
        let assignments = try checkWrite(key: key, fence: fence, values: values)
        return try atomically(db) {
            try checkSchema(db, writing: assignments.map(\.column))
            let statement = try db.cachedStatement(sql: upsertSQL(columns: assignments.map(\.column)))
            // VALUES (key, values…, fences…); the conflict branch compares against excluded.fence.
            let arguments: [DatabaseArgument] = [key] + assignments.map(\.value) + fenceArguments(fence)
            try statement.execute(arguments: StatementArguments(arguments))
            return try outcome(db, key: key, fence: fence, changes: db.changesCount, missingAllowed: false)
        }
    }

    /// The record `key` with the fence it was last written with, or nil when there is none.
    ///
    /// With covered field fences, the fence reported is the newest of them. Reading needs no lock; a reader
    /// that will write back what it read must hold the lock from before the read until the write.
    /// - Throws: ``FencingError`` for an empty key, a missing table or column, or a stored fence that is not
    ///   one; GRDB's `DatabaseError` when SQLite fails.
    public func read(_ db: Database, key: String) throws -> FencedRecord? {
        guard !key.isEmpty else { throw FencingError.emptyKey }
        try checkSchema(db, writing: [])
        let statement = try db.cachedStatement(sql: "SELECT * FROM \(quoted(table)) WHERE \(quoted(keyColumn)) = ?")
        guard let row = try Row.fetchOne(statement, arguments: [key]) else { return nil }
        let fences = try fenceColumns.map { column in try Self.decodeFence(in: row, column: column, key: key) }
        return FencedRecord(fence: fences.compactMap { $0 }.max(), row: row)
    }
}

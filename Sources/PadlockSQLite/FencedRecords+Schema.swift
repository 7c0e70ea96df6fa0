import GRDB
import PadlockTypes

// The table the helper writes must have what fencing needs: a unique key column and integer fence columns.
// GRDB caches the schema per connection (and clears the cache when the schema changes), so checking before
// every write costs dictionary lookups, not queries.
extension FencedRecords {
    /// Prepares an existing table for fenced writes: adds each missing fence column (`INTEGER`, NULL in every
    /// existing row, which the first fenced write of each record then fills in), and a unique index on the key
    /// column when it is neither the primary key nor unique already. Running it again changes nothing.
    ///
    /// Call it from a migration, so it runs once per database:
    ///
    /// ```swift
    /// migrator.registerMigration("fence contacts") { db in try contacts.addFenceColumn(db) }
    /// ```
    ///
    /// - Throws: ``FencingError/noSuchTable(_:)``, ``FencingError/noSuchColumn(table:column:)`` for a missing key
    ///   column, ``FencingError/fenceColumnNotInteger(table:column:type:)`` for a fence column that exists with
    ///   another type; GRDB's `DatabaseError` when SQLite fails (a unique index cannot be made while two rows
    ///   share a key).
    public func addFenceColumn(_ db: Database) throws {
        do {
            try addMissingColumns(db)
        } catch {
            // The transaction rolls back, but GRDB's per-connection schema cache would keep the columns added
            // before the failure; forget it so the next check reads the schema SQLite really has.
            db.clearSchemaCache()
            throw error
        }
    }

    private func addMissingColumns(_ db: Database) throws {
        try atomically(db) {
            let columns = try existingColumns(db)
            guard columns[keyColumn.lowercased()] != nil else {
                throw FencingError.noSuchColumn(table: table, column: keyColumn)
            }
            for column in fenceColumns {
                if let existing = columns[column.lowercased()] {
                    try Self.checkInteger(existing, table: table)
                } else {
                    try db.execute(sql: "ALTER TABLE \(quoted(table)) ADD COLUMN \(quoted(column)) INTEGER")
                }
            }
            if try !db.table(table, hasUniqueKey: [keyColumn]) {
                let index = quoted("\(table)_\(keyColumn)_fenced_key")
                try db.execute(sql: "CREATE UNIQUE INDEX \(index) ON \(quoted(table)) (\(quoted(keyColumn)))")
            }
        }
    }

    /// Checks that the table can take fenced writes of `columns`: it exists, has the key, fence and written
    /// columns, its fence columns are integers, and its key column is unique. Writes and reads call it first;
    /// call it at start-up to learn of a schema mistake before the first edit.
    /// - Throws: ``FencingError`` naming what is missing or wrong.
    public func checkSchema(_ db: Database, writing columns: [String] = []) throws {
        let existing = try existingColumns(db)
        for column in [keyColumn] + fenceColumns + columns where existing[column.lowercased()] == nil {
            throw FencingError.noSuchColumn(table: table, column: column)
        }
        for column in fenceColumns {
            // Non-nil: checked just above.
            if let info = existing[column.lowercased()] { try Self.checkInteger(info, table: table) }
        }
        guard try db.table(table, hasUniqueKey: [keyColumn]) else {
            throw FencingError.keyNotUnique(table: table, column: keyColumn)
        }
    }

    /// The table's columns by lowercased name.
    private func existingColumns(_ db: Database) throws -> [String: ColumnInfo] {
        guard try db.tableExists(table) else { throw FencingError.noSuchTable(table) }
        var columns: [String: ColumnInfo] = [:]
        for column in try db.columns(in: table) { columns[column.name.lowercased()] = column }
        return columns
    }

    /// A fence column must have INTEGER affinity (a declared type containing `INT`): under TEXT affinity the
    /// comparison `fence <= ?` would compare strings, and `'9' > '10'`.
    private static func checkInteger(_ column: ColumnInfo, table: String) throws(FencingError) {
        guard column.type.uppercased().contains("INT") else {
            throw .fenceColumnNotInteger(table: table, column: column.name, type: column.type)
        }
    }
}

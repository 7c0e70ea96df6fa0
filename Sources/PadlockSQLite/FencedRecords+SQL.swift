import GRDB
import PadlockFencing
import PadlockTypes

/// One value bound to a statement.
typealias DatabaseArgument = (any DatabaseValueConvertible)?

// The statements. Every name in them was checked by `checkIdentifier` and is quoted anyway, so a name that
// happens to be a keyword (`order`, `group`) still works; every value is a bound parameter. Column lists are
// sorted, so one set of columns always makes the same text and GRDB's statement cache can reuse it.
extension FencedRecords {
    /// `UPDATE t SET a = ?, …, fence = ?, … WHERE key = ? AND (fence IS NULL OR fence <= ?) AND …`
    func updateSQL(columns: [String]) -> String {
        let assignments = (columns + fenceColumns).map { "\(quoted($0)) = ?" }.joined(separator: ", ")
        let guards = fenceColumns.map { "(\(quoted($0)) IS NULL OR \(quoted($0)) <= ?)" }.joined(separator: " AND ")
        return "UPDATE \(quoted(table)) SET \(assignments) WHERE \(quoted(keyColumn)) = ? AND \(guards)"
    }

    /// `INSERT INTO t (key, a, …, fence, …) VALUES (?, …) ON CONFLICT (key) DO UPDATE SET a = excluded.a, …
    /// WHERE (t.fence IS NULL OR t.fence <= excluded.fence) AND …`
    func upsertSQL(columns: [String]) -> String {
        let inserted = [keyColumn] + columns + fenceColumns
        let names = inserted.map(quoted).joined(separator: ", ")
        let placeholders = Array(repeating: "?", count: inserted.count).joined(separator: ", ")
        let assignments = (columns + fenceColumns).map { column -> String in
            "\(quoted(column)) = excluded.\(quoted(column))"
        }.joined(separator: ", ")
        let guards = fenceColumns.map { column -> String in
            let stored = "\(quoted(table)).\(quoted(column))"
            return "(\(stored) IS NULL OR \(stored) <= excluded.\(quoted(column)))"
        }.joined(separator: " AND ")
        return "INSERT INTO \(quoted(table)) (\(names)) VALUES (\(placeholders)) "
            + "ON CONFLICT (\(quoted(keyColumn))) DO UPDATE SET \(assignments) WHERE \(guards)"
    }

    /// `SELECT fence, … FROM t WHERE key = ?`
    var storedFencesSQL: String {
        "SELECT \(fenceColumns.map(quoted).joined(separator: ", ")) FROM \(quoted(table)) "
            + "WHERE \(quoted(keyColumn)) = ?"
    }

    /// The fence once for each fence column.
    func fenceArguments(_ fence: FenceToken) -> [DatabaseArgument] {
        // `checkWrite` refused fences above Int64.max.
        Array(repeating: Int64(fence.rawValue), count: fenceColumns.count)
    }

    func quoted(_ identifier: String) -> String { "\"\(identifier)\"" }
}

// What a write that changed nothing means, learnt in the same transaction as the write.
extension FencedRecords {
    /// `.applied` when the statement changed the row; otherwise `.missing` or `.rejected` with the newest stored
    /// fence, read in the write's own transaction so no other writer can slip in between.
    func outcome(
        _ db: Database, key: String, fence: FenceToken, changes: Int, missingAllowed: Bool
    ) throws -> FencedWrite {
        if changes > 0 { return .applied }
        let statement = try db.cachedStatement(sql: storedFencesSQL)
        guard let row = try Row.fetchOne(statement, arguments: [key]) else {
            // An upsert inserts a missing row, so it cannot end here unless a trigger dropped the insert.
            if missingAllowed { return .missing }
            throw FencingError.writeIgnored(key: key)
        }
        let stored = try fenceColumns.map { column in try Self.decodeFence(in: row, column: column, key: key) }
        guard let newest = stored.compactMap({ $0 }).max(), newest > fence else {
            throw FencingError.writeIgnored(key: key)
        }
        return .rejected(stored: newest)
    }

    /// A stored fence: nil for NULL (never written under a lock), else a non-negative integer.
    static func decodeFence(in row: Row, column: String, key: String) throws(FencingError) -> FenceToken? {
        // The untyped subscript answers nil for NULL and for a missing column, and never traps.
        let value = (row[column] as DatabaseArgument)?.databaseValue ?? .null
        switch value.storage {
        case .null: return nil
        case .int64(let integer) where integer >= 0: return FenceToken(UInt64(integer))
        default: throw .storedFenceInvalid(key: key, column: column, value: value.description)
        }
    }

    /// Runs `body` inside the caller's transaction, or inside an immediate transaction of its own: the
    /// conditional write and the read that explains a refusal must see the same database.
    func atomically<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        if db.isInsideTransaction { return try body() }
        var result: T?
        // Immediate: take the write lock before the first read, so two connections never deadlock upgrading.
        try db.inTransaction(.immediate) {
            result = try body()
            return .commit
        }
        guard let result else { preconditionFailure("inTransaction returned without running its body") }
        return result
    }
}

// Input checks, before any database is touched.
extension FencedRecords {
    /// The columns to write, sorted, after checking the key, the fence and every name.
    func checkWrite(
        key: String, fence: FenceToken, values: [String: DatabaseArgument]
    ) throws(FencingError) -> [(column: String, value: DatabaseArgument)] {
        guard !key.isEmpty else { throw .emptyKey }
        guard fence.rawValue <= UInt64(Int64.max) else { throw .fenceOutOfRange(fence) }
        let reserved = [keyColumn] + fenceColumns
        var seen: Set<String> = []
        let sorted = values.sorted { $0.key < $1.key }
        for (column, _) in sorted {
            try Self.checkIdentifier(column, role: .column)
            if reserved.contains(where: { Self.sameName($0, column) }) { throw .reservedColumn(column) }
            guard seen.insert(column.lowercased()).inserted else { throw .duplicateColumn(column) }
        }
        return sorted.map { (column: $0.key, value: $0.value) }
    }

    /// Refuses anything but a plain SQL identifier: `[A-Za-z_][A-Za-z0-9_]*`, at most `identifierLengthMax`
    /// characters, and not in SQLite's reserved `sqlite_` namespace.
    static func checkIdentifier(_ name: String, role: FencingError.Role) throws(FencingError) {
        guard SQLIdentifier.isPlain(name, maximumBytes: identifierLengthMax, reservedPrefix: "sqlite_") else {
            throw .invalidIdentifier(name, role: role)
        }
    }

    /// Whether SQLite reads the two names as one: identifiers compare without regard to ASCII case.
    static func sameName(_ first: String, _ second: String) -> Bool { first.lowercased() == second.lowercased() }
}

import PadlockTypes

/// Why ``FencedRecords`` refused a name, a value or a table before writing anything.
///
/// Database failures (a locked database, a full disk, a constraint of the caller's own schema) are GRDB's
/// `DatabaseError` and pass through unchanged; this type covers the mistakes the helper can name itself.
public enum FencingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Which name an ``invalidIdentifier(_:role:)`` error is about (shared with `PadlockPostgres`).
    public typealias Role = FencingNameRole

    /// The name is not a plain SQL identifier: a letter or `_`, then letters, digits or `_`, at most
    /// ``FencedRecords/identifierLengthMax`` characters, not starting with `sqlite_`.
    case invalidIdentifier(String, role: Role)
    /// The same column is named twice (SQLite compares names without regard to ASCII case).
    case duplicateColumn(String)
    /// The values to write name the key column or a fence column, which the helper writes itself.
    case reservedColumn(String)
    /// The record key is empty.
    case emptyKey
    /// The fence does not fit SQLite's signed 64-bit integers.
    case fenceOutOfRange(FenceToken)
    /// The table does not exist.
    case noSuchTable(String)
    /// The table has no such column; ``FencedRecords/addFenceColumn(_:)`` adds a missing fence column.
    case noSuchColumn(table: String, column: String)
    /// A fence column is declared with a type that does not give it INTEGER affinity, so SQLite would compare
    /// fences as text (`'9' > '10'`).
    case fenceColumnNotInteger(table: String, column: String, type: String)
    /// The key column is not the primary key and has no unique index of its own, so one key could name
    /// several rows.
    case keyNotUnique(table: String, column: String)
    /// The record's stored fence is not a non-negative integer: something other than a fenced write wrote it.
    case storedFenceInvalid(key: String, column: String, value: String)
    /// The conditional write changed nothing although the stored fences allowed it: a trigger of the caller's
    /// schema ignored the row.
    case writeIgnored(key: String)

    /// What is wrong, in a sentence fit for a log.
    public var description: String {
        switch self {
        case .invalidIdentifier(let name, let role):
            "the \(role.rawValue) name \"\(name.prefix(80))\" is not a plain SQL identifier (a letter or _, then "
                + "letters, digits or _, at most \(FencedRecords.identifierLengthMax) characters, not sqlite_…)"
        case .duplicateColumn(let name):
            "the column \"\(name)\" is named twice"
        case .reservedColumn(let name):
            "the column \"\(name)\" is the key or a fence column, which the fenced write sets itself"
        case .emptyKey:
            "the record key is empty"
        case .fenceOutOfRange(let fence):
            "\(fence) does not fit a signed 64-bit SQLite integer"
        case .noSuchTable(let table):
            "there is no table \"\(table)\""
        case .noSuchColumn(let table, let column):
            "the table \"\(table)\" has no column \"\(column)\" (a missing fence column is added by addFenceColumn(_:))"
        case .fenceColumnNotInteger(let table, let column, let type):
            "the fence column \"\(column)\" of \"\(table)\" is declared \(type.isEmpty ? "without a type" : type); "
                + "fences must be INTEGER"
        case .keyNotUnique(let table, let column):
            "the column \"\(column)\" of \"\(table)\" is neither the primary key nor covered by a unique index of "
                + "its own"
        case .storedFenceInvalid(let key, let column, let value):
            "the record \"\(key.prefix(80))\" stores \(value.prefix(40)) in \"\(column)\", which is not a fence"
        case .writeIgnored(let key):
            "the fenced write of \"\(key.prefix(80))\" changed nothing although its fence was current (a trigger "
                + "ignored the row)"
        }
    }
}

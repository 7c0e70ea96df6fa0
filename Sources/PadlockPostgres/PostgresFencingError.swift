import PadlockFencing
import PadlockTypes
import PostgresNIO

/// Why ``PostgresFencedRecords`` refused a name, a value or a table, or why PostgreSQL did not take a write.
///
/// Mistakes the helper can name itself are thrown before anything is sent. Failures of the server or of the
/// connection are classified, so a caller can tell a retryable conflict (``isRetryable``) from a broken schema;
/// PostgreSQL's own message and SQLSTATE are kept.
public enum PostgresFencingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Which name an ``invalidIdentifier(_:role:)`` error is about.
    public typealias Role = FencingNameRole

    /// The name is not a plain SQL identifier: a letter or `_`, then letters, digits or `_`, at most
    /// ``PostgresFencedRecords/identifierLengthMax`` bytes, not starting with `pg_`.
    case invalidIdentifier(String, role: Role)
    /// The same column is named twice (names are folded to lower case, as PostgreSQL folds unquoted names).
    case duplicateColumn(String)
    /// The values to write name the key column or a fence column, which the helper writes itself.
    case reservedColumn(String)
    /// The record key is empty.
    case emptyKey
    /// The fence does not fit PostgreSQL's `bigint`.
    case fenceOutOfRange(FenceToken)
    /// The table does not exist (on the connection's `search_path`).
    case noSuchTable(String)
    /// The table has no such column; ``PostgresFencedRecords/addFenceColumns(on:lockTimeout:)`` adds a
    /// missing fence column.
    case noSuchColumn(table: String, column: String)
    /// A fence column exists with another type than `bigint`.
    case fenceColumnNotBigint(table: String, column: String, type: String)
    /// The key column has a type the helper cannot compare a text key with.
    case keyTypeUnsupported(table: String, column: String, type: String)
    /// The key column is neither the primary key nor covered by a unique index of its own.
    case keyNotUnique(table: String, column: String)
    /// The record's stored fence is not a non-negative integer: something other than a fenced write wrote it.
    case storedFenceInvalid(key: String, column: String, value: String)
    /// The conditional write changed nothing although the stored fences allowed it: a trigger ignored the row,
    /// or the record was deleted between the write and the read that explains it.
    case writeIgnored(key: String)
    /// PostgreSQL aborted the transaction because it conflicted with a concurrent one (SQLSTATE 40001, a
    /// serialization failure under `REPEATABLE READ` or `SERIALIZABLE`, or 40P01, a deadlock). Nothing of the
    /// transaction was kept: run it again from its start, with the same fence while the lock is held.
    case serializationFailure(sqlState: String, message: String)
    /// A lock the statement needed was not granted within `lock_timeout` (SQLSTATE 55P03): the migration gave
    /// up instead of queueing every other writer of the table behind it. Run it again later.
    case lockTimeout(table: String, message: String)
    /// The connection broke during the statement (the server was stopped, the backend terminated, the
    /// network went away). Whether an unconfirmed write was committed is unknown; writing again with the same
    /// fence is safe, since an equal fence applies.
    case connectionLost(message: String)
    /// PostgreSQL refused the statement for another reason (a constraint of the caller's schema, a type
    /// mismatch, a full disk): its SQLSTATE and message.
    case server(sqlState: String, message: String)

    /// Whether running the same transaction again may succeed: a serialization failure, a lock timeout or a
    /// lost connection. A caller retries with the same fence, and stops on `.rejected` as always.
    public var isRetryable: Bool {
        switch self {
        case .serializationFailure, .lockTimeout, .connectionLost: true
        default: false
        }
    }
}

extension PostgresFencingError {
    /// What is wrong, in a sentence fit for a log.
    public var description: String {
        switch self {
        case .invalidIdentifier(let name, let role):
            "the \(role.rawValue) name \"\(name.prefix(80))\" is not a plain SQL identifier (a letter or _, then "
                + "letters, digits or _, at most \(PostgresFencedRecords.identifierLengthMax) bytes, not pg_…)"
        case .duplicateColumn(let name): "the column \"\(name)\" is named twice"
        case .reservedColumn(let name):
            "the column \"\(name)\" is the key or a fence column, which the fenced write sets itself"
        case .emptyKey: "the record key is empty"
        case .fenceOutOfRange(let fence): "\(fence) does not fit a PostgreSQL bigint"
        case .noSuchTable(let table): "there is no table \"\(table)\" on the connection's search_path"
        case .noSuchColumn(let table, let column):
            "the table \"\(table)\" has no column \"\(column)\" (a missing fence column is added by "
                + "addFenceColumns(on:))"
        case .fenceColumnNotBigint(let table, let column, let type):
            "the fence column \"\(column)\" of \"\(table)\" is \(type); fences must be bigint"
        case .keyTypeUnsupported(let table, let column, let type):
            "the key column \"\(column)\" of \"\(table)\" has the type \(type.prefix(60)), which a text key "
                + "cannot be cast to"
        case .keyNotUnique(let table, let column):
            "the column \"\(column)\" of \"\(table)\" is neither the primary key nor covered by a unique index of "
                + "its own (addFenceColumns(on:) creates one)"
        case .storedFenceInvalid(let key, let column, let value):
            "the record \"\(key.prefix(80))\" stores \(value.prefix(40)) in \"\(column)\", which is not a fence"
        case .writeIgnored(let key):
            "the fenced write of \"\(key.prefix(80))\" changed nothing although its fence was current (a trigger "
                + "ignored the row, or it was deleted meanwhile)"
        default: serverDescription
        }
    }

    private var serverDescription: String {
        switch self {
        case .serializationFailure(let state, let message):
            "PostgreSQL aborted the transaction because a concurrent one conflicted with it (\(message), "
                + "SQLSTATE \(state)); nothing of it was kept: run it again with the same fence"
        case .lockTimeout(let table, let message):
            "PostgreSQL could not lock \"\(table)\" within the lock timeout (\(message)): a long transaction is "
                + "using the table; nothing was changed, run the migration again when it has finished"
        case .connectionLost(let message):
            "the connection to PostgreSQL broke during the statement (\(message)); whether it was committed is "
                + "unknown: write again with the same fence on a new connection"
        case .server(let state, let message):
            "PostgreSQL refused the statement: \(message) (SQLSTATE \(state))"
        default: ""
        }
    }
}

extension PostgresFencingError {
    /// Classifies an error postgres-nio threw (also inside a `PostgresTransactionError` of `withTransaction`),
    /// or returns nil for one that did not come from PostgreSQL (a cancellation, an error of the caller's own).
    ///
    /// ```swift
    /// do { try await client.withTransaction(logger: logger) { connection in … } }
    /// catch let error where PostgresFencingError(error)?.isRetryable == true { /* run it again */ }
    /// ```
    public init?(_ error: any Error, table: String = "") {
        if let known = error as? PostgresFencingError {
            self = known
        } else if let transaction = error as? PostgresTransactionError {
            let inner = transaction.closureError ?? transaction.commitError ?? transaction.beginError
            guard let inner, let classified = PostgresFencingError(inner, table: table) else { return nil }
            self = classified
        } else if let error = error as? PSQLError {
            self = Self.classify(error, table: table)
        } else {
            return nil
        }
    }

    static func classify(_ error: PSQLError, table: String) -> PostgresFencingError {
        guard error.code == .server, let state = error.serverInfo?[.sqlState] else {
            return .connectionLost(message: Self.describe(error.code))
        }
        let message = error.serverInfo?[.message] ?? "no message"
        switch state {
        case "40001", "40P01": return .serializationFailure(sqlState: state, message: message)
        case "55P03": return .lockTimeout(table: table, message: message)
        // admin_shutdown (pg_terminate_backend, a fast shutdown), crash_shutdown, cannot_connect_now.
        case "57P01", "57P02", "57P03": return .connectionLost(message: "\(message) (SQLSTATE \(state))")
        default: return .server(sqlState: state, message: message)
        }
    }

    private static func describe(_ code: PSQLError.Code) -> String {
        switch code {
        case .serverClosedConnection: "the server closed the connection"
        case .clientClosedConnection: "the connection was closed on this side"
        case .connectionError: "the connection failed"
        case .uncleanShutdown: "the connection ended without a clean shutdown"
        case .poolClosed: "the client's connection pool is closed"
        case .queryCancelled: "the statement was cancelled"
        default: "\(code)"
        }
    }
}

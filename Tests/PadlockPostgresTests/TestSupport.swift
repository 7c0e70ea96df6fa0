import Foundation
import Logging
import PadlockPostgres
import PostgresNIO
import Synchronization

let quiet = Logger(label: "padlock.postgres.tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// A database of its own for one test on the shared server, so tests can run in parallel and use the same
/// table names. Every connection opened through it is closed at the end.
final class TestDatabase: Sendable {
    let server: PostgresServer
    let name: String
    private let opened = Mutex<[PostgresConnection]>([])
    private let nextID = Atomic<Int>(1)

    private init(server: PostgresServer, name: String) {
        self.server = server
        self.name = name
    }

    /// Runs `body` with a fresh database, then closes its connections and drops it (also when `body` throws).
    static func with<T>(_ body: (TestDatabase) async throws -> T) async throws -> T {
        let server = try await PostgresServer.running()
        let name = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try await connect(server, database: "postgres", id: 0)
        try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: quiet)
        let database = TestDatabase(server: server, name: name)
        let result: Result<T, any Error>
        do { result = .success(try await body(database)) } catch { result = .failure(error) }
        for connection in database.opened.withLock({ $0 }) { try? await connection.close() }
        _ = try? await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: quiet)
        try? await admin.close()
        return try result.get()
    }

    static func connect(_ server: PostgresServer, database: String, id: Int) async throws -> PostgresConnection {
        let configuration = PostgresConnection.Configuration(
            host: "127.0.0.1", port: server.port, username: "postgres", password: nil, database: database,
            tls: .disable)
        return try await PostgresConnection.connect(configuration: configuration, id: id, logger: quiet)
    }

    /// A new connection to this test's database.
    func connect() async throws -> PostgresConnection {
        let connection = try await Self.connect(
            server, database: name, id: nextID.wrappingAdd(1, ordering: .relaxed).oldValue)
        opened.withLock { $0.append(connection) }
        return connection
    }

    /// A pool on this test's database; the caller runs it (`client.run()`) in a task it cancels at the end.
    func client(maximumConnections: Int = 8) -> PostgresClient {
        var configuration = PostgresClient.Configuration(
            host: "127.0.0.1", port: server.port, username: "postgres", password: nil, database: name, tls: .disable)
        configuration.options.maximumConnections = maximumConnections
        return PostgresClient(configuration: configuration, backgroundLogger: quiet)
    }
}

extension PostgresConnection {
    /// Runs statements that take no parameters, one after another.
    func execute(_ statements: String...) async throws {
        for sql in statements { try await query(PostgresQuery(unsafeSQL: sql), logger: quiet) }
    }

    /// The first column of the first row of a query, decoded as `T`.
    func scalar<T: PostgresDecodable>(_ sql: String, as type: T.Type = T.self) async throws -> T? {
        let rows = try await query(PostgresQuery(unsafeSQL: sql), logger: quiet).collect()
        guard let row = rows.first else { return nil }
        return try row.makeRandomAccess()[0].decode(T.self)
    }

    /// This connection's backend process id, which `pg_terminate_backend` and `pg_stat_activity` name.
    func backendPID() async throws -> Int32 {
        guard let pid = try await scalar("SELECT pg_backend_pid()", as: Int32.self) else {
            throw ServerError("no backend pid")
        }
        return pid
    }

    /// Waits until the backend `pid` waits on a lock: a condition, checked every 20 ms, with a generous
    /// deadline for a busy machine.
    func waitUntilBlocked(_ pid: Int32, deadline: Duration = .seconds(60)) async throws {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while clock.now < end {
            let waiting = try await scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = \(pid) AND wait_event_type = 'Lock'",
                as: Int64.self)
            if waiting == 1 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ServerError("backend \(pid) never waited on a lock")
    }
}

/// A contacts table as a CRM keeps it.
let contactsSchema = """
    CREATE TABLE contacts (
        key text PRIMARY KEY,
        name text NOT NULL DEFAULT '',
        phone text,
        email text,
        fence bigint
    )
    """

/// Creates the contacts table with one record per key, with these fences.
func createContacts(_ connection: PostgresConnection, _ records: [String: Int64] = [:]) async throws {
    try await connection.execute(contactsSchema)
    for (key, fence) in records {
        try await connection.query(
            "INSERT INTO contacts (key, name, phone, fence) VALUES (\(key), \("Contact \(key)"), '+41 44 000 00 00', \(fence))",
            logger: quiet)
    }
}

/// The stored phone and fence of a record, read without the helper.
func stored(_ connection: PostgresConnection, _ key: String) async throws -> (phone: String?, fence: Int64?)? {
    let rows = try await connection.query("SELECT phone, fence FROM contacts WHERE key = \(key)", logger: quiet)
        .collect()
    guard let row = rows.first else { return nil }
    let cells = row.makeRandomAccess()
    return (try cells["phone"].decode(String?.self), try cells["fence"].decode(Int64?.self))
}

/// The value of one column of a record read through the helper.
func column(_ record: PostgresFencedRecord?, _ name: String) throws -> String? {
    guard let record else { return nil }
    return try record.row.makeRandomAccess()[name].decode(String?.self)
}

extension PostgresFencingError {
    /// The case's name (`serializationFailure`, `lockTimeout`, …), for checks that do not care about the message.
    var caseName: String? { Mirror(reflecting: self).children.first?.label }

    /// The SQLSTATE of a server's refusal.
    var sqlState: String? {
        switch self {
        case .serializationFailure(let state, _), .server(let state, _): state
        default: nil
        }
    }
}

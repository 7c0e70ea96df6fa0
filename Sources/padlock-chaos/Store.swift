import Foundation
import GRDB
import PadlockSQLite

/// The CRM record store every front end shares: one SQLite file in WAL mode, a `contacts` table whose records
/// carry a fence per lockable part (the whole record, `phone`, `email`) and an edit counter per part, and the
/// `accepted_writes` log that every applied write appends to in its own transaction.
///
/// With `fenced == false` (`--self-check`) every write applies whatever its fence: the store a resource
/// without fencing would be, which the checkers must catch.
final class RecordStore: Sendable {
    /// A lockable part of a record: the lock key's suffix, its counter column and its fence column.
    enum Part: String, CaseIterable, Sendable {
        case record, phone, email

        var counterColumn: String { self == .record ? "edits" : "\(rawValue)_edits" }
        var fenceColumn: String { self == .record ? "fence" : "\(rawValue)_fence" }
        /// Fence columns a write of this part checks and advances.
        var fenceColumns: [String] { self == .record ? ["fence", "phone_fence", "email_fence"] : [fenceColumn] }
    }

    let pool: DatabasePool
    let fenced: Bool
    private let writers: [Part: FencedRecords]

    init(path: String, fenced: Bool) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.journalMode = .wal
        pool = try DatabasePool(path: path, configuration: configuration)
        self.fenced = fenced
        let contacts = try FencedRecords(table: "contacts")
        writers = [
            .record: try contacts.covering(fieldFences: ["phone_fence", "email_fence"]),
            .phone: try FencedRecords(table: "contacts", fenceColumn: "phone_fence"),
            .email: try FencedRecords(table: "contacts", fenceColumn: "email_fence"),
        ]
    }

    /// Creates the tables and records `1…keys` (the orchestrator, once, before any front end starts).
    func create(keys: Int) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE contacts (
                        key TEXT PRIMARY KEY, name TEXT, phone TEXT, email TEXT,
                        edits INTEGER NOT NULL DEFAULT 0, phone_edits INTEGER NOT NULL DEFAULT 0,
                        email_edits INTEGER NOT NULL DEFAULT 0,
                        fence INTEGER, phone_fence INTEGER, email_fence INTEGER);
                    CREATE TABLE accepted_writes (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL, part TEXT NOT NULL,
                        kind TEXT NOT NULL, fence INTEGER NOT NULL, process TEXT NOT NULL, op INTEGER NOT NULL,
                        value INTEGER, mono_ns INTEGER NOT NULL, wall_ns INTEGER NOT NULL,
                        commit_mono_ns INTEGER, commit_wall_ns INTEGER);
                    """)
            for key in 1...keys {
                try db.execute(
                    sql: "INSERT INTO contacts (key, name) VALUES (?, ?)", arguments: ["\(key)", "Contact \(key)"])
            }
        }
    }

    /// What a fenced write answered.
    enum Outcome: Sendable {
        case applied(value: Int)
        case rejected(stored: UInt64)
    }

    /// The claim: a fenced write of the fence alone, then a read of the part's counter, in one transaction.
    /// Writing the fence first shuts every older holder out before this holder reads what it will change.
    func claim(record: String, part: Part, fence: UInt64, process: String, op: Int) async throws -> Outcome {
        try await write(record: record, part: part, fence: fence, values: [:], kind: "claim", process: process, op: op)
    }

    /// The edit: writes `value` to the part's counter under `fence`.
    func edit(record: String, part: Part, fence: UInt64, value: Int, process: String, op: Int) async throws -> Outcome {
        try await write(
            record: record, part: part, fence: fence, values: [part.counterColumn: value], kind: "write",
            process: process, op: op)
    }

    /// A read without a fence (shared holders).
    func read(record: String, part: Part) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT \(part.counterColumn) FROM contacts WHERE key = ?", arguments: [record])
                ?? 0
        }
    }

    /// A fenced write in its own transaction; once it committed, its row of `accepted_writes` gets the commit
    /// time (read when the committing call returned, so after the commit and before anything that saw it).
    private func write(
        record: String, part: Part, fence: UInt64, values: [String: Int], kind: String, process: String, op: Int
    ) async throws -> Outcome {
        let (outcome, seq) = try await transaction(
            record: record, part: part, fence: fence, values: values, kind: kind, process: process, op: op)
        if let seq {
            let mono = Int64(Clocks.monotonicNanoseconds())
            let wall = Int64(Clocks.wallNanoseconds())
            try await pool.write { db in
                try db.execute(
                    sql: "UPDATE accepted_writes SET commit_mono_ns = ?, commit_wall_ns = ? WHERE seq = ?",
                    arguments: [mono, wall, seq])
            }
        }
        return outcome
    }

    private func transaction(
        record: String, part: Part, fence: UInt64, values: [String: Int], kind: String, process: String, op: Int
    ) async throws -> (Outcome, Int64?) {
        let fenced = self.fenced
        guard let writer = writers[part] else { throw ChaosError("no writer for part \(part)") }
        return try await pool.write { db -> (Outcome, Int64?) in
            if fenced {
                let dbValues = values.mapValues { $0 as (any DatabaseValueConvertible)? }
                switch try writer.update(db, key: record, fence: FenceToken(fence), set: dbValues) {
                case .applied: break
                case .rejected(let stored): return (.rejected(stored: stored.rawValue), nil)
                case .missing: throw ChaosError("record \(record) is missing from the store")
                }
            } else {
                // No fence check at all: what a resource that ignores fences does.
                let assignments = (values.keys.sorted().map { "\($0) = ?" } + part.fenceColumns.map { "\($0) = ?" })
                let arguments: [any DatabaseValueConvertible] =
                    values.keys.sorted().map { values[$0]! } + part.fenceColumns.map { _ in Int64(fence) } + [record]
                try db.execute(
                    sql: "UPDATE contacts SET \(assignments.joined(separator: ", ")) WHERE key = ?",
                    arguments: StatementArguments(arguments))
            }
            let value =
                try Int.fetchOne(
                    db, sql: "SELECT \(part.counterColumn) FROM contacts WHERE key = ?", arguments: [record]) ?? 0
            try db.execute(
                sql: """
                    INSERT INTO accepted_writes (record, part, kind, fence, process, op, value, mono_ns, wall_ns)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record, part.rawValue, kind, Int64(fence), process, op, value,
                    Int64(Clocks.monotonicNanoseconds()), Int64(Clocks.wallNanoseconds()),
                ])
            return (.applied(value: value), db.lastInsertedRowID)
        }
    }

    /// One row of the accepted-write log.
    struct AcceptedWrite: Sendable {
        var seq: Int64
        var record: String
        var part: Part
        var kind: String
        var fence: UInt64
        var process: String
        var op: Int
        var value: Int
        var monoNs: UInt64
        /// When the write's transaction had committed (nil for a row whose stamp never came: the writer was
        /// killed in between).
        var commitNs: UInt64?
    }

    func acceptedWrites() throws -> [AcceptedWrite] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM accepted_writes ORDER BY seq").map { row in
                AcceptedWrite(
                    seq: row["seq"], record: row["record"], part: Part(rawValue: row["part"]) ?? .record,
                    kind: row["kind"], fence: UInt64(row["fence"] as Int64), process: row["process"], op: row["op"],
                    value: row["value"] ?? 0, monoNs: UInt64(row["mono_ns"] as Int64),
                    commitNs: (row["commit_mono_ns"] as Int64?).map(UInt64.init))
            }
        }
    }

    /// Every record's counters: record key → part → value.
    func counters() throws -> [String: [Part: Int]] {
        try pool.read { db in
            var result: [String: [Part: Int]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key, edits, phone_edits, email_edits FROM contacts") {
                result[row["key"]] = [.record: row["edits"], .phone: row["phone_edits"], .email: row["email_edits"]]
            }
            return result
        }
    }
}

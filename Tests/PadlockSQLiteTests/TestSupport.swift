import Foundation
import GRDB
import PadlockSQLite
import PadlockTypes

/// A contacts table as a CRM keeps it: the record key, a few fields and the fence of the last fenced write.
let contactsSchema = """
    CREATE TABLE contacts (
        key TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        phone TEXT,
        email TEXT,
        fence INTEGER
    )
    """

/// An in-memory database with the contacts table and, when given, one record per key with these fences.
func contactsDatabase(_ records: [String: UInt64] = [:]) throws -> DatabaseQueue {
    let database = try DatabaseQueue()
    try database.write { db in
        try db.execute(sql: contactsSchema)
        for (key, fence) in records {
            try db.execute(
                sql: "INSERT INTO contacts (key, name, phone, fence) VALUES (?, ?, ?, ?)",
                arguments: [key, "Contact \(key)", "+41 44 000 00 00", Int64(fence)])
        }
    }
    return database
}

/// The stored phone and fence of a record, read without the helper.
func stored(_ database: DatabaseQueue, _ key: String) throws -> (phone: String?, fence: Int64?)? {
    try database.read { db in
        try Row.fetchOne(db, sql: "SELECT phone, fence FROM contacts WHERE key = ?", arguments: [key])
            .map { (phone: $0["phone"], fence: $0["fence"]) }
    }
}

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("padlock-sqlite-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

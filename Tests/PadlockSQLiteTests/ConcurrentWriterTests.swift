import Foundation
import GRDB
import PadlockSQLite
import PadlockTypes
import Synchronization
import Testing

/// Many writers on one database file, through a `DatabasePool` and through connections of their own, each
/// sending fences out of order, as paused holders and their successors would. A trigger logs every change of a
/// record's fence, so the test sees every write that took effect, not only the final state.
@Suite struct ConcurrentWriterTests {
    static let keys = ["1", "2", "3"]
    static let writerCount = 6
    static let writesPerWriter = 150

    @Test func concurrentWritersNeverLetAStaleFenceOverwriteANewerOne() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("contacts.sqlite").path
        let pool = try DatabasePool(path: path, configuration: Self.configuration())
        try Self.createSchema(pool)

        let plans = Self.plans(seed: 0x5EED)
        let outcomes = Mutex<[Outcome]>([])
        let failures = Mutex<[String]>([])
        let group = DispatchGroup()
        for writer in 0..<Self.writerCount {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                do {
                    // Even writers share the pool's writer; odd ones open a connection of their own.
                    let own: DatabaseQueue? =
                        writer % 2 == 0 ? nil : try DatabaseQueue(path: path, configuration: Self.configuration())
                    let writes = try Self.run(plans[writer], writer: writer, pool: pool, own: own)
                    outcomes.withLock { $0 += writes }
                } catch {
                    failures.withLock { $0.append("writer \(writer): \(error)") }
                }
            }
            thread.start()
        }
        group.wait()
        let failed = failures.withLock { $0 }
        #expect(failed.isEmpty, "\(failed.count) writers failed, the first: \(failed.first?.prefix(300) ?? "")")
        try Self.check(outcomes.withLock { $0 }, plans: plans, pool: pool)
    }

    struct Write: Sendable {
        var key: String
        var fence: UInt64
    }

    struct Outcome: Sendable {
        var write: Write
        var result: FencedWrite
    }

    static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.journalMode = .wal
        return configuration
    }

    static func createSchema(_ pool: DatabasePool) throws {
        try pool.write { db in
            try db.execute(sql: "CREATE TABLE contacts (key TEXT PRIMARY KEY, body INTEGER, fence INTEGER)")
            try db.execute(sql: "CREATE TABLE fence_changes (key TEXT, old INTEGER, new INTEGER, body INTEGER)")
            try db.execute(
                sql: """
                    CREATE TRIGGER log_fence AFTER UPDATE ON contacts
                    BEGIN INSERT INTO fence_changes VALUES (NEW.key, OLD.fence, NEW.fence, NEW.body); END
                    """)
            for key in keys { try db.execute(sql: "INSERT INTO contacts (key) VALUES (?)", arguments: [key]) }
        }
    }

    /// Every fence from 1 to writers × writes, dealt out to writers and keys and shuffled, so every writer
    /// holds old and new fences and sends them in no particular order.
    static func plans(seed: UInt64) -> [[Write]] {
        var random = SplitMix64(seed: seed)
        let fences = Array(1...UInt64(writerCount * writesPerWriter)).shuffled(using: &random)
        return (0..<writerCount).map { writer in
            fences[(writer * writesPerWriter)..<((writer + 1) * writesPerWriter)].map { fence in
                Write(key: keys.randomElement(using: &random)!, fence: fence)
            }
        }
    }

    /// One writer's writes, alternating update and upsert, inside GRDB's transaction or outside any.
    static func run(_ plan: [Write], writer: Int, pool: DatabasePool, own: DatabaseQueue?) throws -> [Outcome] {
        let contacts = try FencedRecords(table: "contacts")
        var outcomes: [Outcome] = []
        for (index, write) in plan.enumerated() {
            let operation = { (db: Database) throws -> FencedWrite in
                let fence = FenceToken(write.fence)
                let body: Int64 = Int64(write.fence)
                return index % 2 == 0
                    ? try contacts.update(db, key: write.key, fence: fence, set: ["body": body])
                    : try contacts.upsert(db, key: write.key, fence: fence, values: ["body": body])
            }
            let result: FencedWrite
            switch (own, index % 3 == 0) {
            case (let own?, true): result = try own.writeWithoutTransaction(operation)
            case (let own?, false): result = try own.write(operation)
            case (nil, true): result = try pool.writeWithoutTransaction(operation)
            case (nil, false): result = try pool.write(operation)
            }
            outcomes.append(Outcome(write: write, result: result))
        }
        return outcomes
    }

    static func check(_ outcomes: [Outcome], plans: [[Write]], pool: DatabasePool) throws {
        #expect(outcomes.count == writerCount * writesPerWriter)
        let changes = try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT key, old, new, body FROM fence_changes ORDER BY rowid")
        }
        // No write ever replaced a newer fence, and data and fence were always written together.
        let overwrites = changes.filter { change in
            let old: Int64? = change["old"]
            let new: Int64 = change["new"]
            return old.map { new < $0 } ?? false
        }
        let mismatches = changes.filter { change in (change["body"] as Int64?) != (change["new"] as Int64?) }
        #expect(overwrites.isEmpty, "\(overwrites.count) stale overwrites: \(String(describing: overwrites.first))")
        #expect(mismatches.isEmpty, "\(mismatches.count) changes stored data with another write's fence")
        // Each write that applied left exactly one change; each refusal named a newer stored fence.
        let applied = outcomes.filter { $0.result == .applied }
        #expect(applied.count == changes.count)
        let wrongRefusals = outcomes.filter { outcome in
            switch outcome.result {
            case .applied: false
            case .rejected(let stored): stored.rawValue <= outcome.write.fence
            case .missing: true
            }
        }
        #expect(wrongRefusals.isEmpty, "\(wrongRefusals.count) refusals without a newer stored fence")
        #expect(!applied.isEmpty && applied.count < outcomes.count, "both outcomes must have happened")
        // The newest fence sent for each key won, with its own data.
        for key in keys {
            let newest = plans.joined().filter { $0.key == key }.map(\.fence).max()
            let row = try pool.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM contacts WHERE key = ?", arguments: [key])
            }
            #expect(row?["fence"] == newest.map(Int64.init))
            #expect(row?["body"] == newest.map(Int64.init))
        }
    }
}

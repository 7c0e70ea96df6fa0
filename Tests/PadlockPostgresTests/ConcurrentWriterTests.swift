import PadlockPostgres
import PadlockTypes
import PostgresNIO
import Synchronization
import Testing

/// Many writers on one table, on connections of their own and through a pool, some inside explicit
/// transactions, each sending fences out of order as paused holders and their successors would. A trigger logs
/// every change of a record's fence, so the test sees every write that took effect, not only the final state.
@Suite struct ConcurrentWriterTests {
    static let keys = ["1", "2", "3"]
    static let writerCount = 8
    static let writesPerWriter = 120

    struct Write: Sendable {
        var key: String
        var fence: Int64
    }

    struct Outcome: Sendable {
        var write: Write
        var result: FencedWrite
    }

    @Test func concurrentWritersNeverLetAStaleFenceOverwriteANewerOneAndLoseNoWrite() async throws {
        try await TestDatabase.with { database in
            let setup = try await database.connect()
            try await Self.createSchema(setup)
            let plans = Self.plans(seed: 0x5EED)
            let client = database.client(maximumConnections: 4)
            let outcomes = try await withRunning(client) {
                try await withThrowingTaskGroup(of: [Outcome].self) { group in
                    for writer in 0..<Self.writerCount {
                        group.addTask {
                            // Even writers have a connection of their own; odd ones share the pool.
                            let own = writer % 2 == 0 ? try await database.connect() : nil
                            return try await Self.run(plans[writer], own: own, client: client)
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
            }
            try await Self.check(outcomes, plans: plans, connection: setup)
        }
    }

    static func createSchema(_ connection: PostgresConnection) async throws {
        try await connection.execute(
            "CREATE TABLE contacts (key text PRIMARY KEY, body bigint, fence bigint)",
            "CREATE TABLE fence_changes (id bigserial PRIMARY KEY, key text, old bigint, new bigint, body bigint)",
            """
            CREATE FUNCTION log_fence() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO fence_changes (key, old, new, body) VALUES (NEW.key, OLD.fence, NEW.fence, NEW.body);
                RETURN NEW;
            END $$
            """,
            "CREATE TRIGGER log_fence AFTER UPDATE ON contacts FOR EACH ROW EXECUTE FUNCTION log_fence()",
            "INSERT INTO contacts (key) VALUES ('1'), ('2'), ('3')")
    }

    /// Every fence from 1 to writers × writes, dealt out to writers in turn (writer w gets w+1, w+1+writers, …)
    /// as successive grants would be, each to a random key. Each writer sends its fences mostly in order, but a
    /// quarter of them late (swapped with a later one, as a paused holder would), and the writers run at once,
    /// so fences of different writers interleave at the store and both outcomes happen often.
    static func plans(seed: UInt64) -> [[Write]] {
        var random = SplitMix64(seed: seed)
        return (0..<writerCount).map { writer in
            var fences = (0..<writesPerWriter).map { Int64(writer + 1 + $0 * writerCount) }
            for index in fences.indices.dropLast() where random.next() % 4 == 0 {
                fences.swapAt(index, index + 1 + Int(random.next() % UInt64(min(5, fences.count - index - 1))))
            }
            return fences.map { Write(key: keys[Int(random.next() % UInt64(keys.count))], fence: $0) }
        }
    }

    /// One writer's writes, alternating update and upsert, every third inside an explicit transaction.
    static func run(_ plan: [Write], own: PostgresConnection?, client: PostgresClient) async throws -> [Outcome] {
        let contacts = try PostgresFencedRecords(table: "contacts")
        var outcomes: [Outcome] = []
        for (index, write) in plan.enumerated() {
            let fence = FenceToken(UInt64(write.fence))
            let operation = { @Sendable (connection: PostgresConnection) async throws -> FencedWrite in
                index % 2 == 0
                    ? try await contacts.update(
                        on: connection, key: write.key, fence: fence, set: ["body": write.fence])
                    : try await contacts.upsert(
                        on: connection, key: write.key, fence: fence, values: ["body": write.fence])
            }
            let result: FencedWrite
            switch (own, index % 3 == 0) {
            case (let own?, true): result = try await own.withTransaction(logger: quiet) { try await operation($0) }
            case (let own?, false): result = try await operation(own)
            case (nil, true): result = try await client.withTransaction(logger: quiet) { try await operation($0) }
            case (nil, false): result = try await client.withConnection { try await operation($0) }
            }
            outcomes.append(Outcome(write: write, result: result))
        }
        return outcomes
    }

    static func check(_ outcomes: [Outcome], plans: [[Write]], connection: PostgresConnection) async throws {
        #expect(outcomes.count == writerCount * writesPerWriter)
        var changes: [(key: String, old: Int64?, new: Int64, body: Int64?)] = []
        for try await (key, old, new, body) in try await connection.query(
            "SELECT key, old, new, body FROM fence_changes ORDER BY id", logger: quiet
        ).decode((String, Int64?, Int64, Int64?).self) {
            changes.append((key, old, new, body))
        }
        // No write ever replaced a newer fence, and data and fence were always written together.
        let overwrites = changes.filter { change in change.old.map { change.new < $0 } ?? false }
        #expect(overwrites.isEmpty, "\(overwrites.count) stale overwrites: \(String(describing: overwrites.first))")
        #expect(changes.allSatisfy { $0.body == $0.new }, "a change stored data with another write's fence")
        // Each applied write left exactly its own change (none lost, none invented); each refusal named a
        // newer stored fence.
        let applied = outcomes.filter { $0.result == .applied }
        let appliedWrites = applied.map { "\($0.write.key)/\($0.write.fence)" }.sorted()
        let loggedWrites = changes.map { "\($0.key)/\($0.new)" }.sorted()
        let lost = Set(appliedWrites).subtracting(loggedWrites).count
        #expect(appliedWrites == loggedWrites, "\(lost) applied writes are missing from the table's history")
        let rejected = outcomes.filter { outcome in
            if case .rejected(let stored) = outcome.result { return stored.rawValue > UInt64(outcome.write.fence) }
            return false
        }
        #expect(applied.count + rejected.count == outcomes.count, "every write applied or was refused by a newer fence")
        #expect(!applied.isEmpty && !rejected.isEmpty, "both outcomes must have happened")
        // The newest fence sent for each key won, with its own data.
        for key in keys {
            let newest = plans.joined().filter { $0.key == key }.map(\.fence).max()
            let row = try await connection.query("SELECT fence, body FROM contacts WHERE key = \(key)", logger: quiet)
                .collect().first?.makeRandomAccess()
            #expect(try row?["fence"].decode(Int64?.self) == newest)
            #expect(try row?["body"].decode(Int64?.self) == newest)
        }
        print(
            "PadlockPostgres concurrency: writers \(writerCount), writes \(outcomes.count), applied \(applied.count), "
                + "rejected stale writes \(rejected.count), lost \(lost), stale overwrites \(overwrites.count)")
    }
}

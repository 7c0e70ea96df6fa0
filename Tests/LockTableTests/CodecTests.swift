import LockTable
import PadlockTypes
import Testing

@Suite struct CodecTests {
    static let samples: [Command] = [
        .openSession(owner: "alice@frontend-2", nonce: 7, ttlMilliseconds: 10_000),
        .closeSession(RequestID(session: SessionID(3), sequence: 9)),
        .acquire(
            RequestID(session: SessionID(3), sequence: 10), key: try! LockKey("acme/contacts/42/phone"), mode: .shared,
            waitMilliseconds: 2_000, note: "editing phone number é"),
        .release(
            RequestID(session: SessionID(3), sequence: 11), key: try! LockKey("acme/contacts/42"),
            fence: FenceToken(300)),
        .cancelWait(RequestID(session: SessionID(3), sequence: 12), key: try! LockKey("acme")),
        .forceUnlock(
            RequestID(session: SessionID(4), sequence: 1), key: try! LockKey("acme/x"), reason: "stuck", admin: "root"),
        .revokeSession(
            RequestID(session: SessionID(4), sequence: 2), session: SessionID(3), reason: "left", admin: "root"),
        .expireSession(SessionID(3), renewalGeneration: 17),
        .expireWaiter(RequestID(session: SessionID(3), sequence: 10)),
        .checkpointLeases([LeaseCheckpoint(session: SessionID(3), renewalGeneration: 2, remainingMilliseconds: 900)]),
        .resolve(RequestID(session: SessionID(3), sequence: 13)),
        .setQuotas(
            NamespaceQuotas(
                standard: .init(heldLocksMax: 100), byNamespace: ["acme": .init(heldLocksMax: 5, waitersMax: 2)])),
        .openClientSession(
            owner: "alice@fe", nonce: 9, ttlMilliseconds: 5_000, client: "crm-frontend", sessionsMax: 200),
        .takeover(
            RequestID(session: SessionID(5), sequence: 3), key: try! LockKey("acme/contacts/7"), mode: .exclusive,
            note: "fixing the address", reason: "alice is on leave", admin: "client crm: manager@fe"),
    ]

    @Test func everyCommandSurvivesEncodingAndDecoding() throws {
        for command in Self.samples {
            #expect(try Command.decode(command.encode()) == command)
        }
    }

    @Test func everyTruncationOfACommandIsADecodeErrorNotATrap() {
        for command in Self.samples {
            let bytes = command.encode()
            for length in 0..<bytes.count {
                #expect(throws: DecodeError.self) { try Command.decode(Array(bytes[..<length])) }
            }
        }
    }

    @Test func aMalformedKeyInsideACommandIsRejectedByTheDecoder() {
        var writer = ByteWriter()
        writer.writeUInt8(5)  // cancelWait
        writer.writeVarint(1)
        writer.writeVarint(1)
        writer.writeString("acme//42")
        #expect(throws: DecodeError.self) { try Command.decode(writer.bytes) }
    }

    /// Random bytes and random mutations of valid encodings: decoding never traps, and whatever decodes
    /// re-encodes to exactly the same bytes (the encoding is canonical).
    @Test func decodingRandomBytesNeverTrapsAndDecodedCommandsAreCanonical() {
        var random = SeededGenerator(seed: 99)
        var decoded = 0
        for round in 0..<60_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0..<40, using: &random)).map { _ in
                    UInt8.random(in: 0...255, using: &random)
                }
            } else {
                bytes = Self.samples.randomElement(using: &random)!.encode()
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            }
            if let command = try? Command.decode(bytes) {
                decoded += 1
                #expect(command.encode() == bytes)
            }
        }
        #expect(decoded > 1_000, "mutations should often still decode")
    }

    /// Tags are part of the log and snapshot formats: new ones are appended, existing ones never renumbered.
    @Test func resolveAndAbandonedHaveTheirAppendedTags() throws {
        #expect(Command.resolve(RequestID(session: SessionID(3), sequence: 13)).encode() == [11, 3, 13])
        var writer = ByteWriter()
        CommandResult.abandoned.encode(into: &writer)
        #expect(writer.bytes == [23])
        var reader = ByteReader(writer.bytes)
        #expect(try CommandResult.decode(from: &reader) == .abandoned)
    }

    /// A snapshot of one session with ttl 2 000 ms and the given checkpointed remaining time, in `version`.
    static func oneSessionSnapshot(version: UInt8, checkpointRemaining: UInt64) -> [UInt8] {
        var writer = ByteWriter()
        writer.writeRaw(Array("PLTS".utf8))
        writer.writeUInt8(version)
        for counter: UInt64 in [1, 1_000, 1] { writer.writeVarint(counter) }  // applied index, time, audit sequence
        writer.writeVarint(1)  // one session
        writer.writeVarint(1)
        writer.writeString("alice@fe")
        for field: UInt64 in [1, 2_000, 1_000, 0, 3_000, checkpointRemaining, 0] { writer.writeVarint(field) }
        writer.writeBool(false)  // no stored answer
        for _ in 0..<5 { writer.writeVarint(0) }  // holdings, waiters, lock-delays, ended sessions, audit
        for _ in 0..<3 { writer.writeVarint(0) }  // quotas: no standard bounds, no namespaces
        return writer.bytes
    }

    @Test func restoreReadsVersionThreeOnlyAndBoundsTheCheckpointedTimeByTwiceTheTTL() throws {
        var table = LockTable()
        try table.restore(from: Self.oneSessionSnapshot(version: 3, checkpointRemaining: 4_000))
        #expect(table.session(SessionID(1))?.checkpointRemainingMilliseconds == 4_000)
        #expect(table.session(SessionID(1))?.leaseDeadline == Timestamp(rawValue: 3_000))
        #expect(throws: SnapshotError.unsupportedVersion(2)) {
            try table.restore(from: Self.oneSessionSnapshot(version: 2, checkpointRemaining: 4_000))
        }
        #expect(throws: SnapshotError.self) {
            try table.restore(from: Self.oneSessionSnapshot(version: 3, checkpointRemaining: 4_001))
        }
        #expect(
            table.session(SessionID(1))?.checkpointRemainingMilliseconds == 4_000, "a failed restore changes nothing")
    }

    @Test func anUndecodableEntryIsAnsweredMalformedAndChangesNothing() {
        var table = LockTable()
        let before = table.snapshot()
        let applied = table.apply(encoded: [0xFF, 1, 2], at: 1, time: Timestamp(rawValue: 5))
        #expect(applied.result == .invalid(.malformedCommand))
        #expect(table.lastAppliedIndex == 1)
        #expect(table.counts == LockTable().counts)
        #expect(before != table.snapshot(), "the applied index still advances")
    }

    /// Version 3: session 1 ("alice@fe") and one holding of `key` in `mode`, granted to `holders` (fence 5).
    static func snapshotHolding(_ key: String, mode: LockMode, grantedTo holders: [UInt64]) -> [UInt8] {
        var writer = ByteWriter()
        writer.writeRaw(Array("PLTS".utf8))
        writer.writeUInt8(3)
        for counter: UInt64 in [10, 1_000, 1] { writer.writeVarint(counter) }  // applied index, time, audit sequence
        writer.writeVarint(1)  // one session
        writer.writeVarint(1)
        writer.writeString("alice@fe")
        for field: UInt64 in [1, 2_000, 1_000, 0, 3_000, 2_000, 0] { writer.writeVarint(field) }
        writer.writeBool(false)  // no stored answer
        writer.writeVarint(1)  // one holding
        writer.writeString(key)
        writer.writeUInt8(mode.rawValue)
        writer.writeVarint(UInt64(holders.count))
        for session in holders {
            for field: UInt64 in [session, 5, 1_000] { writer.writeVarint(field) }  // session, fence, since
            writer.writeString("")
        }
        for _ in 0..<4 { writer.writeVarint(0) }  // waiters, lock-delays, ended sessions, audit
        for _ in 0..<3 { writer.writeVarint(0) }  // quotas: no standard bounds, no namespaces
        return writer.bytes
    }

    @Test func restoreRefusesAGrantToAMissingSessionOrTheSameSessionTwice() throws {
        var table = LockTable()
        try table.restore(from: Self.snapshotHolding("acme/contacts/1", mode: .shared, grantedTo: [1]))
        #expect(table.inspect(try LockKey("acme/contacts/1")).holders.map(\.holder.session) == [SessionID(1)])
        for (mode, holders) in [(LockMode.shared, [UInt64(1), 1]), (.exclusive, [2]), (.shared, [1, 2])] {
            var fresh = LockTable()
            #expect(throws: SnapshotError.self, "\(mode) to \(holders)") {
                try fresh.restore(from: Self.snapshotHolding("acme/contacts/1", mode: mode, grantedTo: holders))
            }
            #expect(fresh.counts.heldLocks == 0, "a failed restore changes nothing")
        }
    }

    @Test func restoringGarbageOrMutatedSnapshotsFailsWithATypedErrorAndKeepsTheTable() {
        var run = RandomRun(seed: 5)
        for _ in 0..<300 { _ = try? run.step() }
        let good = run.table.snapshot()
        var random = SeededGenerator(seed: 6)
        var target = LockTable(configuration: RandomWorkload.configuration)
        let empty = target.snapshot()
        var failures = 0
        for _ in 0..<3_000 {
            var bytes = good
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            var copy = target
            do {
                try copy.restore(from: bytes)
            } catch {
                failures += 1
                #expect(copy.snapshot() == empty, "a failed restore must leave the table unchanged")
            }
        }
        #expect(failures > 100)
        #expect(throws: SnapshotError.wrongMagic) { try target.restore(from: Array("XXXX".utf8) + [1]) }
        #expect(throws: SnapshotError.self) { try target.restore(from: Array(good.dropLast())) }
        #expect(throws: Never.self) { try target.restore(from: good) }
        #expect(target.snapshot() == good)
    }
}

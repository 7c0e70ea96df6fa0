import LockTable
import PadlockTypes
import Testing

/// Keys are Swift strings, equal under Unicode canonical equivalence; the table must apply that one notion
/// everywhere, so a record named with a precomposed "é" and its field named with "e" + combining accent
/// still conflict, whichever is locked first.
@Suite struct UnicodeKeyTests {
    static let precomposed = "acme/caf\u{E9}"
    static let decomposedField = "acme/cafe\u{301}/phone"

    private func table(holding key: String) throws -> (LockTable, RequestID) {
        var table = LockTable()
        let time = Timestamp(rawValue: 1_000)
        for (index, owner) in [(1, "alice@fe"), (2, "bob@fe")] {
            _ = table.apply(
                .openSession(owner: owner, nonce: 1, ttlMilliseconds: 10_000), at: UInt64(index), time: time)
        }
        let alice = RequestID(session: SessionID(1), sequence: 1)
        let granted = table.apply(
            .acquire(alice, key: try LockKey(key), mode: .exclusive, waitMilliseconds: 0, note: ""), at: 3, time: time)
        guard case .granted = granted.result else { throw ScriptError("setup was not granted: \(granted.result)") }
        return (table, RequestID(session: SessionID(2), sequence: 1))
    }

    @Test func aFieldSpelledDecomposedIsCoveredByItsRecordSpelledPrecomposed() throws {
        var (table, bob) = try table(holding: Self.precomposed)
        let answer = table.apply(
            .acquire(bob, key: try LockKey(Self.decomposedField), mode: .exclusive, waitMilliseconds: 0, note: ""),
            at: 4, time: Timestamp(rawValue: 1_000))
        guard case let .held(holder, _) = answer.result else {
            Issue.record("expected a refusal, got \(answer.result)")
            return
        }
        #expect(holder.session == SessionID(1))
    }

    @Test func aRecordSpelledPrecomposedIsBlockedByItsFieldSpelledDecomposed() throws {
        var (table, bob) = try table(holding: Self.decomposedField)
        let answer = table.apply(
            .acquire(bob, key: try LockKey(Self.precomposed), mode: .exclusive, waitMilliseconds: 0, note: ""),
            at: 4, time: Timestamp(rawValue: 1_000))
        guard case let .held(holder, key) = answer.result else {
            Issue.record("expected a refusal, got \(answer.result)")
            return
        }
        #expect(holder.session == SessionID(1))
        #expect(key.string.utf8.elementsEqual(Self.decomposedField.utf8))
    }

    /// Two shared holders spell one record differently; both expire, each starting lock-delay.
    private func sharedTable() throws -> LockTable {
        var table = LockTable()
        let time = Timestamp(rawValue: 1_000)
        _ = table.apply(.openSession(owner: "alice@fe", nonce: 1, ttlMilliseconds: 2_000), at: 1, time: time)
        _ = table.apply(.openSession(owner: "bob@fe", nonce: 1, ttlMilliseconds: 3_000), at: 2, time: time)
        for (index, spelling) in [(3, "acme/caf\u{E9}"), (4, "acme/cafe\u{301}")] {
            let request = RequestID(session: SessionID(UInt64(index - 2)), sequence: 1)
            let applied = table.apply(
                .acquire(request, key: try LockKey(spelling), mode: .shared, waitMilliseconds: 0, note: ""),
                at: UInt64(index), time: time)
            guard case .granted = applied.result else { throw ScriptError("not granted: \(applied.result)") }
        }
        return table
    }

    @Test func lockDelaysStartedUnderTwoSpellingsOfOneKeyExtendEachOther() throws {
        var table = try sharedTable()
        let first = table.apply(
            .expireSession(SessionID(1), renewalGeneration: 0), at: 5, time: Timestamp(rawValue: 3_000))
        #expect(first.result == .sessionExpiredNow(SessionID(1)))
        let second = table.apply(
            .expireSession(SessionID(2), renewalGeneration: 0), at: 6, time: Timestamp(rawValue: 4_000))
        #expect(second.result == .sessionExpiredNow(SessionID(2)))
        #expect(table.inspect(try LockKey("acme/caf\u{E9}")).lockDelayedUntil == Timestamp(rawValue: 9_000))
        #expect(table.counts.lockDelays == 1)
    }

    @Test func aRestoredTableReportsAKeySpelledTwoWaysExactlyAsTheOriginal() throws {
        var original = try sharedTable()
        var restored = LockTable()
        try restored.restore(from: original.snapshot())
        let close = Command.closeSession(RequestID(session: SessionID(2), sequence: 2))
        let time = Timestamp(rawValue: 1_500)
        let expected = original.apply(close, at: 5, time: time)
        let actual = restored.apply(close, at: 5, time: time)
        #expect(actual == expected)
        let releasedKeys = [expected, actual].map { applied in
            applied.events.compactMap { event -> [UInt8]? in
                if case let .lockReleased(key, _, _) = event { return Array(key.string.utf8) } else { return nil }
            }
        }
        #expect(releasedKeys[0] == releasedKeys[1], "the released key must be spelled the same, byte for byte")
        #expect(original.snapshot() == restored.snapshot())
    }

    /// Overlap inspection names each holder under the key's stored spelling (the first one granted) and each
    /// waiter under its own acquire's spelling, identically after a restore.
    @Test func overlapInspectionSpellsKeysTheSameWayAfterARestore() throws {
        var original = try sharedTable()
        _ = original.apply(
            .openSession(owner: "carol@fe", nonce: 1, ttlMilliseconds: 10_000), at: 5, time: Timestamp(rawValue: 1_000))
        let queued = original.apply(
            .acquire(
                RequestID(session: SessionID(5), sequence: 1), key: try LockKey("acme/cafe\u{301}"), mode: .exclusive,
                waitMilliseconds: 5_000, note: ""), at: 6, time: Timestamp(rawValue: 1_000))
        #expect(queued.result == .queued(position: 1))
        var restored = LockTable()
        try restored.restore(from: original.snapshot())
        let field = try LockKey(Self.decomposedField)
        let spellings = [original, restored].map { table in
            let inspection = table.inspectOverlapping(field, limit: 10)
            return (
                inspection.holders.map { Array($0.key.string.utf8) },
                inspection.waiters.map { Array($0.key.string.utf8) }
            )
        }
        #expect(spellings[0].0 == [Array("acme/caf\u{E9}".utf8), Array("acme/caf\u{E9}".utf8)])
        #expect(spellings[0].1 == [Array("acme/cafe\u{301}".utf8)])
        #expect(spellings[1].0 == spellings[0].0 && spellings[1].1 == spellings[0].1)
        #expect(original.inspectOverlapping(field, limit: 10) == restored.inspectOverlapping(field, limit: 10))
    }
}

/// Listing and snapshots order keys by their UTF-8 bytes (not by Swift's `<`, which compares Unicode scalars
/// after normalization), so every replica and every release agrees on pages and snapshot bytes.
@Suite struct KeyOrderTests {
    static let keys = [
        "acme/b", "acme/a", "acme/ab", "acme/a/1", "acme/Z", "acme/\u{E4}", "acme/a\u{308}x", "acme/\u{1F512}",
        "acme/z", "acme/a0", "acme/~x",
    ]

    private func tableHoldingEveryKey() throws -> LockTable {
        var table = LockTable()
        let time = Timestamp(rawValue: 1_000)
        _ = table.apply(.openSession(owner: "alice@fe", nonce: 1, ttlMilliseconds: 10_000), at: 1, time: time)
        // Shared holds, so that a key and its subtree ("acme/a", "acme/a/1") can both be held.
        for (offset, key) in Self.keys.enumerated() {
            let request = RequestID(session: SessionID(1), sequence: UInt64(offset + 1))
            let answer = table.apply(
                .acquire(request, key: try LockKey(key), mode: .shared, waitMilliseconds: 0, note: ""),
                at: UInt64(offset + 2), time: time)
            guard case .granted = answer.result else { throw ScriptError("\(key) was not granted: \(answer.result)") }
        }
        return table
    }

    @Test func listingPagesThroughHeldKeysInUTF8ByteOrder() throws {
        let table = try tableHoldingEveryKey()
        let expected = Self.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var listed: [String] = []
        var after: LockKey?
        repeat {
            let page = table.list(prefix: try LockKey("acme"), after: after, limit: 3)
            listed += page.locks.map(\.key.string)
            after = page.nextAfter
        } while after != nil
        #expect(listed == expected)
    }

    @Test func aRestoredTableListsAndSnapshotsExactlyAsTheOriginal() throws {
        let original = try tableHoldingEveryKey()
        var restored = LockTable()
        try restored.restore(from: original.snapshot())
        #expect(restored.snapshot() == original.snapshot())
        #expect(restored.list(limit: 100).locks.map(\.key.string) == original.list(limit: 100).locks.map(\.key.string))
    }
}

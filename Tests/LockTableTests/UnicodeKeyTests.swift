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
}

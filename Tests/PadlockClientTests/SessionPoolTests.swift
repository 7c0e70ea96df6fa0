import Testing

@testable import PadlockClient

/// The pool's owner index agrees with its ordered list through appends and removals, so picking a session
/// for a rep sees exactly that rep's sessions (issue 19: one client serving thousands of reps).
struct SessionPoolTests {
    @Test func theOwnerIndexFollowsAppendsAndRemovals() {
        var pool = SessionPool()
        let sessions = (0..<300).map { PoolSession(nonce: UInt64($0 + 1), owner: "rep-\($0 % 100)@crm") }
        for session in sessions { pool.append(session) }
        #expect(pool.count == 300)
        #expect(pool.of("rep-7@crm").map(\.nonce) == [8, 108, 208])
        #expect(pool.counts(of: "rep-7@crm") == (total: 3, opening: 3))

        pool.remove(sessions[107])
        #expect(pool.of("rep-7@crm").map(\.nonce) == [8, 208])
        #expect(!pool.contains { $0 === sessions[107] })
        pool.remove(sessions[107])
        #expect(pool.count == 299, "removing a session twice is harmless")

        let gone = pool.remove(of: "rep-9@crm") { $0.nonce != 10 }
        #expect(gone.map(\.nonce) == [110, 210])
        #expect(pool.of("rep-9@crm").map(\.nonce) == [10])
        #expect(pool.count == 297)
        #expect(pool.of("nobody").isEmpty)
        #expect(pool.map(\.nonce) == sessions.map(\.nonce).filter { ![108, 110, 210].contains($0) }, "order is kept")
    }
}

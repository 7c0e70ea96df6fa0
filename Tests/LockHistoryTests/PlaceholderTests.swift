import Testing
@testable import LockHistory

@Suite struct LockHistoryPlaceholderTests {
    @Test func moduleLinks() { #expect(Bool(true)) }
}

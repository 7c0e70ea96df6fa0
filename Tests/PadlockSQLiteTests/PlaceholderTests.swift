import Testing
@testable import PadlockSQLite

@Suite struct PadlockSQLitePlaceholderTests {
    @Test func moduleLinks() { #expect(Bool(true)) }
}

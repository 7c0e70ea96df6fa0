import Testing
@testable import PadlockClient

@Suite struct PadlockClientPlaceholderTests {
    @Test func moduleLinks() { #expect(Bool(true)) }
}

import Testing
@testable import PadlockConfig

@Suite struct PadlockConfigPlaceholderTests {
    @Test func moduleLinks() { #expect(Bool(true)) }
}

import Testing
@testable import Node

@Suite struct NodePlaceholderTests {
    @Test func moduleLinks() { #expect(Bool(true)) }
}

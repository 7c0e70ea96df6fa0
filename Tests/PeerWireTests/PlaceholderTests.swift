import Testing
@testable import PeerWire

@Suite struct PeerWirePlaceholderTests {
    @Test func moduleLinks() { #expect(Bool(true)) }
}

import Testing
@testable import AdminHTTP

@Suite struct AdminHTTPPlaceholderTests {
    @Test func moduleLinks() { #expect(Bool(true)) }
}

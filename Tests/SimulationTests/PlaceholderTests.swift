import Testing
@testable import Simulation

@Suite struct SimulationPlaceholderTests {
    @Test func moduleLinks() { #expect(Bool(true)) }
}

import Testing

@testable import Storage

@Suite struct CRC32CTests {
    @Test func theStandardCheckValueIsComputed() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func anEmptyInputHasChecksumZero() {
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test func thirtyTwoZeroBytesMatchTheRFC3720Vector() {
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    }

    @Test func chainingEqualsChecksummingTheConcatenation() {
        var generator = SeededGenerator(seed: 7)
        for length in [0, 1, 7, 8, 9, 63, 64, 1000] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let split = length / 3
            let chained = CRC32C.checksum(bytes[split...], continuing: CRC32C.checksum(bytes[..<split]))
            #expect(chained == CRC32C.checksum(bytes), "length \(length)")
        }
    }
}

import Testing

@testable import PadlockConfig

@Suite struct ValueSyntaxTests {
    static let durations: [(String, UInt64)] = [
        ("0s", 0), ("0ms", 0), ("1ms", 1), ("500ms", 500), ("2s", 2_000), ("1m", 60_000), ("90m", 5_400_000),
        ("1h", 3_600_000), ("999999999999h", 999_999_999_999 * 3_600_000),
    ]

    @Test(arguments: durations)
    func durationsAreAWholeNumberAndAUnit(_ text: String, milliseconds: UInt64) throws {
        #expect(try DurationText.milliseconds(text) == milliseconds)
        #expect(try DurationText.milliseconds(DurationText.text(milliseconds: milliseconds)) == milliseconds)
    }

    static let badDurations = [
        "", "s", "5", "5S", "5 s", " 5s", "1.5s", "1,5s", "1m30s", "5us", "-1s", "+1s", "1d", "1e3ms", "0x10s",
        "1000000000000ms",
    ]

    @Test(arguments: badDurations)
    func anythingElseIsNotADuration(_ text: String) {
        #expect(throws: ValueProblem.self) { try DurationText.milliseconds(text) }
    }

    @Test func durationsAreShownInTheLargestUnitThatDividesThem() {
        #expect(DurationText.text(milliseconds: 0) == "0ms")
        #expect(DurationText.text(milliseconds: 1_500) == "1500ms")
        #expect(DurationText.text(milliseconds: 90_000) == "90s")
        #expect(DurationText.text(milliseconds: 120_000) == "2m")
        #expect(DurationText.text(milliseconds: 7_200_000) == "2h")
    }
}

import Testing

@testable import PadlockConfig

@Suite struct ValueSyntaxTests {
    static let canonicalAddresses: [(String, String)] = [
        ("127.0.0.1:7401", "127.0.0.1:7401"),
        ("0.0.0.0:1", "0.0.0.0:1"),
        ("255.255.255.255:65535", "255.255.255.255:65535"),
        ("[::1]:7401", "[::1]:7401"),
        ("[::]:7401", "[::]:7401"),
        ("[0:0:0:0:0:0:0:1]:7401", "[::1]:7401"),
        ("[FD00:0000:0000:0000:0000:0000:0000:0011]:7501", "[fd00::11]:7501"),
        ("[2001:db8:0:0:1:0:0:1]:80", "[2001:db8::1:0:0:1]:80"),
        ("[2001:db8:0:1:1:1:1:1]:80", "[2001:db8:0:1:1:1:1:1]:80"),
        ("[1::]:80", "[1::]:80"),
        ("[::ffff:10.0.0.1]:80", "[::ffff:10.0.0.1]:80"),
        ("[::ffff:a00:1]:80", "[::ffff:10.0.0.1]:80"),
        ("[64:ff9b::192.0.2.33]:80", "[64:ff9b::c000:221]:80"),
    ]

    @Test(arguments: canonicalAddresses)
    func addressesAreReadIntoCanonicalForm(_ text: String, canonical: String) throws {
        let address = try SocketAddress.parsing(text)
        #expect(address.description == canonical)
        #expect(try SocketAddress.parsing(address.description) == address)
    }

    static let badAddresses = [
        "", ":7401", "127.0.0.1:", "127.0.0.1:07401x", "1.2.3:80", "1.2.3.4.5:80", "01.2.3.4:80", "1.2.3.-4:80",
        "[::1]", "[::1]7401", "[:::1]:80", "[1:2:3:4:5:6:7:8:9]:80", "[1:2:3:4:5:6:7]:80", "[12345::]:80",
        "[::1.2.3]:80", "[g::]:80", "[1.2.3.4]:80", "host.example:80", String(repeating: "1", count: 65) + ":80",
    ]

    @Test(arguments: badAddresses)
    func malformedAddressesAreRefused(_ text: String) {
        #expect(throws: ValueProblem.self) { try SocketAddress.parsing(text) }
    }

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

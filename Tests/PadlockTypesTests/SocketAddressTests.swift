import PadlockTypes
import Testing

/// The one `host:port` parser, with every case the configuration's, the server's and the client's parsers were
/// tested with before they became this one.
@Suite struct SocketAddressTests {
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
        #expect(SocketAddress(text, allowingLocalhost: true) == address)
    }

    static let badAddresses = [
        "", ":7401", "127.0.0.1:", "127.0.0.1:07401x", "1.2.3:80", "1.2.3.4.5:80", "01.2.3.4:80", "1.2.3.-4:80",
        "[::1]", "[::1]7401", "[:::1]:80", "[1:2:3:4:5:6:7:8:9]:80", "[1:2:3:4:5:6:7]:80", "[12345::]:80",
        "[::1.2.3]:80", "[g::]:80", "[1.2.3.4]:80", "host.example:80", String(repeating: "1", count: 65) + ":80",
        // The client's endpoint cases: a name, no port, an unbracketed IPv6 host, ports out of range.
        "db.example:7401", "127.0.0.1", "::1:7401", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:-1",
        "[fe80::1%eth0]:7401", "127.0.0.1:+80", " 127.0.0.1:80", "localhost", "[localhost]:7401",
    ]

    @Test(arguments: badAddresses)
    func malformedAddressesAreRefused(_ text: String) {
        #expect(throws: SocketAddress.Problem.self) { try SocketAddress.parsing(text) }
        #expect(SocketAddress(text, allowingLocalhost: true) == nil)
    }

    @Test func localhostIsANameExceptForTheClient() throws {
        let problem = #expect(throws: SocketAddress.Problem.self) { try SocketAddress.parsing("localhost:7401") }
        #expect(problem?.reason.contains("`localhost` is a host name; give its numeric address") == true)
        #expect(
            SocketAddress("localhost:7401", allowingLocalhost: true) == SocketAddress(host: "127.0.0.1", port: 7401))
        #expect(SocketAddress("localhost.example:7401", allowingLocalhost: true) == nil)
    }

    @Test func problemsSayWhatIsWrong() {
        let cases: [(String, String)] = [
            ("10.0.0.12", "`10.0.0.12` has no port; add one, as in 10.0.0.12:7401"),
            ("::1:7401", "an IPv6 host must be written in brackets"),
            ("[fe80::1%eth0]:7401", "zone indexes (%eth0) are not supported"),
            ("10.0.0.1:0", "has the port 0, outside 1-65535"),
            ("010.0.0.1:80", "is not an IPv4 address (four numbers 0-255 without leading zeros)"),
        ]
        for (text, reason) in cases {
            let problem = #expect(throws: SocketAddress.Problem.self) { try SocketAddress.parsing(text) }
            #expect(problem?.reason.contains(reason) == true, "\(text): \(problem?.reason ?? "")")
        }
    }

    @Test func wildcardsAndFamiliesAreRecognised() throws {
        #expect(try SocketAddress.parsing("0.0.0.0:7401").isWildcard)
        #expect(try SocketAddress.parsing("[0::0]:7401").isWildcard)
        #expect(try !SocketAddress.parsing("10.0.0.1:7401").isWildcard)
        #expect(try SocketAddress.parsing("[::1]:7401").isIPv6)
        #expect(try !SocketAddress.parsing("10.0.0.1:7401").isIPv6)
    }
}

/// A numeric IP address and TCP port, such as `10.0.0.11:7401` or `[::1]:7401`: the one `host:port` type of the
/// package. padlockd's configuration, the addresses in the replicated membership, the server's listeners and
/// the client's endpoints are all read by ``parsing(_:allowingLocalhost:)``.
///
/// The rules (`docs/configuration.md`, "Addresses"):
/// - at most 64 bytes;
/// - the host is four decimal numbers 0-255 without leading zeros (which some tools read as octal), or an IPv6
///   address in brackets (hex groups, one `::`, an optional dotted IPv4 tail, no zone index);
/// - the port is 1 to 65535, digits only;
/// - host names are refused, so nothing depends on name resolution (`EventLoop` has none). The client alone
///   reads `localhost` as `127.0.0.1`, the one name every machine agrees on.
///
/// A parsed address is in canonical form: IPv4 as above, IPv6 as RFC 5952 text (lower case, the longest run of
/// zero groups as `::`), so two spellings of one address are equal and `description` parses back to it.
package struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// The numeric host without brackets: `10.0.0.11` or `::1`.
    package var host: String
    /// The TCP port: 1 to 65535 when parsed; 0 asks a listener for a port the system chooses.
    package var port: Int

    /// An address as given; nothing is checked (parsed addresses have been).
    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Whether the host is an IPv6 address.
    package var isIPv6: Bool { host.contains(":") }

    /// Whether the host is the unspecified address (`0.0.0.0` or `::`): listening on every interface.
    package var isWildcard: Bool { host == "0.0.0.0" || host == "::" }

    /// `host:port`, with the host in brackets for IPv6.
    package var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

extension SocketAddress {
    /// Why a text is not an address: the second half of a message that says first what is allowed
    /// (``syntaxSummary``).
    package struct Problem: Error, Hashable, Sendable {
        /// What is wrong with the text, for a person.
        package var reason: String
    }

    /// The longest text ``parsing(_:allowingLocalhost:)`` reads; every valid address fits with room to spare.
    package static let byteCountMax = 64

    /// What every address message says is allowed.
    package static let syntaxSummary =
        "host:port with a numeric IPv4 or bracketed IPv6 host and a port 1-65535, such as 10.0.0.11:7401 or [::1]:7401"

    /// Reads `host:port` or `[ipv6]:port` into canonical form; `allowingLocalhost` reads the host `localhost`
    /// as `127.0.0.1` (the client's endpoints) instead of refusing it as a name.
    package static func parsing(_ text: String, allowingLocalhost: Bool = false) throws(Problem) -> SocketAddress {
        guard !text.isEmpty else { throw Problem(reason: "it is empty") }
        guard text.utf8.count <= byteCountMax else {
            throw Problem(reason: "it is longer than \(byteCountMax) characters")
        }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw Problem(reason: "`\(text)` opens `[` without closing it with `]`")
            }
            let hostText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw Problem(reason: "`\(text)` has no port after the bracketed host") }
            return SocketAddress(
                host: try IPv6Text.canonical(hostText, whole: text), port: try port(rest.dropFirst(), text))
        }
        guard let colon = text.lastIndex(of: ":") else {
            throw Problem(reason: "`\(text)` has no port; add one, as in \(text):7401")
        }
        let hostText = text[..<colon]
        let portText = text[text.index(after: colon)...]
        if hostText.contains(":") {
            throw Problem(reason: "`\(text)`: an IPv6 host must be written in brackets, as in [::1]:7401")
        }
        if allowingLocalhost, hostText == "localhost" {
            return SocketAddress(host: "127.0.0.1", port: try port(portText, text))
        }
        return SocketAddress(host: try ipv4(hostText, whole: text), port: try port(portText, text))
    }

    /// Reads `text` as ``parsing(_:allowingLocalhost:)`` does, or returns nil.
    package init?(_ text: String, allowingLocalhost: Bool = false) {
        guard let address = try? Self.parsing(text, allowingLocalhost: allowingLocalhost) else { return nil }
        self = address
    }

    /// A port number 1 to 65535, digits only.
    static func port(_ text: Substring, _ whole: String) throws(Problem) -> Int {
        guard !text.isEmpty else { throw Problem(reason: "`\(whole)` has an empty port") }
        guard text.count <= 5, text.utf8.allSatisfy(AddressASCII.isDigit), let number = Int(text) else {
            throw Problem(reason: "`\(whole)` has the port `\(text)`, which is not a number 1-65535")
        }
        guard (1...65535).contains(number) else {
            throw Problem(reason: "`\(whole)` has the port \(number), outside 1-65535")
        }
        return number
    }

    /// Four decimal numbers 0-255 without leading zeros.
    static func ipv4(_ text: Substring, whole: String) throws(Problem) -> String {
        guard !text.isEmpty else { throw Problem(reason: "`\(whole)` has no host before the port") }
        guard let bytes = ipv4Bytes(text) else {
            let looksLikeName = text.utf8.contains { AddressASCII.isLetter($0) }
            throw Problem(
                reason: looksLikeName
                    ? "`\(text)` is a host name; give its numeric address (a node must not depend on DNS to start)"
                    : "`\(text)` is not an IPv4 address (four numbers 0-255 without leading zeros)")
        }
        return bytes.map(String.init).joined(separator: ".")
    }

    /// The four bytes of a dotted-quad address, or nil.
    static func ipv4Bytes(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.utf8.allSatisfy(AddressASCII.isDigit) else { return nil }
            guard part.count == 1 || !part.hasPrefix("0"), let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }
}

/// The character classes the address parser needs.
enum AddressASCII {
    /// `0`-`9`.
    static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
    /// `A`-`Z` or `a`-`z`.
    static func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
    /// A digit or `A`-`F`, `a`-`f`.
    static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }
}

/// IPv6 text to its canonical RFC 5952 form.
enum IPv6Text {
    /// The canonical text of `text`, or a problem naming `whole`.
    static func canonical(_ text: Substring, whole: String) throws(SocketAddress.Problem) -> String {
        guard let groups = groups(text) else {
            throw SocketAddress.Problem(
                reason: text.contains("%")
                    ? "`\(whole)`: zone indexes (%eth0) are not supported"
                    : "`\(text)` is not an IPv6 address")
        }
        return render(groups)
    }

    /// The eight 16-bit groups of an IPv6 address (with at most one `::` and an optional IPv4 tail), or nil.
    static func groups(_ text: Substring) -> [UInt16]? {
        let halves = text.split(separator: "::", maxSplits: 1, omittingEmptySubsequences: false).map { $0 }
        if halves.count == 2, halves[1].contains("::") { return nil }
        guard let head = groupList(halves[0], allowsIPv4Tail: halves.count == 1) else { return nil }
        if halves.count == 1 { return head.count == 8 ? head : nil }
        guard let tail = groupList(halves[1], allowsIPv4Tail: true), head.count + tail.count <= 7 else { return nil }
        return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }

    /// Colon-separated groups of 1-4 hex digits; the last may be a dotted IPv4 address (two groups).
    static func groupList(_ text: Substring, allowsIPv4Tail: Bool) -> [UInt16]? {
        if text.isEmpty { return [] }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 8 else { return nil }
        var groups: [UInt16] = []
        for (index, part) in parts.enumerated() {
            if index == parts.count - 1, allowsIPv4Tail, part.contains(".") {
                guard let bytes = SocketAddress.ipv4Bytes(part) else { return nil }
                groups.append(UInt16(bytes[0]) << 8 | UInt16(bytes[1]))
                groups.append(UInt16(bytes[2]) << 8 | UInt16(bytes[3]))
                continue
            }
            guard (1...4).contains(part.count), part.utf8.allSatisfy(AddressASCII.isHexDigit),
                let value = UInt16(part, radix: 16)
            else { return nil }
            groups.append(value)
        }
        return groups
    }

    /// RFC 5952 text: lower-case hex without leading zeros, the first longest run of two or more zero groups
    /// as `::`, and IPv4-mapped addresses with a dotted tail.
    static func render(_ groups: [UInt16]) -> String {
        if groups[0..<5].allSatisfy({ $0 == 0 }), groups[5] == 0xFFFF {
            let tail = [groups[6] >> 8, groups[6] & 0xFF, groups[7] >> 8, groups[7] & 0xFF]
            return "::ffff:" + tail.map { String($0) }.joined(separator: ".")
        }
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < 8, groups[end] == 0 { end += 1 }
            if end - index > bestLength {
                bestStart = index
                bestLength = end - index
            }
            index = end
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return hex.joined(separator: ":") }
        let head = hex[0..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }
}

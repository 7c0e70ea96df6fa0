/// A numeric IP address and TCP port, such as `10.0.0.11:7401` or `[::1]:7401`.
///
/// Addresses read from a configuration are checked and written in canonical form: IPv4 as four decimal
/// numbers without leading zeros, IPv6 as RFC 5952 text (lower case, the longest run of zero groups as `::`).
/// Host names are refused, so a node never depends on name resolution to start or to find its peers.
package struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// The numeric host without brackets: `10.0.0.11` or `::1`.
    package var host: String
    /// The TCP port, 1 to 65535.
    package var port: Int

    /// An address as given; nothing is checked (addresses read from a configuration have been).
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

/// Why a text is not an address or a duration: the second half of a message that says first what is allowed.
struct ValueProblem: Error {
    var reason: String
}

extension SocketAddress {
    /// What every address message says is allowed.
    static let syntaxSummary =
        "host:port with a numeric IPv4 or bracketed IPv6 host and a port 1-65535, such as 10.0.0.11:7401 or [::1]:7401"

    /// Reads `host:port` or `[ipv6]:port`.
    static func parsing(_ text: String) throws(ValueProblem) -> SocketAddress {
        guard !text.isEmpty else { throw ValueProblem(reason: "it is empty") }
        guard text.utf8.count <= 64 else { throw ValueProblem(reason: "it is longer than 64 characters") }
        let hostText: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw ValueProblem(reason: "`\(text)` opens `[` without closing it with `]`")
            }
            hostText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw ValueProblem(reason: "`\(text)` has no port after the bracketed host")
            }
            portText = rest.dropFirst()
            return SocketAddress(host: try IPv6Text.canonical(hostText, whole: text), port: try port(portText, text))
        }
        guard let colon = text.lastIndex(of: ":") else {
            throw ValueProblem(reason: "`\(text)` has no port; add one, as in \(text):7401")
        }
        hostText = text[..<colon]
        portText = text[text.index(after: colon)...]
        if hostText.contains(":") {
            throw ValueProblem(reason: "`\(text)`: an IPv6 host must be written in brackets, as in [::1]:7401")
        }
        return SocketAddress(host: try ipv4(hostText, whole: text), port: try port(portText, text))
    }

    /// A port number 1 to 65535, digits only.
    static func port(_ text: Substring, _ whole: String) throws(ValueProblem) -> Int {
        guard !text.isEmpty else { throw ValueProblem(reason: "`\(whole)` has an empty port") }
        guard text.count <= 5, text.utf8.allSatisfy(ASCII.isDigit), let number = Int(text) else {
            throw ValueProblem(reason: "`\(whole)` has the port `\(text)`, which is not a number 1-65535")
        }
        guard (1...65535).contains(number) else {
            throw ValueProblem(reason: "`\(whole)` has the port \(number), outside 1-65535")
        }
        return number
    }

    /// Four decimal numbers 0-255 without leading zeros (which some tools read as octal).
    static func ipv4(_ text: Substring, whole: String) throws(ValueProblem) -> String {
        guard !text.isEmpty else { throw ValueProblem(reason: "`\(whole)` has no host before the port") }
        guard let bytes = ipv4Bytes(text) else {
            let looksLikeName = text.utf8.contains { ASCII.isLetter($0) }
            throw ValueProblem(
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
            guard (1...3).contains(part.count), part.utf8.allSatisfy(ASCII.isDigit) else { return nil }
            guard part.count == 1 || !part.hasPrefix("0"), let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }
}

/// IPv6 text to its canonical RFC 5952 form.
enum IPv6Text {
    /// The canonical text of `text`, or a problem naming `whole`.
    static func canonical(_ text: Substring, whole: String) throws(ValueProblem) -> String {
        guard let groups = groups(text) else {
            throw ValueProblem(
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
            guard (1...4).contains(part.count), part.utf8.allSatisfy({ ASCII.hexValue($0) != nil }),
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

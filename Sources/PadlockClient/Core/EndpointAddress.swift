import Wire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A node's client address: a numeric IPv4 or IPv6 host and a port, written `10.0.0.7:7401` or `[::1]:7401`.
///
/// `EventLoop.connect` takes numeric hosts only, so names are not resolved; `localhost` is read as
/// `127.0.0.1`, the one name every machine agrees on.
struct EndpointAddress: Hashable, Sendable, CustomStringConvertible {
    let host: String
    let port: Int

    /// Parses `text`, or returns nil when it is not a numeric `host:port`.
    init?(_ text: String) {
        guard text.utf8.count <= WireLimits.addressByteCountMax, let colon = text.lastIndex(of: ":") else {
            return nil
        }
        var host = String(text[..<colon])
        guard let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port) else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
            guard Self.isNumeric(host, family: AF_INET6) else { return nil }
        } else if host == "localhost" {
            host = "127.0.0.1"
        } else {
            guard Self.isNumeric(host, family: AF_INET) else { return nil }
        }
        self.host = host
        self.port = port
    }

    /// The address as given to the cluster, IPv6 hosts in brackets.
    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    private static func isNumeric(_ host: String, family: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(family, host, &buffer) == 1
    }
}

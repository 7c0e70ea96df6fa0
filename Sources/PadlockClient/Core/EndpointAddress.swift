import PadlockTypes

/// A node's client address: a numeric IPv4 or IPv6 host and a port, written `10.0.0.7:7401` or `[::1]:7401`.
///
/// Read by the package's one `host:port` parser (`SocketAddress`, `docs/configuration.md`, "Addresses"), in
/// canonical form. `EventLoop.connect` takes numeric hosts only, so names are not resolved; `localhost` is
/// read as `127.0.0.1`, the one name every machine agrees on.
struct EndpointAddress: Hashable, Sendable, CustomStringConvertible {
    let host: String
    let port: Int

    /// Parses `text`, or returns nil when it is not a numeric `host:port`.
    init?(_ text: String) {
        guard let address = SocketAddress(text, allowingLocalhost: true) else { return nil }
        self.host = address.host
        self.port = address.port
    }

    /// The address as given to the cluster, IPv6 hosts in brackets.
    var description: String { SocketAddress(host: host, port: port).description }
}

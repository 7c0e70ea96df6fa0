#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Plain blocking IPv4 sockets, off the loop, for tools that probe ports or drive the protocol one call at a
/// time (the CLI's dev cluster, the chaos harness's peer flood, the memory benchmark's pipelined connection).
/// The data path never uses them: it runs on ``EventLoop``.
package enum BlockingSocket {
    /// A blocking TCP connection to `host:port` (an IPv4 address such as `127.0.0.1`), or the `errno` of the
    /// call that failed. With `sendTimeout`, a connect to a full backlog gives up after it instead of blocking
    /// for minutes (`SO_SNDTIMEO` bounds connect too). The caller closes the descriptor.
    package static func openConnection(
        host: String, port: Int, sendTimeout: Duration? = nil
    ) -> Result<Int32, Errno> {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return .failure(Errno(errno)) }
        if let sendTimeout {
            let (seconds, attoseconds) = sendTimeout.components
            var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
            setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        let status = withAddress(host: host, port: port) { connect(descriptor, $0, $1) }
        guard status == 0 else {
            let failure = Errno(errno)
            close(descriptor)
            return .failure(failure)
        }
        return .success(descriptor)
    }

    /// Whether a listener could bind `host:port` now, with `SO_REUSEADDR` as padlockd's listeners set it.
    package static func canBind(host: String = "127.0.0.1", port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        return withAddress(host: host, port: port) { bind(descriptor, $0, $1) } == 0
    }

    /// Calls `body` with `host:port` as a `sockaddr` and its length.
    private static func withAddress(
        host: String, port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32
    ) -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    /// An `errno` value with the C library's words for it.
    package struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
        /// The `errno` value.
        package var code: Int32

        /// Wraps `code`.
        package init(_ code: Int32) { self.code = code }

        /// Such as `Connection refused (errno 111)`.
        package var description: String { "\(String(cString: strerror(code))) (errno \(code))" }
    }
}

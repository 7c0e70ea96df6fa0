import EventLoop
import PadlockTypes
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The package's seeded generator (SplitMix64, in PadlockTypes), so every randomized test replays from its seed.
typealias SeededGenerator = SplitMix64

/// Random bytes to cut frame payloads from, so each payload is a fast copy with varied content.
let payloadPool: [UInt8] = {
    var generator = SeededGenerator(seed: 0x5EED)
    return (0..<(128 * 1024)).map { _ in UInt8.random(in: 0...255, using: &generator) }
}()

/// Frame number `index` of a seeded stream: mostly small, sometimes up to 64 KiB, and the first two are
/// the extremes (empty and 64 KiB).
func makePayload(index: Int, using generator: inout SeededGenerator) -> [UInt8] {
    let size: Int
    switch index {
    case 0: size = 0
    case 1: size = 65_536
    default:
        let bucket = Int.random(in: 0..<1000, using: &generator)
        if bucket < 950 {
            size = Int.random(in: 0..<128, using: &generator)
        } else if bucket < 998 {
            size = Int.random(in: 128..<4096, using: &generator)
        } else {
            size = Int.random(in: 4096...65_536, using: &generator)
        }
    }
    let offset = Int.random(in: 0...(payloadPool.count - size), using: &generator)
    return Array(payloadPool[offset..<(offset + size)])
}

/// Installs echo behaviour on an accepted connection: every frame is sent straight back; a refused send
/// is kept and retried when the connection becomes writable (reading is paused meanwhile).
/// `largestBacklog` records the most frames ever waiting for a writable connection.
func attachEcho(
    _ connection: TCPConnection, closes: Shared<[ConnectionClosed]>? = nil,
    largestBacklog: Shared<Int>? = nil
) {
    var unsent: [[UInt8]] = []
    connection.onFrame = { [unowned connection] payload in
        if !unsent.isEmpty || connection.send(payload) == .backpressure {
            unsent.append(payload)
            largestBacklog?.with { $0 = max($0, unsent.count) }
        }
    }
    connection.onWritable = { [unowned connection] in
        while let first = unsent.first {
            guard connection.send(first) == .queued else { return }
            unsent.removeFirst()
        }
    }
    connection.onClose = { closed in closes?.with { $0.append(closed) } }
}

/// Starts an echo listener on 127.0.0.1 with a system-chosen port and returns the port.
func startEchoServer(
    on loop: EventLoop, limits: ConnectionLimits = .init(),
    closes: Shared<[ConnectionClosed]>? = nil,
    largestBacklog: Shared<Int>? = nil
) async throws -> Int {
    try await loop.submit {
        try loop.listen(host: "127.0.0.1", port: 0, limits: limits) {
            attachEcho($0, closes: closes, largestBacklog: largestBacklog)
        }.port
    }
}

/// Connects on the loop thread and returns the connection to later loop jobs.
func connect(
    on loop: EventLoop, port: Int, limits: ConnectionLimits = .init(),
    timeout: Duration = .seconds(5),
    setUp: @escaping @Sendable (TCPConnection) -> Void = { _ in }
) async throws -> LoopBound<TCPConnection> {
    try await withCheckedThrowingContinuation { continuation in
        let answer = loop.post {
            loop.connect(host: "127.0.0.1", port: port, timeout: timeout, limits: limits) { result in
                switch result {
                case .success(let connection):
                    setUp(connection)
                    continuation.resume(returning: LoopBound(connection, loop: loop))
                case .failure(let error):
                    continuation.resume(throwing: error)
                }
            }
        }
        if answer != .accepted { continuation.resume(throwing: MailboxRefusal.overloaded) }
    }
}

/// A blocking BSD socket for tests that need bytes no well-behaved sender would produce, or a listener
/// that never accepts.
final class RawSocket {
    let descriptor: Int32

    init() {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(descriptor >= 0, "socket() failed: \(errno)")
    }

    deinit { Glibc.close(descriptor) }

    private static func loopbackAddress(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    func connect(port: Int) -> Bool {
        var address = RawSocket.loopbackAddress(port: port)
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return status == 0
    }

    /// Binds to 127.0.0.1 on a system-chosen port, listens with `backlog`, and returns the port.
    func listen(backlog: Int32) -> Int {
        var address = RawSocket.loopbackAddress(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                precondition(bind(descriptor, $0, length) == 0, "bind failed: \(errno)")
                precondition(Glibc.listen(descriptor, backlog) == 0, "listen failed: \(errno)")
                precondition(getsockname(descriptor, $0, &length) == 0, "getsockname failed: \(errno)")
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) } == bytes.count
    }

    /// Reads until the peer closes; true when it did (end of stream or reset) rather than sending data.
    func readUntilClosed() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { return true }
        }
    }
}

import EventLoop
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking TCP socket for feeding a node bytes of our choosing (garbage, forged handshakes, oversized
/// frames) and reading what it answers.
final class RawSocket {
    private let descriptor: Int32

    init(port: Int, host: String = "127.0.0.1") throws {
        switch BlockingSocket.openConnection(host: host, port: port) {
        case .success(let descriptor): self.descriptor = descriptor
        case .failure(let failure): throw ClusterError("connect to \(host):\(port) failed: \(failure)")
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    func write(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Writes one length-prefixed frame.
    func writeFrame(_ payload: [UInt8]) {
        let length = UInt32(payload.count)
        write(
            [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + payload
        )
    }

    /// Reads one length-prefixed frame; nil when the connection closed (or nothing came within 5 s).
    func readFrame() -> [UInt8]? {
        guard let prefix = read(count: 4) else { return nil }
        let length = Int(prefix[0]) << 24 | Int(prefix[1]) << 16 | Int(prefix[2]) << 8 | Int(prefix[3])
        return read(count: length)
    }

    /// Whether the other side closed the connection (reads end of stream or a reset).
    func isClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        while true {
            let count = recv(descriptor, &byte, 1, 0)
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
    }

    /// Waits up to `seconds` for the other side to close (end of stream or a reset), discarding whatever it
    /// sends meanwhile; the time it took, or nil when the connection was still open at the end.
    func waitForClose(seconds: Double) -> Duration? {
        let started = ContinuousClock.now
        let deadline = started + .milliseconds(Int64(seconds * 1_000))
        var buffer = [UInt8](repeating: 0, count: 512)
        while ContinuousClock.now < deadline {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 { return ContinuousClock.now - started }
            if count < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
                return ContinuousClock.now - started
            }
        }
        return nil
    }

    /// Everything the other side sends until it closes (or 5 s pass without a byte).
    func readToEnd() -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return bytes }
            bytes += buffer[..<count]
        }
    }

    /// Whether the other side has closed, without waiting.
    var isClosedNow: Bool {
        var byte: UInt8 = 0
        let count = recv(descriptor, &byte, 1, Int32(MSG_DONTWAIT | MSG_PEEK))
        if count == 0 { return true }
        return count < 0 && errno != EAGAIN && errno != EWOULDBLOCK
    }

    private func read(count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var received = 0
        while received < count {
            let chunk = buffer.withUnsafeMutableBytes {
                recv(descriptor, $0.baseAddress! + received, count - received, 0)
            }
            guard chunk > 0 else { return nil }
            received += chunk
        }
        return buffer
    }
}

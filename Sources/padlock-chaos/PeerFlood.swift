import EventLoop
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The `flood` fault's load: strangers on the nodes' peer ports, from loopback only, bounded in count and
/// time. A thread of its own keeps `perPort` connections open to each port (reopening those the node closes)
/// and, in the `garbage` style, writes a bad handshake on each; it stops at `stop()`, after `connectionsMax`
/// connections, or after `seconds`, whichever comes first.
final class PeerFlood: @unchecked Sendable {
    enum Style: String, Sendable {
        /// Connect and send nothing.
        case idle
        /// Connect and send half of a length-prefixed frame, then nothing.
        case halfHandshake = "half-handshake"
        /// Connect and send an undecodable frame.
        case garbage
    }

    let ports: [Int]
    let perPort: Int
    let style: Style
    let connectionsMax: Int
    let seconds: Double
    private let lock = NSLock()
    private var running = true
    private var openedCount = 0
    private var refusedCount = 0
    private var thread: Thread?

    init(ports: [Int], perPort: Int, style: Style, connectionsMax: Int = 20_000, seconds: Double = 30) {
        self.ports = ports
        self.perPort = min(perPort, 256)
        self.style = style
        self.connectionsMax = connectionsMax
        self.seconds = min(seconds, 60)
    }

    /// Connections opened so far, and connects refused (the node was down or its backlog full).
    var counts: (opened: Int, refused: Int) { lock.withLock { (openedCount, refusedCount) } }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "chaos-flood"
        self.thread = thread
        thread.start()
    }

    /// Stops the flood and closes every connection it holds; waits for its thread.
    func stop() {
        lock.withLock { running = false }
        while thread?.isFinished == false { usleep(5_000) }
    }

    private var shouldRun: Bool { lock.withLock { running && openedCount < connectionsMax } }

    private func run() {
        let deadline = Date().addingTimeInterval(seconds)
        var held: [Int: [Int32]] = [:]
        while shouldRun && Date() < deadline {
            for port in ports {
                var sockets = (held[port] ?? []).filter { descriptor in
                    guard isClosed(descriptor) else { return true }
                    close(descriptor)
                    return false
                }
                while sockets.count < perPort && shouldRun {
                    guard let descriptor = connectLoopback(port: port) else {
                        lock.withLock { refusedCount += 1 }
                        break
                    }
                    send(style, on: descriptor)
                    sockets.append(descriptor)
                    lock.withLock { openedCount += 1 }
                }
                held[port] = sockets
            }
            usleep(100_000)
        }
        for descriptor in held.values.joined() { close(descriptor) }
    }

    private func send(_ style: Style, on descriptor: Int32) {
        let bytes: [UInt8]
        switch style {
        case .idle: return
        case .halfHandshake: bytes = [0, 0, 0, 32, 1, 0, 0]
        case .garbage: bytes = [0, 0, 0, 3, 0xFF, 0xEE, 0xDD]
        }
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    private func isClosed(_ descriptor: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let count = buffer.withUnsafeMutableBytes {
                recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT))
            }
            if count == 0 { return true }
            if count < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
        }
    }

    /// A blocking connect to 127.0.0.1:`port`, bounded by 1 s so that a full backlog cannot hold it for
    /// minutes; nil when it failed.
    private func connectLoopback(port: Int) -> Int32? {
        try? BlockingSocket.openConnection(host: "127.0.0.1", port: port, sendTimeout: .seconds(1)).get()
    }
}

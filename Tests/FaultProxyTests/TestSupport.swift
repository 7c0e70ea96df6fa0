import EventLoop
import FaultProxy
import Synchronization
import Testing

/// A value shared between a loop thread and the test, guarded by a mutex.
final class Shared<Value: Sendable>: Sendable {
    private let state: Mutex<Value>
    init(_ value: Value) { state = Mutex(value) }
    func with<Result: Sendable>(_ body: (inout Value) -> Result) -> Result { state.withLock { body(&$0) } }
    var value: Value { state.withLock { $0 } }
}

/// Polls `condition` until it holds or `seconds` pass; returns whether it held.
func waitUntil(seconds: Double = 120, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

/// What one side of a test connection saw: the bytes it read, in order, and how it closed.
final class Sighting: Sendable {
    let bytes = Shared<[UInt8]>([])
    let closed = Shared<CloseReason?>(nil)
}

/// The loop the tests' own servers and clients run on, outside the proxy.
final class TestNetwork: Sendable {
    let loop: EventLoop
    /// Everything each accepted server connection read, in accept order.
    let serverSightings = Shared<[Sighting]>([])
    let raw = ConnectionLimits(pausesReadingWhenWriteQueueFull: false, framing: .raw)

    init() throws {
        loop = try EventLoop(name: "proxy-test")
    }

    /// Starts a raw server on 127.0.0.1 that records what it reads and, when `echoes`, sends it straight back.
    func startServer(echoes: Bool = true) async throws -> Int {
        let limits = raw
        let sightings = serverSightings
        return try await loop.submit { [loop] in
            try loop.listen(host: "127.0.0.1", port: 0, limits: limits) { connection in
                let sighting = Sighting()
                sightings.with { $0.append(sighting) }
                connection.onFrame = { [unowned connection] bytes in
                    sighting.bytes.with { $0.append(contentsOf: bytes) }
                    if echoes { _ = connection.send(bytes) }
                }
                connection.onClose = { closed in sighting.closed.with { $0 = closed.reason } }
            }.port
        }
    }

    /// Connects to `port` and returns a handle for sending, with what the connection reads.
    func connect(port: Int) async throws -> (LoopBound<TCPConnection>, Sighting) {
        let sighting = Sighting()
        let limits = raw
        let loop = self.loop
        let connection = try await withCheckedThrowingContinuation { continuation in
            let answer = loop.post {
                loop.connect(host: "127.0.0.1", port: port, timeout: .seconds(5), limits: limits) { result in
                    switch result {
                    case .success(let connection):
                        connection.onFrame = { bytes in sighting.bytes.with { $0.append(contentsOf: bytes) } }
                        connection.onClose = { closed in sighting.closed.with { $0 = closed.reason } }
                        continuation.resume(returning: LoopBound(connection, loop: loop))
                    case .failure(let error):
                        continuation.resume(throwing: error)
                    }
                }
            }
            if answer != .accepted { continuation.resume(throwing: MailboxRefusal.stopped) }
        }
        return (connection, sighting)
    }

    /// Sends `bytes` on `connection`; they must be queued.
    func send(_ bytes: [UInt8], on connection: LoopBound<TCPConnection>) async throws {
        let answer = try await loop.submit { connection.value.send(bytes) }
        #expect(answer == .queued)
    }

    func close(_ connection: LoopBound<TCPConnection>) async throws {
        try await loop.submit { connection.value.close() }
    }

    /// Stops the loop; it must close with no live handles.
    func stop() {
        let report = loop.stop()
        #expect(report.isClean, "test loop stopped with \(report.liveHandles) live handles")
    }
}

/// `count` bytes of a fixed pseudo-random sequence starting at `seed`, so a reordering or a lost chunk shows.
func patternBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 56)
    }
}

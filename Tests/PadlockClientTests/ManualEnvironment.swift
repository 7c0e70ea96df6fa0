import PadlockTypes
import Synchronization
import Wire

@testable import PadlockClient

/// A `ClientEnvironment` the test drives by hand: a clock that moves only when told, timers that fire in
/// order as it moves, and connections that accept the handshake and record every request, answering only
/// what the test answers. No thread, no socket, no wall-clock time.
final class ManualClientEnvironment: ClientEnvironment, @unchecked Sendable {
    private let base = ContinuousClock.now
    private let offset = ManualOffset()
    private var timers: [(at: Duration, order: Int, timer: ManualTimer)] = []
    private var order = 0
    private var seed: UInt64 = 0x5EED
    let injectedBugs: ClientInjectedBugs
    /// Every connection opened, in order.
    private(set) var connections: [ManualConnection] = []

    init(bugs: ClientInjectedBugs = ClientInjectedBugs()) { injectedBugs = bugs }

    var clock: @Sendable () -> ContinuousClock.Instant {
        { [base, offset] in base + offset.read() }
    }

    /// Every request sent on every connection, in order.
    var requests: [ClientRequest] { connections.flatMap(\.requests) }

    func schedule(after delay: Duration, _ body: @escaping () -> Void) -> any ClientTimer {
        let timer = ManualTimer(body)
        order += 1
        timers.append((offset.read() + max(delay, .zero), order, timer))
        return timer
    }

    func connect(
        host: String, port: Int, timeout: Duration,
        completion: @escaping (Result<any ClientConnection, ClientConnectFailure>) -> Void
    ) {
        let connection = ManualConnection(environment: self)
        connections.append(connection)
        _ = schedule(after: .zero) { completion(.success(connection)) }
    }

    func randomUInt64() -> UInt64 {
        seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return seed
    }

    /// Moves the clock by `duration`, firing every timer that falls due on the way, in time order.
    func advance(by duration: Duration) {
        let end = offset.read() + duration
        while let next = timers.filter({ !$0.timer.isCancelled && $0.at <= end }).min(by: {
            ($0.at, $0.order) < ($1.at, $1.order)
        }) {
            timers.removeAll { $0.timer === next.timer }
            offset.set(max(offset.read(), next.at))
            next.timer.fire()
        }
        timers.removeAll { $0.timer.isCancelled }
        offset.set(end)
    }
}

final class ManualTimer: ClientTimer {
    private var body: (() -> Void)?

    init(_ body: @escaping () -> Void) { self.body = body }

    var isCancelled: Bool { body == nil }

    func cancel() { body = nil }

    func fire() {
        let body = self.body
        self.body = nil
        body?()
    }
}

/// A connection that accepts the handshake at once and keeps every request for the test to answer.
final class ManualConnection: ClientConnection {
    unowned let environment: ManualClientEnvironment
    var onFrame: (([UInt8]) -> Void)?
    var onClose: ((ClientConnectionLoss) -> Void)?
    var onWritable: (() -> Void)?
    private(set) var requests: [ClientRequest] = []
    private var handshaken = false

    init(environment: ManualClientEnvironment) { self.environment = environment }

    func send(_ frame: [UInt8]) -> ClientSendAnswer {
        guard handshaken else {
            handshaken = true
            _ = environment.schedule(after: .zero) { [weak self] in
                self?.onFrame?(HandshakeAnswer.accepted(node: NodeID(1)).encoded())
            }
            return .queued
        }
        if let request = try? ClientRequest(decoding: frame) { requests.append(request) }
        return .queued
    }

    /// Answers `request` after `delay`.
    func answer(_ request: ClientRequest, _ outcome: Result<ClientResult, ClientFailure>, after delay: Duration = .zero)
    {
        _ = environment.schedule(after: delay) { [weak self] in
            self?.onFrame?(ClientResponse(correlation: request.correlation, outcome: outcome).encoded())
        }
    }

    func abort() {}
}

/// The manual clock's reading, readable from any thread.
final class ManualOffset: Sendable {
    private let value = Mutex<Duration>(.zero)

    func read() -> Duration { value.withLock { $0 } }
    func set(_ offset: Duration) { value.withLock { $0 = offset } }
}

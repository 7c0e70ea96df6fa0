import PadlockClient
import PadlockTypes
import Wire

/// A simulated app server's machine as `PadlockClient`'s core sees it through `ClientEnvironment`: its own
/// drifting monotonic clock, timers on the simulation's event queue, and framed connections over the simulated
/// network to the nodes' client ports (what `SimHost` is to a node). Every callback arrives as a simulation
/// event, so none is delivered from inside the call that started it.
final class ClientHost: ClientEnvironment, @unchecked Sendable {
    /// What every client instant is an offset from; only differences of instants are ever used.
    static let epoch = ContinuousClock.now
    /// The client port every simulated node listens on; node `i` is host `10.0.0.(i + 1)`.
    static let clientPort = 7400

    unowned let simulation: Simulation
    /// The client's position, and its endpoint on the simulated network.
    let index: Int
    let endpoint: Int
    var localClock: SimClock
    private var random: SimRandom
    let injectedBugs: ClientInjectedBugs
    private var timers: [UInt64: () -> Void] = [:]
    private var nextToken: UInt64 = 1
    /// The connections the core holds open, by id.
    private(set) var connections: [UInt64: SimConnection] = [:]
    private var nextConnection: UInt64 = 1

    init(
        simulation: Simulation, index: Int, endpoint: Int, clock: SimClock, random: SimRandom, bugs: ClientInjectedBugs
    ) {
        self.simulation = simulation
        self.index = index
        self.endpoint = endpoint
        self.localClock = clock
        self.random = random
        injectedBugs = bugs
    }

    /// The endpoints of every node, as the client is configured with them.
    static func endpoints(nodeCount: Int) -> [String] { (0..<nodeCount).map { "10.0.0.\($0 + 1):\(clientPort)" } }

    // MARK: Clock and timers

    var clock: @Sendable () -> ContinuousClock.Instant {
        { [unowned self] in self.instant(atTrue: self.simulation.now) }
    }

    /// The client's clock reading at true time `time`.
    func instant(atTrue time: UInt64) -> ContinuousClock.Instant {
        Self.epoch + .microseconds(localClock.localMicroseconds(at: time))
    }

    /// The true time at which the client's clock reads `instant`.
    func trueTime(of instant: ContinuousClock.Instant) -> UInt64 {
        let (seconds, attoseconds) = (instant - Self.epoch).components
        let local = Double(seconds) * 1_000_000 + Double(attoseconds) / 1_000_000_000_000
        return localClock.trueTime(atLocal: local, notBefore: 0)
    }

    func schedule(after delay: Duration, _ body: @escaping () -> Void) -> any ClientTimer {
        let (seconds, attoseconds) = max(delay, .zero).components
        let local =
            localClock.localMicroseconds(at: simulation.now) + Double(seconds) * 1_000_000
            + Double(attoseconds) / 1_000_000_000_000
        return at(localClock.trueTime(atLocal: local, notBefore: simulation.now), body)
    }

    /// Runs `body` at true time `time` as a client event (held back while the client is paused).
    @discardableResult
    func at(_ time: UInt64, _ body: @escaping () -> Void) -> SimTimer {
        let token = nextToken
        nextToken += 1
        timers[token] = body
        simulation.schedule(.clientTimer(client: index, token: token), at: time)
        return SimTimer(host: self, token: token)
    }

    func cancelTimer(_ token: UInt64) { timers[token] = nil }

    func timerFired(_ token: UInt64) { timers.removeValue(forKey: token)?() }

    func randomUInt64() -> UInt64 { random.next() }

    /// The client machine's simulated wall clock (when a watched key's lock-delay ends), so runs stay
    /// deterministic.
    func wallTime() -> Timestamp { Timestamp(millisecondsSinceEpoch: localClock.wallMilliseconds(at: simulation.now)) }

    // MARK: Connections

    func connect(
        host: String, port: Int, timeout: Duration,
        completion: @escaping (Result<any ClientConnection, ClientConnectFailure>) -> Void
    ) {
        let node = host.split(separator: ".").last.flatMap { Int($0) }.map { $0 - 1 }
        guard let node, simulation.nodes.indices.contains(node), port == Self.clientPort else {
            at(simulation.now) { completion(.failure(ClientConnectFailure("no such host \(host):\(port)"))) }
            return
        }
        let there = simulation.network.deliveries(from: endpoint, to: node).first
        let back = simulation.network.deliveries(from: node, to: endpoint).first
        guard let there, let back else {
            _ = schedule(after: timeout) { completion(.failure(ClientConnectFailure("timed out"))) }
            return
        }
        at(simulation.now + there + back) { [unowned self] in
            let target = self.simulation.nodes[node]
            guard target.state == .up || target.state == .paused else {
                return completion(.failure(ClientConnectFailure("connection refused")))
            }
            let id = UInt64(self.index) << 32 | self.nextConnection
            self.nextConnection += 1
            let connection = SimConnection(id: id, node: node, host: self)
            self.connections[id] = connection
            self.simulation.clientConnected(id, to: node)
            completion(.success(connection))
        }
    }

    /// A frame from a node arrived on connection `id`.
    func frameArrived(_ id: UInt64, _ payload: [UInt8]) { connections[id]?.onFrame?(payload) }

    /// The node's end of connection `id` was reset (its process died).
    func connectionReset(_ id: UInt64) {
        guard let connection = connections.removeValue(forKey: id) else { return }
        connection.isOpen = false
        connection.onClose?(ClientConnectionLoss(reason: "reset by the node"))
    }

    /// The core closed connection `id`.
    func aborted(_ connection: SimConnection) {
        connections[connection.id] = nil
        simulation.clientHungUp(connection.id, node: connection.node, from: endpoint)
    }
}

/// A timer of a `ClientHost`.
final class SimTimer: ClientTimer {
    private weak var host: ClientHost?
    private let token: UInt64

    init(host: ClientHost, token: UInt64) {
        self.host = host
        self.token = token
    }

    func cancel() { host?.cancelTimer(token) }
}

/// One client connection to a node's client port. Frames travel as single network messages (lost when the
/// network drops them, which the core's attempt timeouts then notice).
final class SimConnection: ClientConnection {
    let id: UInt64
    let node: Int
    unowned let host: ClientHost
    var isOpen = true
    var onFrame: (([UInt8]) -> Void)?
    var onClose: ((ClientConnectionLoss) -> Void)?
    var onWritable: (() -> Void)?

    init(id: UInt64, node: Int, host: ClientHost) {
        self.id = id
        self.node = node
        self.host = host
    }

    func send(_ frame: [UInt8]) -> ClientSendAnswer {
        guard isOpen else { return .closed }
        host.simulation.sendClientFrame(frame, connection: id, from: host.endpoint, to: node)
        return .queued
    }

    func abort() {
        guard isOpen else { return }
        isOpen = false
        host.aborted(self)
    }
}

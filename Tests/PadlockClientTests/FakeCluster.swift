import EventLoop
import PadlockTypes
import Synchronization
import Testing
import Wire

/// What a fake node does with one request, chosen by a test's script.
enum Scripted: Sendable {
    /// Apply it and answer.
    case normal
    /// Apply it, but drop the answer (a lost reply).
    case applyWithoutAnswer
    /// Neither apply nor answer (a lost request).
    case ignore
    /// Answer this without applying anything.
    case answer(Result<ClientResult, ClientFailure>)
    /// Apply it now, answer after the delay.
    case delayAnswer(Duration)
    /// Close the connection without applying.
    case closeConnection
    /// Close the connection without applying, and make another node the leader (a failover).
    case closeConnectionAndElect(Int)
    /// An administrator force-unlocks the key just before this request arrives; then it is handled normally.
    case forceUnlockFirst(LockKey)
}

/// A node's reply target: one connection and the request's correlation id.
struct ReplyTarget {
    let connection: TCPConnection
    let correlation: CorrelationID

    func send(_ outcome: Result<ClientResult, ClientFailure>) {
        guard connection.isOpen else { return }
        _ = connection.send(ClientResponse(correlation: correlation, outcome: outcome).encoded())
    }
}

/// A scripted stand-in for a three-node cluster, on its own event loop: every node speaks the real Wire
/// handshake and messages over TCP, one shared `FakeTable` plays the replicated lock table, the leader
/// applies, and the others answer `notLeader` with a hint. Tests read and change it with `with`.
final class FakeCluster: Sendable {
    let loop: EventLoop
    let state: LoopBound<FakeState>
    let ports: [Int]

    var endpoints: [String] { ports.map { "127.0.0.1:\($0)" } }

    private init(loop: EventLoop, state: LoopBound<FakeState>, ports: [Int]) {
        self.loop = loop
        self.state = state
        self.ports = ports
    }

    static func start(
        nodes: Int = 3, leader: Int? = 0, credentials: [UInt8] = [], cluster: UInt64 = 0
    ) async throws
        -> FakeCluster
    {
        let loop = try EventLoop(name: "fake-cluster")
        let (state, ports) = try await loop.submit { () throws -> (LoopBound<FakeState>, [Int]) in
            let state = FakeState(loop: loop, credentials: credentials, cluster: cluster)
            state.leader = leader
            var ports: [Int] = []
            for node in 0..<nodes {
                let listener = try loop.listen(host: "127.0.0.1", port: 0) { connection in
                    state.accept(connection, node: node)
                }
                state.listeners.append(listener)
                ports.append(listener.port)
            }
            state.addresses = ports.map { "127.0.0.1:\($0)" }
            return (LoopBound(state, loop: loop), ports)
        }
        return FakeCluster(loop: loop, state: state, ports: ports)
    }

    /// Runs `body` on the fake cluster's loop.
    func with<Value: Sendable>(_ body: @escaping @Sendable (FakeState) -> Value) async -> Value {
        let state = self.state
        return try! await loop.submit { body(state.value) }
    }

    /// Sets the script every node consults for each request.
    func script(_ script: (@Sendable (Int, ClientRequest) -> Scripted)?) async {
        await with { $0.script = script }
    }

    /// Stops the loop and checks that it closed cleanly.
    func stop() async {
        await with { state in
            for listener in state.listeners { listener.close() }
            for connection in state.connections { connection.abort() }
            state.table.stopTimers()
        }
        let report = loop.stop()
        #expect(report.isClean, "fake cluster stopped with \(report.liveHandles) live handles")
    }
}

/// The fake cluster's loop-confined state.
final class FakeState {
    let loop: EventLoop
    let credentials: [UInt8]
    let cluster: UInt64
    var leader: Int?
    var addresses: [String] = []
    var listeners: [TCPListener] = []
    var connections: [TCPConnection] = []
    var script: (@Sendable (Int, ClientRequest) -> Scripted)?
    /// Every request any node received, in order.
    var received: [(node: Int, request: ClientRequest)] = []
    var handshakes = 0
    /// When set, every handshake is refused as overloaded (a node at its connection limit).
    var refusesAsOverloaded = false
    let table: FakeTable

    init(loop: EventLoop, credentials: [UInt8], cluster: UInt64) {
        self.loop = loop
        self.credentials = credentials
        self.cluster = cluster
        table = FakeTable(loop: loop)
    }

    /// The requests received with operations matching `filter`.
    func requests(_ filter: (ClientOperation) -> Bool) -> [(node: Int, request: ClientRequest)] {
        received.filter { filter($0.request.operation) }
    }

    func accept(_ connection: TCPConnection, node: Int) {
        connections.append(connection)
        var shookHands = false
        connection.onFrame = { [unowned self, unowned connection] payload in
            if shookHands {
                guard let request = try? ClientRequest(decoding: payload) else { return connection.abort() }
                self.handle(request, node: node, connection: connection)
            } else {
                shookHands = true
                self.handshake(payload, node: node, connection: connection)
            }
        }
        connection.onClose = { [weak self, unowned connection] _ in
            self?.connections.removeAll { $0 === connection }
        }
    }

    private func handshake(_ payload: [UInt8], node: Int, connection: TCPConnection) {
        handshakes += 1
        guard let handshake = try? Handshake(decoding: payload) else { return connection.abort() }
        let answer: HandshakeAnswer
        if refusesAsOverloaded {
            answer = .refused(reason: .overloaded, message: "this node serves at most 2 client connections")
        } else if handshake.credentials != credentials {
            answer = .refused(reason: .badCredentials, message: "unknown client credentials")
        } else if handshake.cluster.rawValue != cluster {
            answer = .refused(reason: .wrongCluster, message: "this is cluster \(cluster)")
        } else {
            answer = .accepted(node: NodeID(UInt64(node)))
        }
        _ = connection.send(answer.encoded())
        if case .refused = answer { connection.close() }
    }

    private func handle(_ request: ClientRequest, node: Int, connection: TCPConnection) {
        received.append((node, request))
        let reply = ReplyTarget(connection: connection, correlation: request.correlation)
        switch script?(node, request) ?? .normal {
        case .ignore: return
        case .closeConnection: return connection.abort()
        case .closeConnectionAndElect(let node):
            leader = node
            return connection.abort()
        case .answer(let outcome): return reply.send(outcome)
        case .normal: answer(request, node: node, reply: reply, delay: nil, drop: false)
        case .applyWithoutAnswer: answer(request, node: node, reply: reply, delay: nil, drop: true)
        case .delayAnswer(let delay): answer(request, node: node, reply: reply, delay: delay, drop: false)
        case .forceUnlockFirst(let key):
            _ = table.forceUnlock(key)
            answer(request, node: node, reply: reply, delay: nil, drop: false)
        }
    }

    private func answer(_ request: ClientRequest, node: Int, reply: ReplyTarget, delay: Duration?, drop: Bool) {
        let outcome: Result<ClientResult, ClientFailure>?
        if case .status = request.operation {
            outcome = .success(.status(status(of: node)))
        } else if leader != node {
            let hint = leader.map { LeaderHint(node: NodeID(UInt64($0)), address: addresses[$0]) }
            outcome = .failure(.notLeader(hint))
        } else {
            outcome = table.apply(request.operation, reply: drop ? nil : reply)
        }
        guard let outcome, !drop else { return }
        if let delay {
            loop.schedule(after: delay) { reply.send(outcome) }
        } else {
            reply.send(outcome)
        }
    }

    private func status(of node: Int) -> NodeStatus {
        let index = LogIndex(table.nextIndex)
        return NodeStatus(
            node: NodeID(UInt64(node)), role: leader == node ? .leader : .follower, term: Term(1),
            leader: leader.map { NodeID(UInt64($0)) }, commitIndex: index, appliedIndex: index, lastIndex: index,
            snapshotIndex: LogIndex(0), sessionCount: UInt64(table.sessions.count),
            lockCount: UInt64(table.holders.count), waiterCount: UInt64(table.waiters.count),
            members: (0..<addresses.count).map { NodeID(UInt64($0)) }, learners: [])
    }
}

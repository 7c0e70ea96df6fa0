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
    /// Each connection's subscription (protocol v2 events), by connection.
    var subscriptions: [ObjectIdentifier: FakeSubscription] = [:]
    /// Whether the leader still keeps the lock losses a resumed subscription asks for; when not, it answers
    /// with a resync of each session's fences.
    var keepsHistory = true
    /// How many of `table.losses` were sent to subscribers.
    var lossesPublished = 0

    init(loop: EventLoop, credentials: [UInt8], cluster: UInt64) {
        self.loop = loop
        self.credentials = credentials
        self.cluster = cluster
        table = FakeTable(loop: loop)
        table.onChange = { [unowned self] in self.publishEvents() }
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
            self?.subscriptions[ObjectIdentifier(connection)] = nil
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
            publishEvents()
            answer(request, node: node, reply: reply, delay: nil, drop: false)
        }
        publishEvents()
    }

    private func answer(_ request: ClientRequest, node: Int, reply: ReplyTarget, delay: Duration?, drop: Bool) {
        let outcome: Result<ClientResult, ClientFailure>?
        if case .status = request.operation {
            outcome = .success(.status(status(of: node)))
        } else if leader != node {
            let hint = leader.map { LeaderHint(node: NodeID(UInt64($0)), address: addresses[$0]) }
            outcome = .failure(.notLeader(hint))
        } else if case .subscribe(let subscription) = request.operation {
            return subscribe(subscription, node: node, reply: reply, drop: drop)
        } else if case .unsubscribe(let subscription) = request.operation {
            let record = subscriptions[ObjectIdentifier(reply.connection)]
            record?.sessions.subtract(subscription.sessions)
            record?.keys.subtract(subscription.keys)
            record?.prefixes.subtract(subscription.prefixes)
            outcome = .success(.subscribed(index: table.nextIndex))
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

/// What one connection subscribed to on the fake leader, and what it was last told.
final class FakeSubscription {
    let connection: TCPConnection
    var sessions: Set<SessionID> = []
    var keys: Set<LockKey> = []
    var prefixes: Set<LockKey> = []
    var lastStates: [LockKey: KeyInspection] = [:]
    var lastPositions: [RequestID: UInt64] = [:]

    init(connection: TCPConnection) { self.connection = connection }

    func send(_ index: UInt64, _ body: EventBody) {
        guard connection.isOpen else { return }
        _ = connection.send(ClientEvent(index: index, body: body).encoded())
    }

    /// Whether `key` is watched, or lies at or under a watched prefix.
    func watches(_ key: LockKey) -> Bool { keys.contains(key) || prefixes.contains { $0.covers(key) } }
}

extension FakeState {
    /// Adds to the connection's subscription as the contract says: the answer first, then replayed losses or
    /// a resync, each watched key's state, each busy key under a watched prefix, and each waiter's position.
    fileprivate func subscribe(_ subscription: Subscription, node: Int, reply: ReplyTarget, drop: Bool) {
        let id = ObjectIdentifier(reply.connection)
        let record = subscriptions[id] ?? FakeSubscription(connection: reply.connection)
        subscriptions[id] = record
        record.sessions.formUnion(subscription.sessions)
        record.keys.formUnion(subscription.keys)
        record.prefixes.formUnion(subscription.prefixes)
        let index = table.nextIndex
        guard !drop else { return }
        reply.send(.success(.subscribed(index: index)))
        if let after = subscription.after {
            if keepsHistory {
                for loss in table.losses where loss.index > after && subscription.sessions.contains(loss.holder.session)
                {
                    record.send(loss.index, .lockLost(key: loss.key, holder: loss.holder, loss: loss.loss))
                }
            } else {
                for session in subscription.sessions {
                    let fences = table.holders.values.flatMap { $0 }.filter { $0.session == session }.map(\.fence)
                    let isOpen = table.sessions[session].map { !$0.ended } ?? false
                    record.send(index, .resync(session: session, isOpen: isOpen, fences: fences.sorted()))
                }
            }
        }
        for key in subscription.keys { sendState(of: key, to: record, force: true) }
        for prefix in subscription.prefixes {
            for key in busyKeys() where prefix.covers(key) { sendState(of: key, to: record, force: true) }
        }
        sendPositions(to: record, sessions: Set(subscription.sessions), force: true)
    }

    /// Keys with holders or waiters.
    private func busyKeys() -> [LockKey] {
        Set(table.holders.keys).union(table.waiters.map(\.key)).sorted()
    }

    private func sendState(of key: LockKey, to record: FakeSubscription, force: Bool) {
        let state = table.inspect(key)
        guard force || record.lastStates[key] != state else { return }
        record.lastStates[key] = state
        record.send(table.nextIndex, .keyState(state))
    }

    private func sendPositions(to record: FakeSubscription, sessions: Set<SessionID>, force: Bool) {
        for (offset, waiter) in table.waiters.enumerated() where sessions.contains(waiter.request.session) {
            let ahead = table.waiters[..<offset].filter { $0.key.overlaps(waiter.key) }.count
            let position = UInt64(ahead + 1)
            guard force || record.lastPositions[waiter.request] != position else { continue }
            record.lastPositions[waiter.request] = position
            record.send(table.nextIndex, .waiterPosition(request: waiter.request, key: waiter.key, position: position))
        }
    }

    /// Sends every subscriber what changed since it was last told: new lock losses of its sessions, states of
    /// watched keys that changed, and queue positions that moved. Called after every request and waiter
    /// timeout; a test that changes the table directly calls it too.
    func publishEvents() {
        let losses = table.losses.dropFirst(lossesPublished)
        lossesPublished = table.losses.count
        for record in subscriptions.values {
            for loss in losses where record.sessions.contains(loss.holder.session) {
                record.send(loss.index, .lockLost(key: loss.key, holder: loss.holder, loss: loss.loss))
            }
            var keys = Set(record.keys)
            for key in busyKeys() where record.watches(key) { keys.insert(key) }
            for key in record.lastStates.keys where record.watches(key) { keys.insert(key) }
            for key in keys.sorted() { sendState(of: key, to: record, force: false) }
            sendPositions(to: record, sessions: record.sessions, force: false)
        }
    }

    /// The leader steps down: every subscriber is told its subscription ended (naming `leader` as the new
    /// one) and forgotten; `leader` leads from now on.
    func stepDown(to leader: Int) {
        self.leader = leader
        let hint = LeaderHint(node: NodeID(UInt64(leader)), address: addresses[leader])
        for record in subscriptions.values {
            record.send(table.nextIndex, .subscriptionEnded(reason: "stepped down", leader: hint))
        }
        subscriptions = [:]
    }

    /// Drops every client connection at once (the client sees them close).
    func dropConnections() {
        for connection in connections { connection.abort() }
        connections = []
        subscriptions = [:]
    }

    /// The subscribe requests received, in order.
    var subscribeRequests: [(node: Int, subscription: Subscription)] {
        received.compactMap { entry in
            if case .subscribe(let subscription) = entry.request.operation { return (entry.node, subscription) }
            return nil
        }
    }
}

import Node
import PadlockTypes
import PeerWire
import Raft
import Wire

extension Simulation {
    // MARK: Peers

    /// Sends a Raft message as real peer-wire bytes; a snapshot travels as its chunk payloads, delivered
    /// whole or not at all (a stream that is cut fails as one), and the sender learns which.
    func sendPeer(from index: Int, _ message: Message) {
        // An answer to a forged message may name any node; only the simulated ones are reachable.
        guard message.to.rawValue >= 1, message.to.rawValue <= UInt64(nodes.count) else { return }
        let to = Int(message.to.rawValue) - 1
        if case .snapshot = message.kind {
            let chunks = PeerWire.snapshotChunks(of: message, transfer: nextTransfer, chunkBytes: 4_096)
            nextTransfer += 1
            let bytes = chunks.reduce(0) { $0 + $1.count }
            let incarnation = nodes[index].incarnation
            guard let delay = network.deliveries(from: index, to: to).first else {
                schedule(
                    .snapshotReport(from: index, to: to, delivered: false, senderIncarnation: incarnation),
                    after: 50_000)
                return
            }
            let arrival = delay + network.delay(from: index, to: to, bytes: bytes)
            schedule(
                .snapshotTransfer(from: index, to: to, chunks: chunks, senderIncarnation: incarnation), after: arrival)
            return
        }
        let payload = PeerWire.encodeBatch([message])
        // The transport's clock reading (`PeerClockReading`) rides along with every frame here.
        let wall = nodes[index].clock.wallMilliseconds(at: now)
        for delay in network.deliveries(from: index, to: to) {
            schedule(.peerFrame(from: index, to: to, payload: payload, senderWall: wall), after: delay)
        }
    }

    func peerFrameArrived(from: Int, to: Int, _ payload: [UInt8], senderWall: UInt64, _ event: SimEvent) {
        withNode(to, nil, event) { node in
            node.observePeerClock(nodes[from].id, wallMilliseconds: senderWall)
            do {
                guard case .messages(let messages) = try PeerWire.decode(payload) else {
                    violation("n\(nodes[to].id) received a peer frame that is not a message batch")
                    return
                }
                for message in messages { node.receive(message, incarnation: nodes[from].directoryIncarnation) }
            } catch {
                violation("a peer frame from n\(nodes[from].id) does not decode: \(error)")
            }
        }
    }

    func snapshotArrived(from: Int, to: Int, _ chunks: [[UInt8]], senderIncarnation: Int, _ event: SimEvent) {
        let receiver = nodes[to]
        guard receiver.state == .up || receiver.state == .paused else {
            schedule(
                .snapshotReport(from: from, to: to, delivered: false, senderIncarnation: senderIncarnation), after: 0)
            return
        }
        withNode(to, nil, event) { node in
            var assembler = receiver.assemblers[from] ?? SnapshotAssembler()
            var message: Message?
            do {
                for payload in chunks {
                    guard case .snapshotChunk(let chunk) = try PeerWire.decode(payload) else {
                        violation("a snapshot transfer carried something else")
                        return
                    }
                    message = try assembler.add(chunk)
                }
            } catch {
                violation("a snapshot transfer from n\(nodes[from].id) does not reassemble: \(error)")
                return
            }
            receiver.assemblers[from] = assembler
            guard let message else {
                violation("a complete snapshot transfer from n\(nodes[from].id) produced no message")
                return
            }
            node.receive(message, incarnation: nodes[from].directoryIncarnation)
            let back = network.delay(from: to, to: from)
            schedule(
                .snapshotReport(from: from, to: to, delivered: true, senderIncarnation: senderIncarnation), after: back)
        }
    }

    // MARK: Clients

    /// A client opened connection `id` to `node`: the node's listener knows it from now on, in this life.
    func clientConnected(_ id: UInt64, to node: Int) {
        serverConnections[id] = ServerConnection(node: node, incarnation: nodes[node].incarnation)
    }

    /// Sends a frame from a client to a node. A connection does not duplicate or reorder frames (it is a
    /// stream), but the network may lose one (the core's attempt timeouts notice).
    func sendClientFrame(_ payload: [UInt8], connection: UInt64, from endpoint: Int, to node: Int) {
        guard serverConnections[connection]?.broken != true,
            let delay = network.deliveries(from: endpoint, to: node).first
        else { return }
        let arrival = max(now + delay, (serverConnections[connection]?.lastToNode ?? 0) + 1)
        serverConnections[connection]?.lastToNode = arrival
        schedule(.clientRequest(node: node, connection: connection, payload: payload), at: arrival)
    }

    /// A client frame arrives at a node: the first on a connection is the handshake, which the listener
    /// answers; the rest are requests for the node.
    func clientRequestArrived(_ index: Int, _ connection: UInt64, _ payload: [UInt8], _ event: SimEvent) {
        // A connection from an earlier life of the node was reset when it died.
        guard let server = serverConnections[connection], !server.closed, server.incarnation == nodes[index].incarnation
        else { return }
        // Odd-numbered clients come as authenticated callers, so their sessions are `openClientSession`
        // entries that record the client through the log, snapshots and restarts.
        let client = Int(connection >> 32)
        let caller = client % 2 == 1 ? Caller(name: "sim-client-\(client)") : nil
        withNode(index, nil, event) { node in
            guard serverConnections[connection]?.handshaken == true else {
                return answerHandshake(payload, node: index, connection: connection)
            }
            do {
                let request = try ClientRequest(decoding: payload)
                if let id = request.operation.requestID {
                    serverConnections[connection]?.requests[request.correlation] = id
                }
                node.receive(request, from: ClientID(connection), caller: caller)
            } catch {
                violation("a client request does not decode at n\(nodes[index].id): \(error)")
            }
        }
    }

    private func answerHandshake(_ payload: [UInt8], node: Int, connection: UInt64) {
        do {
            _ = try Handshake(decoding: payload)
        } catch {
            return violation("the client's handshake does not decode at n\(nodes[node].id): \(error)")
        }
        serverConnections[connection]?.handshaken = true
        sendToClient(HandshakeAnswer.accepted(node: nodes[node].id).encoded(), from: node, connection: connection)
    }

    /// A node answers on a client connection; every answer to one request id must be the same (exactly-once).
    func sendResponse(from node: Int, _ response: ClientResponse, connection: UInt64) {
        guard serverConnections[connection]?.closed == false else { return }
        if let request = serverConnections[connection]?.requests.removeValue(forKey: response.correlation) {
            checkExactlyOnce(request, response.outcome)
        }
        sendToClient(response.encoded(), from: node, connection: connection)
    }

    /// A node sends an event on a client connection; the network may delay or drop it like any frame.
    func sendEvent(from node: Int, _ event: ClientEvent, connection: UInt64) {
        guard serverConnections[connection]?.closed == false else { return }
        eventsSent += 1
        noteSent(event)
        note("n\(nodes[node].id) sends \(connection >> 32)/\(connection & 0xFFFF_FFFF) \(event.index) \(event.body)")
        if let problem = observer.eventHistory.problem(with: event) { violation("n\(nodes[node].id) sent \(problem)") }
        sendToClient(event.encoded(), from: node, connection: connection, breaksWhenLost: true)
    }

    /// Frames on one connection arrive in the order they were sent. An answer the network loses is simply
    /// missing (the core's attempt timeouts cover it); an event cannot go missing from a stream that goes on
    /// (TCP would retransmit it or give up on the connection), so a lost event breaks the connection: the
    /// frames already on their way arrive, then both ends see it reset.
    private func sendToClient(_ payload: [UInt8], from node: Int, connection: UInt64, breaksWhenLost: Bool = false) {
        let client = Int(connection >> 32)
        guard client < clients.count, serverConnections[connection]?.broken != true else { return }
        let last = serverConnections[connection]?.lastToClient ?? 0
        guard let delay = network.deliveries(from: node, to: clients[client].endpoint).first else {
            guard breaksWhenLost else { return }
            serverConnections[connection]?.broken = true
            note("the connection \(connection) of client \(client) to n\(nodes[node].id) breaks: an event was lost")
            schedule(.connectionReset(client: client, connection: connection), at: max(now + 1_000, last + 1))
            schedule(.clientHangUp(node: node, connection: connection), after: 1_000)
            return
        }
        let arrival = max(now + delay, last + 1)
        serverConnections[connection]?.lastToClient = arrival
        schedule(.clientResponse(client: client, connection: connection, payload: payload), at: arrival)
    }

    /// Every application answer to one request id must be the same (guarantee 5).
    private func checkExactlyOnce(_ request: RequestID, _ outcome: Result<ClientResult, ClientFailure>) {
        if case .failure(.unknownRequest) = outcome, let first = firstAnswers[request] {
            return violation("request \(request) was answered '\(first)' and later resolved as never applied")
        }
        if case .failure(.invalidArgument(let message)) = outcome {
            return violation("a well-formed request (\(request)) was refused: \(message)")
        }
        guard let answer = normalizedAnswer(outcome) else { return }
        if let first = firstAnswers[request] {
            if first != answer { violation("request \(request) answered '\(first)' and then '\(answer)'") }
        } else {
            firstAnswers[request] = answer
        }
    }

    /// The client closed connection `id`; the node hears of it after the network's delay.
    func clientHungUp(_ id: UInt64, node: Int, from endpoint: Int) {
        schedule(.clientHangUp(node: node, connection: id), after: network.delay(from: endpoint, to: node))
    }

    func hangUpArrived(_ node: Int, _ id: UInt64, _ event: SimEvent) {
        guard let server = serverConnections[id], !server.closed, server.incarnation == nodes[node].incarnation else {
            return
        }
        withNode(node, nil, event) { live in
            serverConnections[id]?.closed = true
            live.clientDisconnected(ClientID(id))
        }
    }

    /// The node's process died: every client connected to it sees a reset shortly.
    func resetConnections(to node: Int) {
        for id in serverConnections.keys.sorted() where serverConnections[id]?.node == node {
            guard serverConnections[id]?.closed == false else { continue }
            serverConnections[id]?.closed = true
            schedule(.connectionReset(client: Int(id >> 32), connection: id), after: 1_000)
        }
    }
}

/// The node's side of one client connection.
struct ServerConnection {
    var node: Int
    /// The node's incarnation when it was opened: a restarted node has never heard of it.
    var incarnation: Int
    var handshaken = false
    var closed = false
    /// An event was lost on it: nothing more travels, and both ends are told it broke.
    var broken = false
    /// When the last frame sent each way arrives: frames of one connection never overtake each other.
    var lastToNode: UInt64 = 0
    var lastToClient: UInt64 = 0
    /// The request id of each request still unanswered, by correlation.
    var requests: [CorrelationID: RequestID] = [:]
}

/// An answer reduced to what must be identical each time the same request is answered (exactly-once).
func normalizedAnswer(_ outcome: Result<ClientResult, ClientFailure>) -> String? {
    switch outcome {
    case .success(.granted(let holder)): return "granted \(holder.session) \(holder.fence)"
    case .success(.released): return "released"
    case .success(.sessionClosed): return "closed"
    case .success(.waitCancelled): return "cancelled"
    case .success(.forceUnlocked(let previous)): return "forced \(previous.map(\.fence))"
    case .success(.sessionRevoked): return "revoked"
    case .success(.grantedKeys(let holders)): return "granted keys \(holders.map { "\($0.session) \($0.fence)" })"
    case .success(.holdPlaced(let hold, let ended)): return "hold placed \(hold.fence) \(ended.map(\.holder.fence))"
    case .success(.holdsLifted(let holds)): return "holds lifted \(holds.map(\.fence))"
    case .failure(.restricted(let hold)): return "restricted \(hold.key) \(hold.rule) \(hold.fence)"
    case .failure(.noHold): return "noHold"
    case .success: return nil
    case .failure(.held(let holders, _, _)):
        // The first holder, as before the answer named them all: traces stay comparable across versions.
        return "held " + (holders.first.map { "\($0.holder.session) \($0.holder.fence)" } ?? "nobody")
    case .failure(.lockDelayed(let until)): return "delayed \(until)"
    case .failure(.waitersAhead(let key, _)): return "waiters \(key)"
    case .failure(.notHeld): return "notHeld"
    case .failure(.timedOut): return "timedOut"
    case .failure(.notWaiting): return "notWaiting"
    case .failure(.invalidArgument(let message)): return "invalid \(message)"
    // "Session expired" says the session is gone now, not what became of this request: a retry of a request
    // that was applied before the session ended is answered so.
    case .failure(.sessionExpired), .failure(.notLeader), .failure(.unavailable), .failure(.overloaded),
        .failure(.permissionDenied),
        .failure(.lockLost), .failure(.unknownRequest), .failure(.superseded):
        return nil
    }
}

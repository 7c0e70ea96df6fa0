import Node
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
                    .snapshotReport(from: index, to: to, delivered: false, senderIncarnation: incarnation), after: 50_000)
                return
            }
            let arrival = delay + network.delay(from: index, to: to, bytes: bytes)
            schedule(.snapshotTransfer(from: index, to: to, chunks: chunks, senderIncarnation: incarnation), after: arrival)
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
            schedule(.snapshotReport(from: from, to: to, delivered: false, senderIncarnation: senderIncarnation), after: 0)
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
            schedule(.snapshotReport(from: from, to: to, delivered: true, senderIncarnation: senderIncarnation), after: back)
        }
    }

    // MARK: Clients

    /// Sends a request from a client to a node; returns the connection it travels on.
    func sendRequest(from client: SimClient, to node: Int, _ request: ClientRequest) -> UInt64 {
        let connection = UInt64(client.index) << 32 | UInt64(node) << 16 | UInt64(nodes[node].incarnation & 0xFFFF)
        let payload = request.encoded()
        for delay in network.deliveries(from: client.endpoint, to: node) {
            schedule(.clientRequest(node: node, connection: connection, payload: payload), after: delay)
        }
        return connection
    }

    func clientRequestArrived(_ index: Int, _ connection: UInt64, _ payload: [UInt8], _ event: SimEvent) {
        // A connection from an earlier life of the node was reset when it died.
        guard connection & 0xFFFF == UInt64(nodes[index].incarnation & 0xFFFF) else { return }
        // Odd-numbered clients come as authenticated callers, so their sessions are `openClientSession`
        // entries that record the client through the log, snapshots and restarts.
        let client = Int(connection >> 32)
        let caller = client % 2 == 1 ? Caller(name: "sim-client-\(client)") : nil
        withNode(index, nil, event) { node in
            do {
                node.receive(try ClientRequest(decoding: payload), from: ClientID(connection), caller: caller)
            } catch {
                violation("a client request does not decode at n\(nodes[index].id): \(error)")
            }
        }
    }

    func sendResponse(from node: Int, _ response: ClientResponse, connection: UInt64) {
        let client = Int(connection >> 32)
        guard client < clients.count else { return }
        let payload = response.encoded()
        for delay in network.deliveries(from: node, to: clients[client].endpoint) {
            schedule(.clientResponse(client: client, connection: connection, payload: payload), after: delay)
        }
    }

    /// The node's process died: every client connected to it sees a reset shortly.
    func resetConnections(to node: Int) {
        for client in clients {
            for connection in Set(client.attempts.values.map(\.connection)).sorted()
            where Int(connection >> 16 & 0xFFFF) == node {
                schedule(.connectionReset(client: client.index, connection: connection), after: 1_000)
            }
        }
    }
}

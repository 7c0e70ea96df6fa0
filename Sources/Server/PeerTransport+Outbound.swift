import EventLoop
import Logging
import Node
import PadlockSecurity
import PadlockTypes
import PeerWire
import Raft
import Wire

/// This node's sending link to one peer: connects (with capped, jittered backoff), handshakes, then sends
/// the messages queued for the peer as batch frames, and snapshots as a paced stream of chunks.
///
/// While the link is down, messages are dropped and Raft is told the peer is unreachable: Raft resends what
/// matters, and nothing queues up without bound.
final class OutboundPeer {
    enum State { case idle, connecting, handshaking, ready }

    /// A snapshot being streamed, one chunk at a time as the write queue allows.
    struct SnapshotStream {
        var message: Message
        var transfer: UInt64
        var next: Int
        var count: Int
    }

    let id: NodeID
    private(set) var endpoint: SocketAddress
    unowned let transport: PeerTransport
    private(set) var state = State.idle
    private var connection: TCPConnection?
    private var pending: [Message] = []
    private var snapshot: SnapshotStream?
    private var retryTimer: LoopTimer?
    private var backoffMilliseconds: UInt64 = 0
    private var reportedUnreachable = false
    private var stopped = false
    /// This link's nonce while the handshake is in progress, when the cluster has a secret.
    private var nonce: [UInt8] = []
    /// Whether the listener proved the secret on this connection.
    private var listenerProved = false
    /// When this link last sent a clock reading (loop milliseconds).
    private var lastClockReading: UInt64?

    static let queueMax = 8_192
    static let chunkBytes = 1 << 20

    init(id: NodeID, endpoint: SocketAddress, transport: PeerTransport) {
        self.id = id
        self.endpoint = endpoint
        self.transport = transport
        connect()
    }

    var isReady: Bool { state == .ready }

    /// The peer moved: reconnect to its new address.
    func retarget(_ address: SocketAddress) {
        guard address != endpoint else { return }
        endpoint = address
        connection?.close()
    }

    func queue(_ message: Message) {
        if case .snapshot = message.kind {
            // Only the latest snapshot matters; an older one still streaming is abandoned.
            if snapshot != nil {
                let (sent, id) = (transport.events.onSnapshotSent, self.id)
                transport.later { sent(id, .failed) }
            }
            snapshot = SnapshotStream(
                message: message, transfer: transport.nextTransfer, next: 0,
                count: PeerWire.snapshotChunkCount(of: message, chunkBytes: Self.chunkBytes))
            transport.nextTransfer += 1
            return
        }
        guard pending.count < Self.queueMax else { return }
        pending.append(message)
    }

    /// Sends what was queued since the last flush.
    func flush() {
        guard state == .ready, let connection else {
            if !pending.isEmpty || snapshot != nil { unreachable() }
            return
        }
        let messages = pending
        pending = []
        sendClockReadingIfDue(on: connection, before: messages)
        for payload in PeerWire.encodeBatches(messages) {
            switch connection.send(payload) {
            case .queued: break
            case .backpressure, .frameTooLarge:
                // Dropped: Raft resends appends and heartbeats; the link is drained meanwhile.
                transport.metrics.peerFramesDropped.increment()
            case .closed: return
            }
        }
        pumpSnapshot()
    }

    /// Sends this node's wall clock ahead of a batch, at most once a second, so the peer can measure the skew.
    private func sendClockReadingIfDue(on connection: TCPConnection, before messages: [Message]) {
        let now = transport.loop.now.milliseconds
        guard !messages.isEmpty, lastClockReading.map({ now &- $0 >= 1_000 }) ?? true else { return }
        lastClockReading = now
        let wall = wallClockMilliseconds()
        _ = connection.send(PeerClockReading(wallMilliseconds: wall).encoded())
    }

    /// Streams snapshot chunks while the write queue takes them; resumes on `onWritable`.
    private func pumpSnapshot() {
        guard var stream = snapshot, state == .ready, let connection else { return }
        while stream.next < stream.count {
            let payload = PeerWire.snapshotChunk(
                stream.next, of: stream.message, transfer: stream.transfer, chunkBytes: Self.chunkBytes)
            switch connection.send(payload) {
            case .queued:
                stream.next += 1
            case .backpressure:
                snapshot = stream
                return
            case .frameTooLarge, .closed:
                snapshot = nil
                transport.events.onSnapshotSent(id, .failed)
                return
            }
        }
        snapshot = nil
        transport.events.onSnapshotSent(id, .finished)
    }

    private func unreachable() {
        pending = []
        if snapshot != nil {
            snapshot = nil
            transport.events.onSnapshotSent(id, .failed)
        }
        if !reportedUnreachable {
            reportedUnreachable = true
            transport.events.onUnreachable(id)
        }
    }

    // MARK: Connecting

    private func connect() {
        guard !stopped, state == .idle else { return }
        state = .connecting
        transport.loop.connect(
            host: endpoint.host, port: endpoint.port, timeout: .milliseconds(1_000), limits: PeerTransport.limits,
            tls: transport.settings.tls?.peerDialer
        ) { [weak self] result in
            guard let self else { return }
            switch result {
            case .success(let connection): self.connected(connection)
            case .failure(let error): self.failed("connect to \(self.endpoint) failed: \(error)")
            }
        }
    }

    private func connected(_ connection: TCPConnection) {
        guard !stopped else {
            connection.close()
            return
        }
        self.connection = connection
        state = .handshaking
        connection.onFrame = { [weak self] payload in self?.received(payload) }
        connection.onWritable = { [weak self] in self?.pumpSnapshot() }
        connection.onClose = { [weak self] closed in self?.closed(closed) }
        nonce = transport.settings.clusterSecret == nil ? [] : PeerProof.nonce()
        listenerProved = false
        let handshake = Handshake(
            role: .peer, cluster: ClusterID(transport.clusterID), node: transport.selfID,
            credentials: nonce)
        _ = connection.send(handshake.encoded())
    }

    private func received(_ payload: [UInt8]) {
        guard state == .handshaking else {
            // The listening side only ever answers the handshake.
            transport.logger.warning("peer sent data on its receiving side; closing", metadata: ["peer": "\(id)"])
            connection?.abort()
            return
        }
        let decoded = try? PeerWire.decode(payload)
        if case .challenge(let challenge)? = decoded {
            respond(to: challenge)
            return
        }
        let answer: HandshakeAnswer? = if case .handshakeAnswer(let answer)? = decoded { answer } else { nil }
        if case .accepted? = answer, transport.settings.clusterSecret != nil, !listenerProved {
            failed("\(endpoint) accepted the link without proving the cluster secret")
            return
        }
        switch answer {
        case .accepted(let node)? where node.rawValue == id.rawValue:
            // The first frame on an accepted link: the incarnation every message on it is checked against.
            _ = connection?.send(PeerIdentity(incarnation: transport.incarnation).encoded())
            state = .ready
            backoffMilliseconds = 0
            reportedUnreachable = false
            transport.logger.info("peer link up", metadata: ["peer": "\(id)", "address": "\(endpoint)"])
            transport.requestFlush()
        case .accepted(let node)?:
            failed("\(endpoint) answered as \(node), not \(id)")
        case .refused(let reason, let message)?:
            failed("\(endpoint) refused the handshake: \(reason): \(message)")
        case nil:
            failed("\(endpoint) sent an unreadable handshake answer")
        }
    }

    /// The listener's challenge: check its proof, then prove the secret in turn.
    private func respond(to challenge: PeerChallenge) {
        guard let secret = transport.settings.clusterSecret, !listenerProved else {
            failed("\(endpoint) sent a peer challenge, but this node has no cluster secret (set cluster-secret-file)")
            return
        }
        let prover = PeerProof(secret: secret)
        let cluster = transport.clusterID
        let dialer = transport.selfID.rawValue
        guard
            prover.verify(
                challenge.proof, side: .listener, cluster: cluster, dialer: dialer, listener: id.rawValue,
                dialerNonce: nonce, listenerNonce: challenge.nonce)
        else {
            transport.metrics.peerProofsRefused.increment()
            failed("\(endpoint) did not prove the cluster secret; is it node \(id) of this cluster?")
            return
        }
        listenerProved = true
        let proof = prover.proof(
            side: .dialer, cluster: cluster, dialer: dialer, listener: id.rawValue, dialerNonce: nonce,
            listenerNonce: challenge.nonce)
        _ = connection?.send(PeerChallengeResponse(proof: proof).encoded())
    }

    private func failed(_ reason: String) {
        transport.logger.notice("peer link failed", metadata: ["peer": "\(id)", "reason": "\(reason)"])
        connection?.abort()
        if connection == nil { scheduleReconnect() }
    }

    private func closed(_ event: ConnectionClosed) {
        connection = nil
        if state == .ready {
            transport.logger.notice("peer link down", metadata: ["peer": "\(id)", "reason": "\(event.reason)"])
        } else if case .tlsFailed(let reason) = event.reason {
            // Names the peer, which the connection's own warning cannot.
            transport.logger.notice(
                "peer link refused at the TLS handshake", metadata: ["peer": "\(id)", "reason": "\(reason)"])
        }
        unreachable()
        scheduleReconnect()
    }

    private func scheduleReconnect() {
        state = .idle
        guard !stopped else { return }
        backoffMilliseconds = min(max(backoffMilliseconds * 2, 50), 2_000)
        let delay = backoffMilliseconds / 2 + UInt64.random(in: 0...(backoffMilliseconds / 2))
        retryTimer?.cancel()
        retryTimer = transport.loop.schedule(after: .milliseconds(Int64(delay))) { [weak self] in self?.connect() }
    }

    /// Closes the link for good.
    func shutDown() {
        stopped = true
        retryTimer?.cancel()
        retryTimer = nil
        connection?.close()
        pending = []
        snapshot = nil
    }
}

import DequeModule
import EventLoop
import Logging
import Node
import PadlockSecurity
import PadlockTypes
import Wire

/// The client port: a handshake (a client of this cluster), then pipelined requests handed to the node and
/// its answers written back. Anything else — garbage, a peer handshake, an oversized frame, an undecodable
/// request — closes that connection with a logged reason; the node keeps serving everyone else.
///
/// Admission goes through the `ConnectionGate`: a connection must finish its handshake within the handshake
/// timeout, and until then it holds a slot of the small pending pool, not one of the `connectionsMax`
/// client slots. An authenticated connection that has been silent for `clientIdleTimeout`, has no request
/// waiting for an answer, and has used no session that is still open is closed (the client library opens
/// its connections again when it next needs them); a connection whose sessions live is never closed for
/// idleness.
///
/// Loop thread only.
final class ClientListener: NodePort {
    /// What the listener hands to its node, and the node's policy it asks about; the runtime wires each to a
    /// `Node` call.
    struct Events {
        /// A decoded request the listener let through, with the authenticated client behind it (nil on an
        /// open port).
        var onRequest: (ClientRequest, ClientID, Caller?) -> Void
        /// An authenticated connection closed: its waiters go, its sessions live on until their leases end.
        var onDisconnect: (ClientID) -> Void
        /// The sessions a request acts for (the node decides which a connection may use).
        var sessionsActedFor: (ClientOperation) -> [SessionID]
        /// Why the authenticated client of this name may not act for the sessions of a request, or nil (a
        /// batch renewal's sessions are checked one by one, with `sessionRefusal`).
        var requestRefusal: (ClientOperation, _ client: String) -> ClientFailure?
        /// Why the authenticated client of this name may not act for this session, or nil.
        var sessionRefusal: (SessionID, _ client: String) -> ClientFailure?
        /// Whether a session may still be open (open in the applied state, or not settled yet on a new
        /// leader): a connection that used one is never closed for idleness.
        var mayBeOpen: (SessionID) -> Bool
        /// Accepting failed for want of descriptors; true when a waiting connection was closed to make room.
        var onAcceptError: (UVError) -> Bool
    }

    /// One client connection.
    final class Connection {
        let tcp: TCPConnection
        let id: ClientID
        var admitted = false
        /// The protocol version its handshake spoke: requests are decoded, and answers and events written, in
        /// that version's layouts (an older client is never sent what it cannot read, docs/wire.md).
        var version: ProtocolVersion = .current
        /// The configured client behind the connection's token; nil when the port is open (no clients).
        var identity: ClientIdentity?
        /// Answers the write queue refused, sent once it drains (the connection stops reading meanwhile, so
        /// this stays bounded by the requests it already had in flight).
        var overflow: Deque<[UInt8]> = []
        /// When the client last sent a frame.
        var lastReceived: Ticks
        /// Requests handed to the node and not answered yet (answers beyond requests are not counted).
        var outstanding = 0
        /// Sessions this connection opened or acted for (at most `sessionsTrackedMax`; more keeps it open).
        var sessions: Set<SessionID> = []
        /// The trace id and operation of each unanswered request that carried a valid W3C trace context (at
        /// most `tracedRequestsMax`), so the line about its answer names the caller's trace.
        var traced: [CorrelationID: (traceID: String, operation: String)] = [:]
        /// Batch renewals handed to the node without the sessions this client may not renew, by correlation:
        /// the whole batch and the refusals, merged into the node's answer when it comes.
        var batchRefusals: [CorrelationID: (sessions: [SessionID], refused: [Int: ClientFailure])] = [:]
        /// Whether the node accepted a subscription on it: it then waits for events and is never idle.
        var subscribed = false
        /// Watched keys' latest states that arrived while the write queue was full, by key: a slow reader
        /// costs one state per watched key, never a queue of them (`docs/events.md`).
        var coalescedStates: [String: [UInt8]] = [:]

        init(tcp: TCPConnection, id: ClientID, now: Ticks) {
            self.tcp = tcp
            self.id = id
            self.lastReceived = now
        }
    }

    let loop: EventLoop
    let selfID: NodeID
    let clusterID: UInt64
    let connectionsMax: Int
    let logger: Logger
    let metrics: ServerMetrics
    let events: Events
    var listener: TCPListener?
    var connections: [ClientID: Connection] = [:]
    var nextID: UInt64 = 1
    /// The configured clients; empty when the port is open.
    var directory: ClientDirectory
    /// Authenticated connections now.
    private(set) var admittedCount = 0
    let gate: ConnectionGate
    /// Sessions remembered per connection; a connection that used more is never closed for idleness.
    static let sessionsTrackedMax = 1_024
    /// Traced requests remembered per connection until answered; past this, answers are logged without it.
    static let tracedRequestsMax = 4_096

    static let limits = ConnectionLimits(
        maxFrameBytes: WireLimits.framePayloadByteCountMax, writeQueueBytesMax: 8 << 20)

    init(
        loop: EventLoop, settings: ServerSettings, logger: Logger, metrics: ServerMetrics, gate: ConnectionGate,
        events: Events
    ) {
        self.gate = gate
        self.directory = settings.clients
        self.loop = loop
        self.selfID = NodeID(settings.nodeID)
        self.clusterID = settings.clusterID
        self.connectionsMax = settings.clientConnectionsMax
        self.logger = logger
        self.metrics = metrics
        self.events = events
    }

    var onAcceptError: (UVError) -> Bool { events.onAcceptError }

    func accepted(_ tcp: TCPConnection) {
        guard gate.admit(tcp, on: .client) else { return }
        let connection = Connection(tcp: tcp, id: ClientID(nextID), now: loop.now)
        nextID += 1
        connections[connection.id] = connection
        tcp.onFrame = { [unowned self, unowned connection] payload in self.received(payload, on: connection) }
        tcp.onWritable = { [unowned self, unowned connection] in self.drain(connection) }
        tcp.onClose = { [unowned self] closed in
            self.gate.closed(tcp)
            guard let gone = self.connections.removeValue(forKey: connection.id) else { return }
            if gone.admitted {
                self.admittedCount -= 1
                self.events.onDisconnect(gone.id)
            }
            if case .frameTooLarge = closed.reason {
                self.logger.warning(
                    "client connection closed: frame too large",
                    metadata: ["client": "\(gone.id)", "source": "\(tcp.remoteHost ?? "unknown")"])
            }
        }
    }

    private func received(_ payload: [UInt8], on connection: Connection) {
        guard connection.admitted else {
            admit(payload, connection)
            return
        }
        connection.lastReceived = loop.now
        do {
            let request = try ClientRequest(decoding: payload, version: connection.version)
            metrics.clientRequests.increment()
            connection.outstanding += 1
            noteReceived(request, on: connection)
            if case .renewSessions(let sessions) = request.operation {
                return receivedBatch(sessions, request.correlation, on: connection)
            }
            for session in events.sessionsActedFor(request.operation) { remember(session, on: connection) }
            if let refusal = refusal(of: request.operation, on: connection) {
                if case .permissionDenied = refusal { metrics.requestsDenied.increment() }
                send(ClientResponse(correlation: request.correlation, outcome: .failure(refusal)), to: connection.id)
                return
            }
            let caller = connection.identity.map { Caller(name: $0.name, sessionsMax: UInt64($0.sessionsMax)) }
            events.onRequest(request, connection.id, caller)
        } catch {
            logger.warning(
                "closing a client connection: bad request",
                metadata: [
                    "client": "\(connection.id)", "source": "\(connection.tcp.remoteHost ?? "unknown")",
                    "reason": "\(error)",
                ])
            metrics.badClientFrames.increment()
            connection.tcp.close()
        }
    }

    /// The first frame must be a client handshake for this cluster (cluster 0 means "any").
    private func admit(_ payload: [UInt8], _ connection: Connection) {
        let handshake: Handshake
        do {
            handshake = try Handshake(decoding: payload)
        } catch {
            gate.refused(
                connection.tcp, on: .client, reason: "garbage",
                detail: "closing a client connection: no handshake (\(error))")
            if let answer = HandshakeAnswer.refusal(for: error) { _ = connection.tcp.send(answer.encoded()) }
            connection.tcp.close()
            return
        }
        if handshake.role != .client {
            refuse(connection, .wrongRole, "wrong-role", "this is the client port; peers connect to the peer port")
        } else if handshake.cluster.rawValue != 0 && handshake.cluster.rawValue != clusterID {
            refuse(
                connection, .wrongCluster, "wrong-cluster",
                "this node belongs to cluster \(clusterID), not \(handshake.cluster.rawValue)")
        } else if admittedCount >= connectionsMax {
            refuse(
                connection, .overloaded, "over-cap",
                "this node serves at most \(connectionsMax) client connections; try another")
        } else {
            switch directory.admit(credentials: handshake.credentials) {
            case .open:
                break
            case .client(let identity):
                connection.identity = identity
            case .refused(let reason):
                refuse(connection, .badCredentials, "bad-token", reason)
                return
            }
            connection.admitted = true
            connection.version = handshake.version
            admittedCount += 1
            gate.authenticated(connection.tcp)
            _ = connection.tcp.send(HandshakeAnswer.accepted(node: selfID).encoded())
        }
    }

    /// Why the connection's client may not do `operation` now (`permissionDenied` with the reason, or a
    /// retryable answer), or nil when it may (always on an open port).
    func refusal(of operation: ClientOperation, on connection: Connection) -> ClientFailure? {
        guard directory.requiresTokens else { return nil }
        guard let identity = connection.identity else {
            return .permissionDenied(reason: "this cluster requires a client token")
        }
        if let reason = Authorization.denial(of: operation, by: identity) { return .permissionDenied(reason: reason) }
        // Which sessions a client may act for is the node's policy: their owners are replicated state.
        return events.requestRefusal(operation, identity.name)
    }

    /// Takes a reloaded client list: connections of clients now disabled or removed are refused from here
    /// on ("client disabled"). Returns the names of the clients it found disabled on its connections (the
    /// runtime revokes their sessions through the node).
    func reload(_ directory: ClientDirectory) -> Set<String> {
        self.directory = directory
        var disabled: Set<String> = []
        for connection in connections.values {
            guard let identity = connection.identity else { continue }
            if let current = directory.recheck(identity) {
                connection.identity = current
            } else {
                connection.identity?.enabled = false
                disabled.insert(identity.name)
            }
        }
        return disabled
    }

    private func refuse(_ connection: Connection, _ reason: RefusalReason, _ label: String, _ message: String) {
        gate.refused(connection.tcp, on: .client, reason: label, detail: message)
        _ = connection.tcp.send(HandshakeAnswer.refused(reason: reason, message: message).encoded())
        connection.tcp.close()
    }

    /// Logs a request at debug level, with the caller's trace id when it sent a valid trace context, and
    /// remembers that trace id for the line about its answer.
    private func noteReceived(_ request: ClientRequest, on connection: Connection) {
        let traceID = request.trace?.traceID
        if let traceID, connection.traced.count < Self.tracedRequestsMax {
            connection.traced[request.correlation] = (traceID, request.operation.name)
        }
        logger.debug(
            "client request",
            metadata: Self.requestMetadata(
                client: connection.id, correlation: request.correlation, operation: request.operation.name,
                traceID: traceID))
    }

    /// Logs a failure answer: a refused permission or an invalid argument at notice (a client doing what it
    /// may not, or should not), every other failure (lock outcomes, redirects, overload) at debug.
    private func noteAnswered(_ response: ClientResponse, on connection: Connection) {
        let traced = connection.traced.removeValue(forKey: response.correlation)
        guard case .failure(let failure) = response.outcome else { return }
        let level: Logger.Level
        switch failure {
        case .permissionDenied, .invalidArgument: level = .notice
        default: level = .debug
        }
        logger.log(
            level: level, "client request refused: \(failure.name)",
            metadata: {
                var metadata = Self.requestMetadata(
                    client: connection.id, correlation: response.correlation, operation: traced?.operation,
                    traceID: traced?.traceID)
                metadata["failure"] = "\(failure.name)"
                if let detail = failure.detail { metadata["detail"] = "\(detail)" }
                return metadata
            }())
    }

    private static func requestMetadata(
        client: ClientID, correlation: CorrelationID, operation: String?, traceID: String?
    ) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["client": "\(client)", "correlation": "\(correlation.rawValue)"]
        if let operation { metadata["operation"] = "\(operation)" }
        if let traceID { metadata["trace-id"] = "\(traceID)" }
        return metadata
    }

    /// Writes an answer; one the write queue cannot take now waits for it to drain.
    func send(_ response: ClientResponse, to client: ClientID) {
        guard let connection = connections[client] else { return }
        connection.outstanding = max(0, connection.outstanding - 1)
        noteAnswered(response, on: connection)
        if case .success(.sessionOpened(let grant)) = response.outcome { remember(grant.session, on: connection) }
        if case .success(.subscribed) = response.outcome { connection.subscribed = true }
        var response = response
        if let batch = connection.batchRefusals.removeValue(forKey: response.correlation) {
            response = Self.merged(response, batch)
        }
        let payload = response.encoded(for: connection.version)
        if !connection.overflow.isEmpty {
            connection.overflow.append(payload)
            return
        }
        if connection.tcp.send(payload) == .backpressure { connection.overflow.append(payload) }
    }

    /// Writes an event. While the write queue is full, lock losses and queue positions wait in line with the
    /// answers, and a watched key's state replaces the one still waiting for that key.
    func notify(_ event: ClientEvent, to client: ClientID) {
        guard let connection = connections[client] else { return }
        let payload = event.encoded(for: connection.version)
        guard connection.overflow.isEmpty, connection.coalescedStates.isEmpty else {
            if case .keyState(let state) = event.body {
                connection.coalescedStates[state.key.string] = payload
            } else {
                connection.overflow.append(payload)
            }
            return
        }
        if connection.tcp.send(payload) == .backpressure { connection.overflow.append(payload) }
    }

    private func drain(_ connection: Connection) {
        while let payload = connection.overflow.first {
            guard connection.tcp.send(payload) != .backpressure else { return }
            connection.overflow.removeFirst()
        }
        while let (key, payload) = connection.coalescedStates.first {
            guard connection.tcp.send(payload) != .backpressure else { return }
            connection.coalescedStates[key] = nil
        }
    }

    func remember(_ session: SessionID, on connection: Connection) {
        guard connection.sessions.count <= Self.sessionsTrackedMax else { return }
        connection.sessions.insert(session)
    }

    /// Closes authenticated connections idle for `timeout`: nothing received, no answer owed, and no
    /// session they used still open. Runs on the gate's sweep.
    func closeIdle(now: Ticks, timeout: Duration) {
        for connection in connections.values where connection.admitted && connection.outstanding == 0 {
            guard !connection.subscribed else { continue }
            guard now - connection.lastReceived >= timeout, connection.sessions.count <= Self.sessionsTrackedMax
            else { continue }
            connection.sessions = connection.sessions.filter(events.mayBeOpen)
            guard connection.sessions.isEmpty, connection.tcp.isOpen else { continue }
            metrics.idleClientsClosed.increment()
            logger.debug(
                "closing an idle client connection (no session, nothing sent)",
                metadata: [
                    "client": "\(connection.id)", "source": "\(connection.tcp.remoteHost ?? "unknown")",
                    "idleFor": "\(timeout)",
                ])
            connection.tcp.close()
        }
    }

    func close() {
        listener?.close()
        listener = nil
        for connection in connections.values { connection.tcp.close() }
    }
}

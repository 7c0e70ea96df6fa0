import EventLoop
import Logging
import Node
import PadlockSecurity
import PadlockTypes
import Raft
import Storage
import Wire

/// Everything one `padlockd` runs on its loop thread: the node, its transports, its timers and signals.
///
/// The runtime is wiring, not a hub: it builds the node, hands each transport the node calls it needs as
/// closures (`PeerTransport.Events`, `ClientListener.Events`), connects the environment's outputs to the
/// transports, and runs the node's flush from an end-of-iteration hook (`EventLoop.beforeWaiting`). Nothing
/// it builds points back at it.
///
/// Loop thread only. The main thread reaches it through the loop's mailbox.
final class NodeRuntime {
    let settings: ServerSettings
    let loop: EventLoop
    let logger: Logger
    let environment: LoopEnvironment
    let metrics: ServerMetrics
    let node: Node<LoopEnvironment>
    let gate: ConnectionGate
    let peers: PeerTransport
    let clients: ClientListener
    /// Runs `Node.flush()` before the loop waits, when the node asked for it (`scheduleFlush`) since.
    private let flushHook: IterationHook
    private var admin: AdminEndpoint?
    private var tickTimer: LoopTimer?
    private var signals: SignalWatcher?
    private var reloadSignal: SignalWatcher?
    private var stopping = false
    /// Tells the main thread the runtime is done, with the process's exit code.
    private let finished: @Sendable (Int32) -> Void

    /// Builds the node from `restored` and wires it to its transports; nothing listens until `start()`.
    init(
        settings: ServerSettings, loop: EventLoop, environment: LoopEnvironment, logger: Logger,
        restored: RestoredState, seed: UInt64, finished: @escaping @Sendable (Int32) -> Void
    ) throws(StartupError) {
        self.settings = settings
        self.loop = loop
        self.environment = environment
        self.logger = logger
        self.finished = finished
        let node: Node<LoopEnvironment>
        do {
            node = try Node(
                configuration: settings.nodeConfiguration, environment: environment, restored: restored, seed: seed)
        } catch {
            // An impossible stored term needs an operator (remove and add the node back); restarting would
            // only refuse again, so it exits like a configuration mistake, which systemd does not restart.
            let exitCode: Int32 = if case .impossibleState = error { 2 } else { 1 }
            throw StartupError(exitCode: exitCode, message: "the node cannot start: \(error)")
        }
        self.node = node
        let metrics = ServerMetrics()
        self.metrics = metrics
        // Created before the transports' hooks, so a round runs the node's flush before the peers' sends.
        flushHook = loop.beforeWaiting(Self.flushBody(node: node, logger: logger))
        let gate = Self.makeGate(settings: settings, loop: loop, logger: logger, metrics: metrics)
        self.gate = gate
        let acceptFailed = { (_: UVError) -> Bool in
            metrics.acceptErrors.increment()
            return gate.shedOldestPending(reason: "accept-error")
        }
        peers = PeerTransport(
            loop: loop, settings: settings, logger: logger, metrics: metrics, gate: gate,
            events: PeerTransport.Events(
                onPeerMessage: { message, incarnation in node.receive(message, incarnation: incarnation) },
                onPeerClock: { peer, wall in node.observePeerClock(peer, wallMilliseconds: wall) },
                onUnreachable: { peer in node.reportUnreachable(peer) },
                onSnapshotSent: { peer, status in node.reportSnapshot(to: peer, status: status) },
                onAcceptError: acceptFailed))
        clients = ClientListener(
            loop: loop, settings: settings, logger: logger, metrics: metrics, gate: gate,
            events: ClientListener.Events(
                onRequest: { request, client, caller in node.receive(request, from: client, caller: caller) },
                onDisconnect: { client in node.clientDisconnected(client) },
                sessionsActedFor: { operation in node.sessionsActedFor(operation) },
                requestRefusal: { operation, client in node.sessionRefusal(of: operation, byClient: client) },
                sessionRefusal: { session, client in node.sessionRefusal(of: session, byClient: client) },
                mayBeOpen: { session in node.ownership(of: session) != .notOpen },
                onAcceptError: acceptFailed))
        connectEnvironment()
    }

    /// The node's outputs: to the transports (weakly: the node, through its environment, must not keep
    /// them), the flush hook, the metrics and the shutdown.
    private func connectEnvironment() {
        environment.connect(
            LoopEnvironment.Outputs(
                send: { [weak peers] message in peers?.enqueue(message) },
                respond: { [weak clients] response, client in clients?.send(response, to: client) },
                notify: { [weak clients] event, client in clients?.notify(event, to: client) },
                scheduleFlush: { [weak flushHook] in flushHook?.request() },
                membershipChanged: { [weak peers] membership in peers?.update(membership) },
                nodeStopped: { [weak self] failure in self?.nodeFailed(failure) },
                syncFinished: { [metrics] nanoseconds in metrics.recordSync(nanoseconds: nanoseconds) }))
    }

    /// The node's batched work, then a log line when the role changed.
    private static func flushBody(node: Node<LoopEnvironment>, logger: Logger) -> () -> Void {
        let roles = RoleLog(logger: logger)
        return {
            node.flush()
            roles.note(role: node.role, term: node.term)
        }
    }

    /// Listens on the client, peer and admin ports, and starts ticking.
    func start() throws(StartupError) {
        let clients = self.clients
        let peers = self.peers
        if let idle = settings.connections.clientIdleTimeout {
            // Weakly: the listener holds the gate.
            gate.onSweep.append { [weak clients] now in clients?.closeIdle(now: now, timeout: idle) }
        }
        let clientPort = try listen("client-listen", settings.clientListen) { (address) throws(UVError) in
            try clients.listen(on: address, tls: self.settings.tls?.clientPort)
        }
        let peerPort = try listen("peer-listen", settings.peerListen) { (address) throws(UVError) in
            try peers.listen(on: address, tls: self.settings.tls?.peerListener)
        }
        gate.start()
        if let adminListen = settings.adminListen {
            let endpoint = AdminEndpoint(
                loop: loop, node: node, metrics: metrics, clients: clients, peers: peers, gate: gate)
            let timeout = settings.connections.adminRequestTimeout
            _ = try listen("admin-listen", adminListen) { (address) throws(UVError) in
                try endpoint.listen(on: address, requestTimeout: timeout)
            }
            admin = endpoint
        }
        peers.update(node.membership)
        let tick = Duration.milliseconds(Int64(settings.node.tickMilliseconds))
        tickTimer = loop.schedule(after: tick, repeating: tick) { [node] in node.tick() }
        try watchSignals()
        logger.notice(
            "padlockd serving",
            metadata: [
                "node": "\(settings.nodeID)", "cluster": "\(settings.clusterID)",
                "client": "\(settings.clientListen.host):\(clientPort)",
                "peer": "\(settings.peerListen.host):\(peerPort)",
                "dataDir": "\(settings.dataDirectory)", "members": "\(node.membership.configuration)",
                "tls": "\(tlsSummary)",
            ])
    }

    /// SIGTERM and SIGINT shut down; SIGHUP reloads the client list.
    private func watchSignals() throws(StartupError) {
        do {
            signals = try loop.watch(signals: [.interrupt, .terminate]) { [weak self] signal in
                guard let self else { return }
                self.logger.notice("shutting down", metadata: ["signal": "\(signal)"])
                self.shutDown(exitCode: 0)
            }
        } catch {
            throw StartupError(exitCode: 1, message: "cannot watch for SIGTERM and SIGINT: \(error)")
        }
        do {
            reloadSignal = try loop.watch(signals: [.hangup]) { [weak self] _ in self?.reloadClients() }
        } catch {
            throw StartupError(exitCode: 1, message: "cannot watch for SIGHUP: \(error)")
        }
    }

    /// The gate of the client and peer ports, with the connection budget the descriptor limit allows.
    private static func makeGate(
        settings: ServerSettings, loop: EventLoop, logger: Logger, metrics: ServerMetrics
    ) -> ConnectionGate {
        let limit = FileDescriptors.softLimit()
        metrics.descriptorLimit.set(to: Double(limit ?? 0))
        let budget = FileDescriptors.connectionBudget(
            limit: limit, open: FileDescriptors.openCount(), reserve: settings.connections.descriptorReserve)
        logger.notice(
            "connection limits",
            metadata: [
                "descriptorLimit": "\(limit.map(String.init) ?? "unknown")", "connectionBudget": "\(budget)",
                "handshakeTimeout": "\(settings.connections.handshakeTimeout)",
                "clientIdleTimeout": "\(settings.connections.clientIdleTimeout.map { "\($0)" } ?? "off")",
            ])
        return ConnectionGate(
            loop: loop, settings: settings.connections, connectionBudget: budget, logger: logger, metrics: metrics)
    }

    /// What `[tls]` protects, for the start-up log line.
    private var tlsSummary: String {
        guard let tls = settings.tls else { return "off" }
        return tls.peerDialer == nil ? "clients" : "clients and peers"
    }

    private func listen(
        _ field: String, _ endpoint: SocketAddress, _ body: (SocketAddress) throws(UVError) -> Int
    )
        throws(StartupError) -> Int
    {
        do {
            return try body(endpoint)
        } catch {
            throw StartupError(exitCode: 2, message: "\(field) \(endpoint): cannot listen: \(error)")
        }
    }

    /// SIGHUP: reads the client list again; an unusable file keeps the list the node has.
    ///
    /// The file is read on the loop thread: it is small (at most 1 MiB) and reloads are rare.
    private func reloadClients() {
        guard let reload = settings.reloadClients else {
            logger.warning("SIGHUP: no configuration file to reload")
            return
        }
        switch reload() {
        case .success(let directory):
            revokeSessions(ofDisabled: clients.reload(directory), in: directory)
            logger.notice("SIGHUP: client list reloaded", metadata: ["clients": "\(directory.clients.count)"])
        case .failure(let error):
            logger.error(
                "SIGHUP: configuration refused; keeping the client list in force", metadata: ["reason": "\(error)"])
        }
    }

    /// Revokes, through the log (on the leader), the sessions of clients the reloaded list disables or no
    /// longer names: those found on connections, and those with sessions in the replicated table.
    private func revokeSessions(ofDisabled found: Set<String>, in directory: ClientDirectory) {
        var disabled = found
        for name in node.clientsWithSessions where directory.client(named: name)?.enabled != true {
            disabled.insert(name)
        }
        for name in disabled.sorted() {
            let sessions = node.sessions(ofClient: name)
            guard !sessions.isEmpty else { continue }
            let proposed = node.revokeSessions(
                sessions, reason: "client \(name) disabled in the configuration",
                admin: "padlockd (configuration reload)")
            logger.notice(
                "client disabled; revoking its sessions",
                metadata: ["client": "\(name)", "sessions": "\(sessions.count)", "proposed": "\(proposed)"])
        }
    }

    /// The node stopped itself (a failed write or sync): the process exits with code 1 (fail-stop).
    func nodeFailed(_ failure: NodeFailure) {
        logger.critical("node stopped", metadata: ["reason": "\(failure)"])
        shutDown(exitCode: 1)
    }

    /// Stops taking work, closes every connection and listener, and tells the main thread, which finishes
    /// the disk writes already queued and stops the loop.
    func shutDown(exitCode: Int32) {
        guard !stopping else { return }
        stopping = true
        flushHook.cancel()
        tickTimer?.cancel()
        signals?.cancel()
        reloadSignal?.cancel()
        gate.stop()
        clients.close()
        peers.close()
        admin?.close()
        finished(exitCode)
    }
}

/// Logs the node's role when it changed: elections are what an operator looks for first in a log.
private final class RoleLog {
    let logger: Logger
    private var reported: (RaftNode.Role, Term)?

    init(logger: Logger) { self.logger = logger }

    func note(role: RaftNode.Role, term: Term) {
        guard reported.map({ $0.0 != role || $0.1 != term }) ?? true else { return }
        reported = (role, term)
        let level: Logger.Level = role == .leader ? .notice : .info
        logger.log(level: level, "role changed", metadata: ["role": "\(role)", "term": "\(term)"])
    }
}

/// Why the runtime could not start, with the exit code the process should end with (2: configuration).
struct StartupError: Error, CustomStringConvertible {
    var exitCode: Int32
    var message: String
    var description: String { message }
}

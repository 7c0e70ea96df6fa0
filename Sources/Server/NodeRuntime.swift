import EventLoop
import Logging
import Node
import PadlockTypes
import Raft
import Storage
import Wire

/// Everything one `padlockd` runs on its loop thread: the node, its transports, its timers and signals.
///
/// Loop thread only. The main thread reaches it through the loop's mailbox.
final class NodeRuntime {
    let settings: ServerSettings
    let loop: EventLoop
    let logger: Logger
    let environment: LoopEnvironment
    var node: Node<LoopEnvironment>!
    var peers: PeerTransport!
    var clients: ClientListener!
    var admin: AdminEndpoint?
    var gate: ConnectionGate!
    let metrics = ServerMetrics()
    private var tickTimer: LoopTimer?
    private var signals: SignalWatcher?
    private var reloadSignal: SignalWatcher?
    private var flushPosted = false
    private var reportedRole: (RaftNode.Role, Term)?
    private var stopping = false
    /// Tells the main thread the runtime is done, with the process's exit code.
    private let finished: @Sendable (Int32) -> Void

    init(
        settings: ServerSettings, loop: EventLoop, environment: LoopEnvironment, logger: Logger,
        finished: @escaping @Sendable (Int32) -> Void
    ) {
        self.settings = settings
        self.loop = loop
        self.environment = environment
        self.logger = logger
        self.finished = finished
    }

    /// Starts the node, listens on the client, peer and admin ports, and starts ticking.
    func start(restored: RestoredState, seed: UInt64) throws(StartupError) {
        do {
            node = try Node(
                configuration: settings.nodeConfiguration, environment: environment, restored: restored, seed: seed)
        } catch {
            // An impossible stored term needs an operator (remove and add the node back); restarting would
            // only refuse again, so it exits like a configuration mistake, which systemd does not restart.
            let exitCode: Int32 = if case .impossibleState = error { 2 } else { 1 }
            throw StartupError(exitCode: exitCode, message: "the node cannot start: \(error)")
        }
        environment.runtime = self
        let gate = makeGate()
        peers = PeerTransport(
            loop: loop, selfID: NodeID(settings.nodeID), clusterID: settings.clusterID, logger: logger, runtime: self,
            gate: gate)
        clients = ClientListener(
            loop: loop, selfID: NodeID(settings.nodeID), clusterID: settings.clusterID,
            connectionsMax: settings.clientConnectionsMax, directory: settings.clients, logger: logger, runtime: self,
            gate: gate)
        let clients = self.clients!
        let peers = self.peers!
        if let idle = settings.connections.clientIdleTimeout {
            gate.onSweep.append { now in clients.closeIdle(now: now, timeout: idle) }
        }
        let clientPort = try listen("client-listen", settings.clientListen) { (address) throws(UVError) in
            try clients.listen(on: address, tls: self.settings.tls?.clientPort)
        }
        let peerPort = try listen("peer-listen", settings.peerListen) { (address) throws(UVError) in
            try peers.listen(on: address, tls: self.settings.tls?.peerListener)
        }
        gate.start()
        if let adminListen = settings.adminListen {
            let endpoint = AdminEndpoint(runtime: self)
            _ = try listen("admin-listen", adminListen) { (address) throws(UVError) in try endpoint.listen(on: address) }
            admin = endpoint
        }
        peers.update(node.membership)
        let tick = Duration.milliseconds(Int64(settings.node.tickMilliseconds))
        tickTimer = loop.schedule(after: tick, repeating: tick) { [unowned self] in self.node.tick() }
        do {
            signals = try loop.watch(signals: [.interrupt, .terminate]) { [unowned self] signal in
                self.logger.notice("shutting down", metadata: ["signal": "\(signal)"])
                self.shutDown(exitCode: 0)
            }
        } catch {
            throw StartupError(exitCode: 1, message: "cannot watch for SIGTERM and SIGINT: \(error)")
        }
        do {
            reloadSignal = try loop.watch(signals: [.hangup]) { [unowned self] _ in self.reloadClients() }
        } catch {
            throw StartupError(exitCode: 1, message: "cannot watch for SIGHUP: \(error)")
        }
        logger.notice(
            "padlockd serving",
            metadata: [
                "node": "\(settings.nodeID)", "cluster": "\(settings.clusterID)",
                "client": "\(settings.clientListen.host):\(clientPort)", "peer": "\(settings.peerListen.host):\(peerPort)",
                "dataDir": "\(settings.dataDirectory)", "members": "\(node.membership.configuration)",
                "tls": "\(tlsSummary)",
            ])
    }

    /// The gate of the client and peer ports, with the connection budget the descriptor limit allows.
    private func makeGate() -> ConnectionGate {
        let limit = FileDescriptors.softLimit()
        metrics.descriptorLimit.set(to: Double(limit ?? 0))
        let budget = FileDescriptors.connectionBudget(
            limit: limit, open: FileDescriptors.openCount(), reserve: settings.connections.descriptorReserve)
        let gate = ConnectionGate(loop: loop, settings: settings.connections, connectionBudget: budget, runtime: self)
        self.gate = gate
        logger.notice(
            "connection limits",
            metadata: [
                "descriptorLimit": "\(limit.map(String.init) ?? "unknown")", "connectionBudget": "\(budget)",
                "handshakeTimeout": "\(settings.connections.handshakeTimeout)",
                "clientIdleTimeout": "\(settings.connections.clientIdleTimeout.map { "\($0)" } ?? "off")",
            ])
        return gate
    }

    /// Out of descriptors on accept: counted, and the oldest connection still in its handshake closed so
    /// that the next accept finds a descriptor. True when one was closed.
    func acceptFailed(_ error: UVError) -> Bool {
        metrics.acceptErrors.increment()
        return gate.shedOldestPending(reason: "accept-error")
    }

    /// What `[tls]` protects, for the start-up log line.
    private var tlsSummary: String {
        guard let tls = settings.tls else { return "off" }
        return tls.peerDialer == nil ? "clients" : "clients and peers"
    }

    private func listen(_ field: String, _ endpoint: SocketAddress, _ body: (SocketAddress) throws(UVError) -> Int)
        throws(StartupError) -> Int
    {
        do {
            return try body(endpoint)
        } catch {
            throw StartupError(exitCode: 2, message: "\(field) \(endpoint): cannot listen: \(error)")
        }
    }

    /// Asks for a flush on the next loop iteration (the node calls this through its environment).
    func requestFlush() {
        guard !flushPosted else { return }
        flushPosted = true
        let bound = LoopBound(self, loop: loop)
        _ = loop.post { bound.value.flush() }
    }

    /// The node's batched work, then the peer frames it produced.
    func flush() {
        flushPosted = false
        guard !stopping else { return }
        node.flush()
        peers.flushOutbound()
        logRoleChange()
    }

    /// Elections are what an operator looks for first in a log.
    private func logRoleChange() {
        let current = (node.role, node.term)
        guard reportedRole.map({ $0.0 != current.0 || $0.1 != current.1 }) ?? true else { return }
        reportedRole = current
        let level: Logger.Level = current.0 == .leader ? .notice : .info
        logger.log(level: level, "role changed", metadata: ["role": "\(current.0)", "term": "\(current.1)"])
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
            clients.reload(directory)
            logger.notice("SIGHUP: client list reloaded", metadata: ["clients": "\(directory.clients.count)"])
        case .failure(let error):
            logger.error("SIGHUP: configuration refused; keeping the client list in force", metadata: ["reason": "\(error)"])
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

/// Why the runtime could not start, with the exit code the process should end with (2: configuration).
struct StartupError: Error, CustomStringConvertible {
    var exitCode: Int32
    var message: String
    var description: String { message }
}

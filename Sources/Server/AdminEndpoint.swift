import AdminHTTP
import EventLoop
import Node
import PadlockTypes
import Raft
import Wire

/// The admin port: `GET /metrics` (the node's Prometheus registry; docs/admin.md lists every metric) and
/// `GET /health`. Handlers run on the loop thread and read the node's state, and the transports' figures,
/// directly.
final class AdminEndpoint {
    let loop: EventLoop
    let node: Node<LoopEnvironment>
    let metrics: ServerMetrics
    let clients: ClientListener
    let peers: PeerTransport
    let gate: ConnectionGate
    private var server: AdminHTTPServer?

    init(
        loop: EventLoop, node: Node<LoopEnvironment>, metrics: ServerMetrics, clients: ClientListener,
        peers: PeerTransport, gate: ConnectionGate
    ) {
        self.loop = loop
        self.node = node
        self.metrics = metrics
        self.clients = clients
        self.peers = peers
        self.gate = gate
    }

    func listen(on endpoint: SocketAddress, requestTimeout: Duration) throws(UVError) -> Int {
        let configuration = AdminHTTPServer.Configuration(requestTimeout: requestTimeout)
        let server = AdminHTTPServer(loop: loop, configuration: configuration)
        server.route("/metrics") { [unowned self] _ in
            HTTPResponse(status: .ok, headers: ["Content-Type": ServerMetrics.contentType], body: self.page())
        }
        server.route("/health") { [unowned self] _ in self.health() }
        let port = try server.listen(host: endpoint.host, port: endpoint.port)
        self.server = server
        return port
    }

    func close() {
        server?.close()
        server = nil
    }

    /// 200 while this node knows a leader (itself or another) and, on the leader, a quorum of voters can
    /// commit; 503 otherwise ("no leader" or "cannot commit", with the problems); JSON either way.
    private func health() -> HTTPResponse {
        let status = node.statusReport()
        let leader = status.leader.map { "\($0.rawValue)" } ?? "null"
        let verdict =
            status.leader == nil || node.isStopped ? "no leader" : status.canCommit ? "ok" : "cannot commit"
        let healthy = verdict == "ok"
        let problems = status.problems.map(Self.jsonString).joined(separator: ",")
        let body = """
            {"status":"\(verdict)","node":\(status.node.rawValue),"role":"\(status.role)",\
            "term":\(status.term.rawValue),"leader":\(leader),"commitIndex":\(status.commitIndex.rawValue),\
            "appliedIndex":\(status.appliedIndex.rawValue),"canCommit":\(status.canCommit),"problems":[\(problems)]}

            """
        return HTTPResponse(
            status: healthy ? .ok : .serviceUnavailable, contentType: "application/json", body: body)
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Copies the node's figures into the registry's families, then writes every family.
    private func page() -> [UInt8] {
        let scraped = metrics.scraped
        let status = node.statusReport()
        sampleState(node, status, into: scraped.state)
        sampleCounts(node, into: scraped.counts)
        sampleConnections(into: scraped.connections)
        samplePeers(node, status, into: scraped.peers)
        return metrics.emit()
    }

    private func sampleState(_ node: Node<LoopEnvironment>, _ status: NodeStatus, into state: StateGauges) {
        state.up.set(to: node.isStopped ? 0 : 1)
        for (role, gauge) in state.roles { gauge.set(to: "\(status.role)" == role ? 1 : 0) }
        state.term.set(to: Double(status.term.rawValue))
        state.commitIndex.set(to: Double(status.commitIndex.rawValue))
        state.appliedIndex.set(to: Double(status.appliedIndex.rawValue))
        state.lastIndex.set(to: Double(status.lastIndex.rawValue))
        state.snapshotIndex.set(to: Double(status.snapshotIndex.rawValue))
        state.sessions.set(to: Double(status.sessionCount))
        state.locks.set(to: Double(status.lockCount))
        state.waiters.set(to: Double(status.waiterCount))
        state.incarnationsRecorded.set(to: Double(node.membership.incarnations.count))
        state.canCommit.set(to: status.canCommit ? 1 : 0)
        state.stampAheadOfWall.set(to: Double(node.clockReport.stampAheadOfWallMilliseconds))
    }

    private func sampleCounts(_ node: Node<LoopEnvironment>, into counts: FollowedCounts) {
        let counters = node.counters
        counts.proposals.follow(counters.proposals)
        counts.appliedEntries.follow(counters.appliedEntries)
        counts.readRounds.follow(counters.readRounds)
        counts.renewals.follow(counters.renewals)
        counts.expiries.follow(counters.expiriesProposed)
        counts.diskWrites.follow(counters.diskWrites)
        counts.snapshots.follow(counters.snapshots)
        counts.eventsSent.follow(counters.eventsSent)
        counts.peerIdentityRefused.follow(node.refusedPeerMessages)
        counts.raftMessagesMalformed.follow(UInt64(clamping: node.droppedRaftMessages))
        counts.clockJumpsBounded.follow(node.clockReport.jumpsBounded)
        if let server {
            counts.adminConnectionsShed.follow(UInt64(clamping: server.counters.connectionsShed))
            counts.adminConnectionsRejected.follow(UInt64(clamping: server.counters.connectionsRejected))
        }
    }

    private func sampleConnections(into connections: ConnectionGauges) {
        connections.clientConnections.set(to: Double(clients.connections.count))
        connections.connectionBudget.set(to: Double(gate.connectionBudget))
        for (port, gauge) in connections.pending { gauge.set(to: Double(gate.pendingCount(port))) }
    }

    private func samplePeers(_ node: Node<LoopEnvironment>, _ status: NodeStatus, into peers: PeerFamilies) {
        let skews = node.clockReport.peers.map { ("\($0.key)", Double($0.value.skewMilliseconds)) }
        peers.clockSkew.set(Dictionary(skews, uniquingKeysWith: { first, _ in first }))
        let connected = self.peers.connectedPeers.map { ("\($0.key)", $0.value ? 1.0 : 0) }
        peers.connected.set(Dictionary(connected, uniquingKeysWith: { first, _ in first }))
        let lags = status.peers.map {
            ("\($0.node.rawValue)", Double(status.lastIndex.rawValue &- $0.matchIndex.rawValue))
        }
        peers.lag.set(Dictionary(lags, uniquingKeysWith: { first, _ in first }))
    }
}

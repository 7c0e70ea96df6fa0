import AdminHTTP
import EventLoop
import Node
import PadlockTypes
import Raft
import Wire

/// The admin port: `GET /metrics` (Prometheus text, docs/admin.md lists every metric) and `GET /health`.
/// Handlers run on the loop thread and read the node's state directly.
final class AdminEndpoint {
    unowned let runtime: NodeRuntime
    private var server: AdminHTTPServer?

    init(runtime: NodeRuntime) { self.runtime = runtime }

    func listen(on endpoint: Endpoint) throws(UVError) -> Int {
        let configuration = AdminHTTPServer.Configuration(requestTimeout: runtime.settings.connections.adminRequestTimeout)
        let server = AdminHTTPServer(loop: runtime.loop, configuration: configuration)
        server.route("/metrics") { [unowned self] _ in
            HTTPResponse(status: .ok, contentType: PrometheusText.contentType, body: self.metrics())
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
        let status = runtime.node.statusReport()
        let leader = status.leader.map { "\($0.rawValue)" } ?? "null"
        let verdict =
            status.leader == nil || runtime.node.isStopped ? "no leader" : status.canCommit ? "ok" : "cannot commit"
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

    private func metrics() -> String {
        let node = runtime.node!
        let status = node.statusReport()
        var text = PrometheusText()
        text.gauge("padlock_up", help: "1 while the node serves.", value: node.isStopped ? 0 : 1)
        text.family("padlock_role", type: .gauge, help: "1 for the role this node has now.")
        for role in ["leader", "follower", "candidate", "learner"] {
            text.sample(labels: ["role": role], value: "\(status.role)" == role ? 1 : 0)
        }
        text.gauge("padlock_term", help: "The current Raft term.", value: Double(status.term.rawValue))
        text.gauge("padlock_commit_index", help: "The highest committed log index.", value: Double(status.commitIndex.rawValue))
        text.gauge("padlock_applied_index", help: "The highest log index applied to the lock table.", value: Double(status.appliedIndex.rawValue))
        text.gauge("padlock_last_index", help: "The last log index.", value: Double(status.lastIndex.rawValue))
        text.gauge("padlock_snapshot_index", help: "The latest snapshot's log index.", value: Double(status.snapshotIndex.rawValue))
        text.gauge("padlock_sessions", help: "Open sessions.", value: Double(status.sessionCount))
        text.gauge("padlock_locks", help: "Held locks (each shared holder counts).", value: Double(status.lockCount))
        text.gauge("padlock_waiters", help: "Queued acquires.", value: Double(status.waiterCount))
        text.gauge(
            "padlock_incarnations_recorded", help: "Members whose incarnation the applied log records.",
            value: Double(node.membership.incarnations.count))
        text.gauge(
            "padlock_can_commit", help: "On the leader: 1 while a quorum of voters is reachable, accepted and caught up.",
            value: status.canCommit ? 1 : 0)
        renderCounters(node.counters, into: &text)
        renderTransport(status, into: &text)
        ServerMetrics.renderClocks(node.clockReport, refusedRaftMessages: node.droppedRaftMessages, into: &text)
        renderConnections(into: &text)
        runtime.metrics.syncLatency.render(
            into: &text, name: "padlock_fsync_seconds", help: "Time of each durable write (append and fdatasync).")
        return text.output
    }

    private func renderCounters(_ counters: NodeCounters, into text: inout PrometheusText) {
        text.counter("padlock_proposals_total", help: "Entries proposed as leader.", value: Double(counters.proposals))
        text.counter("padlock_applied_entries_total", help: "Entries applied.", value: Double(counters.appliedEntries))
        text.counter("padlock_read_rounds_total", help: "ReadIndex rounds started.", value: Double(counters.readRounds))
        text.counter("padlock_renewals_total", help: "Session renewals answered.", value: Double(counters.renewals))
        text.counter("padlock_expiries_total", help: "Session expiries decided as leader.", value: Double(counters.expiriesProposed))
        text.counter("padlock_disk_writes_total", help: "Durable writes.", value: Double(counters.diskWrites))
        text.counter("padlock_snapshots_total", help: "Snapshots taken.", value: Double(counters.snapshots))
        let metrics = runtime.metrics
        text.counter("padlock_client_requests_total", help: "Client requests received.", value: Double(metrics.clientRequests))
        text.counter("padlock_bad_client_frames_total", help: "Client connections closed for an undecodable request.", value: Double(metrics.badClientFrames))
        text.counter("padlock_requests_denied_total", help: "Client requests answered permissionDenied.", value: Double(metrics.requestsDenied))
        text.counter("padlock_peer_proofs_refused_total", help: "Peer links refused for a missing or wrong proof of the cluster secret.", value: Double(metrics.peerProofsRefused))
        text.counter("padlock_peer_messages_refused_total", help: "Peer messages with a forged sender.", value: Double(metrics.peerMessagesRefused))
        text.counter(
            "padlock_peer_identity_refused_total",
            help: "Peer messages refused because the sender's incarnation does not match the cluster's record or was lost.",
            value: Double(runtime.node.refusedPeerMessages))
        text.counter("padlock_peer_frames_dropped_total", help: "Peer frames dropped on a full link.", value: Double(metrics.peerFramesDropped))
    }

    private func renderConnections(into text: inout PrometheusText) {
        let metrics = runtime.metrics
        text.family(
            "padlock_handshakes_refused_total", type: .counter,
            help: "Client and peer handshakes refused, by port and reason (timeout, garbage, wrong-role, "
                + "wrong-cluster, not-member, no-secret, bad-secret, bad-token, over-cap).")
        for key in metrics.handshakesRefused.keys.sorted() {
            text.sample(labels: ["port": key.port.rawValue, "reason": key.reason], value: Double(metrics.handshakesRefused[key] ?? 0))
        }
        text.family(
            "padlock_connections_shed_total", type: .counter,
            help: "Connections still in their handshake closed to make room, by the limit that was full.")
        for reason in metrics.connectionsShed.keys.sorted() {
            text.sample(labels: ["reason": reason], value: Double(metrics.connectionsShed[reason] ?? 0))
        }
        text.counter("padlock_accept_errors_total", help: "Accepts that failed (out of file descriptors, mostly).", value: Double(metrics.acceptErrors))
        text.counter("padlock_idle_client_connections_closed_total", help: "Client connections closed for idleness (no session, nothing sent).", value: Double(metrics.idleClientsClosed))
        text.gauge("padlock_file_descriptor_limit", help: "The file descriptor limit (RLIMIT_NOFILE, soft) padlockd runs with.", value: Double(metrics.descriptorLimit))
        text.gauge("padlock_connection_budget", help: "Client and peer connections the descriptor limit leaves room for.", value: Double(runtime.gate.connectionBudget))
        text.family("padlock_pending_connections", type: .gauge, help: "Connections still in their handshake, by port.")
        for port in ServicePort.allCases {
            text.sample(labels: ["port": port.rawValue], value: Double(runtime.gate.pendingCount(port)))
        }
        if let server {
            text.counter("padlock_admin_connections_shed_total", help: "Admin connections without a complete request closed to make room.", value: Double(server.counters.connectionsShed))
            text.counter("padlock_admin_connections_rejected_total", help: "Admin connections answered 503 overloaded.", value: Double(server.counters.connectionsRejected))
        }
    }

    private func renderTransport(_ status: NodeStatus, into text: inout PrometheusText) {
        text.gauge("padlock_client_connections", help: "Open client connections.", value: Double(runtime.clients.connections.count))
        let connected = runtime.peers.connectedPeers
        text.family("padlock_peer_connected", type: .gauge, help: "1 while this node's link to the peer is up.")
        for peer in connected.keys.sorted() {
            text.sample(labels: ["peer": "\(peer)"], value: connected[peer]! ? 1 : 0)
        }
        text.family("padlock_peer_lag_entries", type: .gauge, help: "On the leader: entries the peer has yet to match.")
        for peer in status.peers {
            text.sample(labels: ["peer": "\(peer.node.rawValue)"], value: Double(status.lastIndex.rawValue &- peer.matchIndex.rawValue))
        }
    }
}

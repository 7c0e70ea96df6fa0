import Foundation
import PadlockClient
import PadlockTypes
import Testing
import Wire

/// Issue 19, against a real padlockd: a request carrying a W3C traceparent is logged with its trace id, both
/// in the per-request debug line and in the line about its refusal.
@Suite struct TracingTests {
    @Test func aRequestsTraceIDAppearsInTheNodesLogLines() async throws {
        let cluster = try LocalCluster(nodes: 1, logLevel: "debug")
        defer { cluster.stop() }
        let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
        let trace = TraceContext(traceparent: "00-\(traceID)-00f067aa0ba902b7-01", tracestate: "vendor=1")

        let socket = try RawSocket(port: cluster.clientPort(1))
        socket.writeFrame(Handshake(role: .client, cluster: ClusterID(0), node: NodeID(0)).encoded())
        let accepted = try socket.readFrame().map { try HandshakeAnswer(decoding: $0) }
        guard case .accepted? = accepted else {
            Issue.record("the handshake was answered \(String(describing: accepted))")
            return
        }
        // A release under a session that was never opened: refused (sessionExpired, or notLeader while the
        // node is still electing itself), which the node logs with the request's trace id.
        let release = ClientOperation.release(
            RequestID(session: SessionID(424_242), sequence: 1), key: try LockKey("acme/traced/1"), fence: FenceToken(1)
        )
        socket.writeFrame(ClientRequest(correlation: CorrelationID(1), operation: release, trace: trace).encoded())
        let answer = try socket.readFrame().map { try ClientResponse(decoding: $0) }
        guard case .failure(let failure)? = answer?.outcome else {
            Issue.record("the release was answered \(String(describing: answer))")
            return
        }

        let deadline = Date().addingTimeInterval(30)
        var lines: [Substring] = []
        while Date() < deadline {
            lines = cluster.nodeLog(1).split(separator: "\n").filter { $0.contains("trace-id=\(traceID)") }
            if lines.contains(where: { $0.contains("client request refused") }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(
            lines.contains { $0.contains("client request") && $0.contains("operation=release") },
            "no per-request line with the trace id in:\n\(cluster.nodeLog(1))")
        #expect(
            lines.contains { $0.contains("client request refused: \(failure.name)") },
            "no refusal line with the trace id in:\n\(cluster.nodeLog(1))")
    }
}

import Foundation
import Testing

@testable import Server

/// `ServerMetrics` without a running node: each instance has a registry of its own (decision 0012), and a
/// fresh one already declares every documented family that does not wait for a peer.
@Suite struct ServerMetricsTests {
    /// `# TYPE` lines of a page: family name to type.
    private func types(_ metrics: ServerMetrics) -> [String: String] {
        let page = String(decoding: metrics.emit(), as: UTF8.self)
        let lines = page.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ") }
        return Dictionary(lines.map { (String($0[2]), String($0[3])) }, uniquingKeysWith: { first, _ in first })
    }

    /// The lines of a page that start with `prefix`.
    private func lines(_ metrics: ServerMetrics, _ prefix: String) -> [String] {
        String(decoding: metrics.emit(), as: UTF8.self).split(separator: "\n").map(String.init).filter {
            $0.hasPrefix(prefix)
        }
    }

    @Test("Two nodes in one process count apart")
    func registriesAreSeparate() {
        let first = ServerMetrics()
        let second = ServerMetrics()
        first.clientRequests.increment()
        first.count(refusal: "garbage", on: .client)
        first.recordSync(nanoseconds: 1_500_000)
        #expect(lines(first, "padlock_client_requests_total ") == ["padlock_client_requests_total 1"])
        #expect(lines(second, "padlock_client_requests_total ") == ["padlock_client_requests_total 0"])
        let refused = "padlock_handshakes_refused_total{port=\"client\",reason=\"garbage\"} "
        #expect(lines(first, refused) == [refused + "1"])
        #expect(lines(second, refused) == [refused + "0"])
        #expect(lines(first, "padlock_fsync_seconds_count") == ["padlock_fsync_seconds_count 1"])
        #expect(
            lines(first, "padlock_fsync_seconds_bucket{le=\"0.0025\"}") == [
                "padlock_fsync_seconds_bucket{le=\"0.0025\"} 1"
            ])
        #expect(
            lines(first, "padlock_fsync_seconds_bucket{le=\"0.001\"}") == [
                "padlock_fsync_seconds_bucket{le=\"0.001\"} 0"
            ])
        #expect(lines(second, "padlock_fsync_seconds_count") == ["padlock_fsync_seconds_count 0"])
    }

    @Test("A fresh node declares every documented family but the per-peer ones, with the documented type")
    func everyFamilyIsDeclared() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("IntegrationTests/testdata/admin-metrics.txt")
        let documented = try String(contentsOf: fixture, encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("#") }.map { $0.split(separator: " ").map(String.init) }
        let declared = types(ServerMetrics())
        #expect(documented.count >= 40)
        for family in documented where family[2] != "peer" {
            #expect(declared[family[0]] == family[1], "\(family[0]): declared \(declared[family[0]] ?? "nowhere")")
        }
        #expect(declared.count == documented.filter { $0[2] != "peer" }.count, "\(declared.keys.sorted())")
    }

    @Test("A followed counter adds what the node's total grew by, and starts again when the total does")
    func followedCounter() {
        let metrics = ServerMetrics()
        let proposals = metrics.scraped.counts.proposals
        proposals.follow(5)
        proposals.follow(7)
        #expect(lines(metrics, "padlock_proposals_total ") == ["padlock_proposals_total 7"])
        proposals.follow(2)
        #expect(lines(metrics, "padlock_proposals_total ") == ["padlock_proposals_total 2"])
    }

    @Test("Per-peer series follow the peers the node knows")
    func peerSeriesComeAndGo() {
        let metrics = ServerMetrics()
        let connected = metrics.scraped.peers.connected
        connected.set(["2": 1, "3": 0])
        #expect(
            lines(metrics, "padlock_peer_connected{").sorted()
                == ["padlock_peer_connected{peer=\"2\"} 1.0", "padlock_peer_connected{peer=\"3\"} 0.0"])
        connected.set(["2": 1])
        #expect(lines(metrics, "padlock_peer_connected{") == ["padlock_peer_connected{peer=\"2\"} 1.0"])
        connected.set([:])
        #expect(lines(metrics, "padlock_peer_connected").isEmpty)
    }
}

import Foundation
import PadlockClient
import Testing

/// Issue 19, "Server metrics": `/metrics` as Prometheus itself reads it. Every family docs/admin.md documents
/// is listed in testdata/admin-metrics.txt; a live node's page must parse with the Prometheus project's own
/// Python parser (Debian's python3-prometheus-client, installed by `make deps`) and carry each of them.
@Suite(.serialized) struct MetricsTests {
    static let testdata = Binaries.packageRoot.appendingPathComponent("Tests/IntegrationTests/testdata")

    /// One documented family: its name as exposed, its type and its label names.
    struct Family: Hashable, CustomStringConvertible {
        var name: String
        var type: String
        var labels: [String]
        var description: String { "\(name) \(type) \(labels.isEmpty ? "-" : labels.joined(separator: ","))" }
    }

    @Test("docs/admin.md and testdata/admin-metrics.txt list the same families, types and labels")
    func fixtureMatchesTheDocument() throws {
        let documented = try Self.documentedFamilies()
        let fixture = try Self.fixtureFamilies()
        #expect(documented.count >= 40, "the table in docs/admin.md was not found: \(documented)")
        #expect(documented == fixture, "docs/admin.md and the fixture differ")
    }

    @Test(
        "A live leader's /metrics parses with Prometheus's parser, counters move, and every documented family is there")
    func liveNodeMetricsParse() async throws {
        let python = try #require(
            await Self.parserPython(),
            "no python3 can import prometheus_client: run `make deps` (python3-prometheus-client)")
        let cluster = try LocalCluster()
        defer { cluster.stop() }
        let client = try await cluster.client(owner: "metrics@it")
        let lock = try await client.acquire("acme/contacts/19", note: "checking metrics")
        try await lock.release()
        let leader = try #require(await cluster.leader(using: client))
        await client.close()
        // The peer families list the peers the leader has heard from; wait for all of them.
        var page = ""
        let complete = await waitUntil(seconds: 45) {
            page = Self.metricsPage(cluster, leader)
            return ["clock_skew_milliseconds", "connected", "lag_entries"].allSatisfy { family in
                (1...3).filter { $0 != leader }.allSatisfy { page.contains("padlock_peer_\(family){peer=\"\($0)\"}") }
            }
        }
        #expect(complete, "the leader lists every peer in its peer families: \(page)")
        try await Self.expectParses(page, with: python, node: leader)
        #expect((Self.value(page, "padlock_client_requests_total") ?? 0) > 0, "requests counted")
        #expect((Self.value(page, "padlock_proposals_total") ?? 0) > 0, "proposals counted")
        #expect((Self.value(page, "padlock_fsync_seconds_count") ?? 0) > 0, "durable writes timed")
        #expect(Self.value(page, "padlock_role{role=\"leader\"}") == 1)
        for follower in (1...3) where follower != leader {
            try await Self.expectParses(
                Self.metricsPage(cluster, follower), with: python, node: follower,
                mayBeAbsent: ["padlock_peer_lag_entries"])
        }
    }

    /// Runs the parser over `page`; records its report as the failure when it finds anything.
    /// `mayBeAbsent`: families this node need not have (only a leader has `padlock_peer_lag_entries`).
    static func expectParses(_ page: String, with python: URL, node: Int, mayBeAbsent: [String] = []) async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("padlock-metrics-\(UUID()).txt")
        try Data(page.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = testdata.appendingPathComponent("check_metrics.py").path
        let fixture = testdata.appendingPathComponent("admin-metrics.txt").path
        let result = try await runCommand(python, [script, fixture, file.path, mayBeAbsent.joined(separator: ",")])
        #expect(
            result.status == 0 && result.errors.isEmpty,
            "node \(node): \(result.output)\(result.errors)\n--- the page ---\n\(page)")
    }

    /// Node `node`'s `/metrics` body ("" when it does not answer).
    static func metricsPage(_ cluster: LocalCluster, _ node: Int) -> String {
        let response = httpGet(port: UInt16(cluster.adminPort(node)), path: "/metrics")
        guard let end = response.range(of: "\r\n\r\n") else { return "" }
        return String(response[end.upperBound...])
    }

    /// The value of the sample written exactly as `series` (name and labels), if the page has it.
    static func value(_ page: String, _ series: String) -> Double? {
        let line = page.split(separator: "\n").first { $0.hasPrefix(series + " ") }
        return line.flatMap { Double($0.dropFirst(series.count + 1)) }
    }

    /// A python3 that imports prometheus_client: Debian's, where `make deps` puts it, else one on PATH.
    static func parserPython() async -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = ["/usr/bin/python3"] + path.split(separator: ":").map { "\($0)/python3" }
        for python in candidates.map({ URL(fileURLWithPath: $0) })
        where FileManager.default.isExecutableFile(atPath: python.path) {
            if (try? await runCommand(python, ["-c", "import prometheus_client"]))?.status == 0 { return python }
        }
        return nil
    }

    /// The families of docs/admin.md's metrics table: a row may name several metrics; labels are the
    /// backquoted words that open the labels cell or follow one of its commas.
    static func documentedFamilies() throws -> [Family] {
        let document = try String(
            contentsOf: Binaries.packageRoot.appendingPathComponent("docs/admin.md"), encoding: .utf8)
        let lines = document.split(separator: "\n", omittingEmptySubsequences: false)
        guard let header = lines.firstIndex(where: { $0.hasPrefix("| metric | type | labels |") }) else { return [] }
        let rows = lines[(header + 2)...].prefix { $0.hasPrefix("|") }
        return rows.flatMap { row -> [Family] in
            let cells = row.split(separator: "|", omittingEmptySubsequences: false).dropFirst().map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard cells.count >= 3 else { return [] }
            let labels = cells[2].split(separator: ",").compactMap { part -> String? in
                let trimmed = part.trimmingCharacters(in: .whitespaces)
                return trimmed.hasPrefix("`") ? backquoted(trimmed).first : nil
            }
            return backquoted(cells[0]).map { Family(name: $0, type: cells[1], labels: labels) }
        }
    }

    /// testdata/admin-metrics.txt.
    static func fixtureFamilies() throws -> [Family] {
        let text = try String(contentsOf: testdata.appendingPathComponent("admin-metrics.txt"), encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
            let words = line.split(separator: " ").map(String.init)
            guard words.count == 3 else { return nil }
            return Family(
                name: words[0], type: words[1],
                labels: words[2] == "-" ? [] : words[2].split(separator: ",").map(String.init))
        }
    }

    /// The backquoted words of `text`, in order.
    private static func backquoted(_ text: String) -> [String] {
        text.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map {
            String($0.element)
        }
    }
}

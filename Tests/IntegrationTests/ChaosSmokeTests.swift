import Foundation
import Testing

/// Short runs of the chaos harness (`padlock-chaos`, chaos/README.md): three real nodes, the fenced workload,
/// a couple of faults, the checkers. The 60-second all-fault runs are `make chaos`.
@Suite(.serialized) struct ChaosSmokeTests {
    private func chaos(_ arguments: [String]) async throws -> (result: CommandResult, directory: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "padlock-chaos-\(UUID().uuidString)")
        let result = try await runCommand(
            Binaries.directory.appendingPathComponent("padlock-chaos"),
            ["run", "--out", directory.path, "--base-port", "\(Ports.base())"] + arguments, timeout: 120)
        return (result, directory)
    }

    /// The number after `label` on the report line that starts with it.
    private func number(after label: String, in report: String) -> Int? {
        guard let line = report.split(separator: "\n").first(where: { $0.hasPrefix(label) }) else { return nil }
        let rest = line.dropFirst(label.count).prefix { $0.isNumber }
        return Int(rest)
    }

    @Test func aShortRunWithKillsAndPartitionsEditsRecordsAndFindsNoViolation() async throws {
        let (result, directory) = try await chaos([
            "--duration", "12s", "--seed", "5", "--faults", "kill,partition", "--clients", "8", "--keys", "6",
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(result.status == 0, "padlock-chaos failed:\n\(result.output)\n\(result.errors.suffix(2000))")
        #expect(result.output.contains("\nviolations: 0"), "\(result.output)")
        let ok = try #require(number(after: "operations: ok ", in: result.output), "\(result.output)")
        #expect(ok > 100, "only \(ok) operations succeeded:\n\(result.output)")
        #expect(
            !result.output.contains("faults injected: kill 0, pause 0, partition 0"),
            "no fault was injected:\n\(result.output)")
        let history = try String(contentsOf: directory.appendingPathComponent("history.jsonl"), encoding: .utf8)
        #expect(history.contains("\"f\":\"write\""), "the history records no store writes")
        // The watcher (a list view of the six records) got at least each record's first state, and every watch
        // ended equal to the cluster after the heal (checker 6, counted in the violations above too).
        let states = try #require(number(after: "watch states received: ", in: result.output), "\(result.output)")
        #expect(states >= 6, "the watcher received only \(states) states:\n\(result.output)")
        #expect(
            result.output.contains("\n  6 every watch ends equal to the cluster after the heal: 0"), "\(result.output)")
        #expect(history.contains("\"f\":\"force-unlock\""), "the administrator force-unlocked nothing")
    }

    /// Packet faults need root (a network namespace, nftables and tc); CI runs as root, a laptop may not.
    @Test(.enabled(if: getuid() == 0, "packet faults in a network namespace need root"))
    func droppedAndSlowedPacketsInANetworkNamespaceAdmitNoViolation() async throws {
        let (result, directory) = try await chaos([
            "--duration", "16s", "--seed", "4", "--faults", "packet", "--clients", "8", "--keys", "6",
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(result.status == 0, "padlock-chaos failed:\n\(result.output)\n\(result.errors.suffix(2000))")
        #expect(result.errors.contains("running in network namespace padlock-chaos-"), "\(result.errors.suffix(2000))")
        #expect(result.output.contains("\nviolations: 0"), "\(result.output)")
        let label = "faults injected: kill 0, pause 0, partition 0, clock 0, disk 0, restart 0, packet "
        let injected = try #require(number(after: label, in: result.output), "\(result.output)")
        #expect(injected >= 1, "no packet fault was injected:\n\(result.output)")
        // The heal reports what the rules did: a fault that dropped nothing would not have tested anything.
        #expect(
            result.output.contains(" packets dropped") || result.output.contains("slow class sent"), "\(result.output)")
        #expect(!result.output.contains("; 0 packets dropped"), "a packet fault dropped nothing:\n\(result.output)")
        let ok = try #require(number(after: "operations: ok ", in: result.output), "\(result.output)")
        #expect(ok > 100, "only \(ok) operations succeeded:\n\(result.output)")
    }

    /// The count of `kind` on the report's `faults injected:` line.
    private func injected(_ kind: String, in report: String) -> Int? {
        guard let line = report.split(separator: "\n").first(where: { $0.hasPrefix("faults injected: ") }),
            let entry = line.split(separator: ",").first(where: { $0.hasSuffix(" \(kind)") || $0.contains(" \(kind) ") }
            )
        else { return nil }
        return entry.split(separator: " ").last.flatMap { Int($0) }
    }

    @Test func killingEveryNodeAtOnceAndSlowLinksLoseNothingAcknowledged() async throws {
        let (result, directory) = try await chaos([
            "--duration", "24s", "--seed", "3", "--faults", "kill-all,latency", "--clients", "8", "--keys", "6",
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        // Chaos finding 4 (chaos/README.md), open: after a kill-all an acquire can be answered `unavailable`
        // although its grant was committed later. Until it is fixed, a violation here is a known issue, reported
        // but not failing the suite; every other check below still must hold.
        withKnownIssue("chaos finding 4: an acquire answered unavailable whose grant committed", isIntermittent: true) {
            #expect(result.status == 0, "padlock-chaos failed:\n\(result.output)\n\(result.errors.suffix(2000))")
            #expect(result.output.contains("\nviolations: 0"), "\(result.output)")
        }
        #expect((injected("kill-all", in: result.output) ?? 0) >= 1, "no kill-all:\n\(result.output)")
        #expect((injected("latency", in: result.output) ?? 0) >= 1, "no slow links:\n\(result.output)")
        let history = try String(contentsOf: directory.appendingPathComponent("history.jsonl"), encoding: .utf8)
        // After the kill-all every key was surveyed, and the survey went into the history for checker 3.
        #expect(history.contains("\"f\":\"survey\""), "no survey after the kill-all")
        // The lines of one file are in time order (stamped under the writer's lock).
        let stamps = history.split(separator: "\n").compactMap { line -> UInt64? in
            guard let range = line.range(of: "\"mono_ns\":") else { return nil }
            return UInt64(line[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(stamps.count > 100 && stamps == stamps.sorted(), "history lines out of time order")
        #expect(history.contains("\"owner\":\"w1@chaos\""), "acquires do not name their owner")
    }

    @Test func theSelfCheckWithAnUnfencedStoreReportsViolations() async throws {
        let (result, directory) = try await chaos([
            "--duration", "12s", "--seed", "6", "--faults", "none", "--clients", "6", "--keys", "4", "--self-check",
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(
            result.status == 0,
            "the self-check did not report violations:\n\(result.output)\n\(result.errors.suffix(2000))")
        let violations = try #require(number(after: "violations: ", in: result.output), "\(result.output)")
        #expect(violations > 0, "\(result.output)")
        let fenceOrder = number(after: "  1a store fences never go backwards: ", in: result.output) ?? 0
        #expect(fenceOrder > 0, "stale writes the unfenced store accepted were not reported:\n\(result.output)")
    }
}

import Foundation

/// What `padlock-bench events` measured.
struct EventsResult {
    var idle = NoticeStats()
    var phases: [PhaseResult] = []
    /// The leader's VmRSS before and after the idle watches were established (nil when the leader changed).
    var memory: (before: Int, after: Int)?
    var establishSeconds = 0.0
}

/// One workload phase.
struct PhaseResult {
    var name: String
    var watches: Int
    var cycles: Int
    var errors: Int
    var acquireP99: Double
    var notices: NoticeStats
    var statesReceived: Int
    var watchesEnded: Int
    var duration: Double

    var cyclesPerSecond: Double { Double(cycles) / duration }
}

extension EventsBenchmark {
    func report(_ result: EventsResult) {
        let baseline = result.phases.filter { $0.watches == 0 }.map(\.cyclesPerSecond)
        let reference = baseline.isEmpty ? 0 : baseline.reduce(0, +) / Double(baseline.count)
        let perWatch = result.memory.map { Double($0.after - $0.before) / Double(watches) }
        if json {
            print(jsonLine(result, reference: reference, perWatch: perWatch))
            return
        }
        print("notice latency of a force-unlock (holder's Lock.states → .lost):")
        print("  idle: " + Self.describe(result.idle))
        for phase in result.phases { print("  during \"\(phase.name)\": " + Self.describe(phase.notices)) }
        print("lock workload, \(workers) workers, own keys, \(duration) s per phase:")
        for phase in result.phases {
            let ratio =
                reference > 0
                ? String(format: " (%.2f of the mean without watches)", phase.cyclesPerSecond / reference) : ""
            print(
                "  \(phase.name): \(Int(phase.cyclesPerSecond)) cycles/s\(ratio), errors \(phase.errors), acquire p99 "
                    + String(format: "%.2f ms", phase.acquireP99)
                    + (phase.watches > 0
                        ? "; \(phase.statesReceived) watch states received, \(phase.watchesEnded) watches ended" : ""))
        }
        if let memory = result.memory, let perWatch {
            print(
                "leader resident memory: \(memory.before / 1024) KiB before, \(memory.after / 1024) KiB after "
                    + "\(watches) watches (established in "
                    + String(format: "%.1f s", result.establishSeconds) + "): "
                    + String(format: "%.0f bytes per watch", perWatch))
        } else {
            print("leader resident memory: not measured (the leader changed or /proc was not readable)")
        }
    }

    static func describe(_ stats: NoticeStats) -> String {
        let send = NoticeStats.percentiles(stats.fromSend)
        let answer = NoticeStats.percentiles(stats.fromAnswer)
        return String(
            format: "from before sending p50 %.2f ms, p99 %.2f ms, max %.2f ms; from its answer p50 %.2f ms, "
                + "p99 %.2f ms (%d of %d notices came first); missing %d, other reason %d",
            send.p50, send.p99, send.max, answer.p50, answer.p99, stats.beforeAnswer, Int(stats.fromSend.totalCount),
            stats.missing, stats.otherReason)
    }

    private func jsonLine(_ result: EventsResult, reference: Double, perWatch: Double?) -> String {
        func notices(_ stats: NoticeStats) -> String {
            let send = NoticeStats.percentiles(stats.fromSend)
            let answer = NoticeStats.percentiles(stats.fromAnswer)
            return String(
                format: "{\"count\":%d,\"from_send_p50_ms\":%.3f,\"from_send_p99_ms\":%.3f,\"from_send_max_ms\":%.3f,"
                    + "\"from_answer_p50_ms\":%.3f,\"from_answer_p99_ms\":%.3f,\"before_answer\":%d,\"missing\":%d,"
                    + "\"other_reason\":%d}",
                Int(stats.fromSend.totalCount), send.p50, send.p99, send.max, answer.p50, answer.p99,
                stats.beforeAnswer, stats.missing, stats.otherReason)
        }
        let phases = result.phases.map { phase in
            "{\"name\":\"\(phase.name)\",\"watches\":\(phase.watches),"
                + String(format: "\"cycles_per_s\":%.1f,", phase.cyclesPerSecond)
                + "\"errors\":\(phase.errors),\"states_received\":\(phase.statesReceived),"
                + "\"notices\":\(notices(phase.notices))}"
        }
        let memory = perWatch.map { String(format: "%.0f", $0) } ?? "null"
        return "{\"system\":\"padlock\",\"workers\":\(workers),\"watches\":\(watches),"
            + "\"idle_notices\":\(notices(result.idle)),\"phases\":[\(phases.joined(separator: ","))],"
            + String(format: "\"baseline_cycles_per_s\":%.1f,", reference)
            + "\"leader_bytes_per_watch\":\(memory)}"
    }
}

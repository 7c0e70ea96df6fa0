import Foundation

/// The report printed at the end of a run (its format is in chaos/README.md).
struct Report {
    let results: RunResults

    var text: String {
        let settings = results.settings
        let checks = results.checks
        var lines: [String] = []
        lines.append(
            "padlock-chaos: seed \(settings.seed), \(Int(settings.seconds)) s, faults "
                + "\(settings.kinds.isEmpty ? "none" : settings.kinds.map(\.rawValue).joined(separator: ",")), "
                + "\(settings.clients) front ends + \(settings.pausers) pausing, \(settings.keys) records, "
                + (settings.selfCheck ? "SELF-CHECK (store ignores fences)" : "fenced store"))
        lines.append("output: \(settings.directory.path)")
        let ops = checks.operations
        lines.append(
            "operations: ok \(ops.ok), fail \(ops.fail), info \(ops.info) (edits accepted \(checks.acceptedEdits), "
                + "stale writes rejected \(checks.rejectedWrites))")
        var counts: [FaultKind: Int] = [:]
        for fault in results.faults { counts[fault.kind, default: 0] += 1 }
        lines.append(
            "faults injected: " + FaultKind.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: ", ")
        )
        let sections: [(String, [String])] = [
            ("1a store fences never go backwards", checks.storeFenceOrder),
            ("1b no accepted write from a superseded holder", checks.staleHolderWrites),
            ("2 no lost update (counter = accepted edits)", checks.lostUpdates),
            ("3 no acknowledged grant or release lost", checks.durability),
            ("4 lock history linearizable, fences in order", checks.linearizability),
            ("5 operations resume within 2 s of each heal", checks.recovery),
            ("6 every watch ends equal to the cluster after the heal", checks.watches),
        ]
        let crashes = results.injectorNotes.filter { $0.contains("had died on its own") }.count
        lines.append("node crashes (died with no fault to explain it): \(crashes)")
        lines += results.notices.lines
        lines.append("violations per checker:")
        for (name, found) in sections { lines.append("  \(name): \(found.count)") }
        lines.append(
            "worst recovery: "
                + FaultKind.allCases.filter { counts[$0] != nil }.map { kind in
                    let seconds = checks.worstRecovery[kind]
                    return "\(kind.rawValue) "
                        + (seconds.map { $0.isFinite ? String(format: "%.2f s", $0) : "never" } ?? "-")
                }.joined(separator: ", "))
        lines.append(
            "longest stall during a fault: "
                + FaultKind.allCases.filter { counts[$0] != nil }.map { kind in
                    "\(kind.rawValue) " + (checks.longestStall[kind].map { String(format: "%.2f s", $0) } ?? "-")
                }.joined(separator: ", "))
        for (name, found) in sections where !found.isEmpty {
            lines.append("\(name):")
            for line in found.prefix(8) { lines.append("  - " + line.replacingOccurrences(of: "\n", with: "\n    ")) }
            if found.count > 8 { lines.append("  … \(found.count - 8) more") }
        }
        let notes = checks.notes + results.injectorNotes
        if !notes.isEmpty {
            lines.append("notes:")
            for note in notes { lines.append("  - " + note) }
        }
        lines.append("faults:")
        for fault in results.faults { lines.append("  - \(fault.kind.rawValue): \(fault.detail)") }
        if settings.selfCheck {
            lines.append(
                checks.violationCount > 0
                    ? "self-check: the checkers caught the unfenced store (violations expected)"
                    : "self-check FAILED: the unfenced store produced no violation the checkers saw")
        }
        lines.append("violations: \(checks.violationCount)")
        return lines.joined(separator: "\n")
    }
}

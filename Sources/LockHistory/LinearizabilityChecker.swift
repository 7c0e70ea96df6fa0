import PadlockTypes

/// Decides whether a history of lock operations is linearizable against the lock model (docs/history.md).
///
/// The history is split into conflict groups (keys that overlap, transitively); each group is searched on
/// its own with Wing & Gong's algorithm and Lowe's memoization, within `maxSteps` steps. A group that needs
/// more is reported `inconclusive`, never given a verdict it has not proved.
package struct LinearizabilityChecker: Sendable {
    /// The default bound on one group's search: well under a second and tens of megabytes in a release
    /// build, while a linearizable group of a few thousand operations from eight processes needs thousands.
    package static let maxStepsDefault = 1_000_000

    /// Steps one group's search may take (one model step tried, or one undo) before it gives up.
    package var maxSteps: Int

    /// A checker whose searches stop after `maxSteps` steps per conflict group.
    package init(maxSteps: Int = LinearizabilityChecker.maxStepsDefault) {
        precondition(maxSteps > 0, "maxSteps must be positive, not \(maxSteps)")
        self.maxSteps = maxSteps
    }

    /// Checks `history`, whose operation ids must be unique. The report lists every group in the byte order
    /// of its first key, so the same history always gives the same report.
    package func check(_ history: [LockOperation]) -> LinearizabilityReport {
        Self.requireUniqueIDs(history)
        var groups: [LinearizabilityReport.Group] = []
        var violations: [Violation] = []
        for group in ConflictGroups.partition(history) {
            let context = GroupContext(group: group, history: history)
            let outcome = LinearizationSearch(context: context, maxSteps: maxSteps).run()
            let (verdict, steps): (LinearizabilityReport.Verdict, Int)
            switch outcome {
            case let .linearizable(count): (verdict, steps) = (.linearizable, count)
            case let .inconclusive(count): (verdict, steps) = (.inconclusive, count)
            case let .violation(deadEnd, count):
                (verdict, steps) = (.violation, count)
                violations.append(Violation(context: context, deadEnd: deadEnd))
            }
            groups.append(
                LinearizabilityReport.Group(
                    keys: group.keys, operationCount: group.operations.count, verdict: verdict, steps: steps))
        }
        return LinearizabilityReport(groups: groups, violations: violations)
    }

    static func requireUniqueIDs(_ history: [LockOperation]) {
        var seen: Set<Int> = []
        for operation in history {
            precondition(
                seen.insert(operation.id).inserted, "operation id \(operation.id) appears twice in the history")
        }
    }
}

/// What the checker found: a verdict per conflict group and an explanation of every violation.
package struct LinearizabilityReport: Hashable, Sendable, CustomStringConvertible {
    /// The verdict on a group, or on the whole history.
    package enum Verdict: Hashable, Sendable, CustomStringConvertible {
        /// A linearization exists.
        case linearizable
        /// No linearization exists.
        case violation
        /// The search ran out of steps before deciding.
        case inconclusive

        /// The verdict's name.
        package var description: String {
            switch self {
            case .linearizable: "linearizable"
            case .violation: "violation"
            case .inconclusive: "inconclusive"
            }
        }
    }

    /// One conflict group and its verdict.
    package struct Group: Hashable, Sendable {
        /// The group's keys, in byte order.
        package var keys: [LockKey]
        /// The operations checked in this group (those answered `failed` are left out; `endSession` is
        /// counted in every group that mentions its session).
        package var operationCount: Int
        /// The group's verdict.
        package var verdict: Verdict
        /// The search steps the verdict took.
        package var steps: Int
    }

    /// Every conflict group, in the byte order of its first key.
    package var groups: [Group]
    /// One explanation per group found in violation, in the same order.
    package var violations: [Violation]

    /// `violation` if any group is in violation, else `inconclusive` if any group is, else `linearizable`.
    package var verdict: Verdict {
        if groups.contains(where: { $0.verdict == .violation }) { return .violation }
        if groups.contains(where: { $0.verdict == .inconclusive }) { return .inconclusive }
        return .linearizable
    }

    /// The overall verdict, a line per undecided group, and every violation.
    package var description: String {
        var lines = ["\(verdict): \(groups.count) conflict groups"]
        for group in groups where group.verdict == .inconclusive {
            lines.append(
                "inconclusive after \(group.steps) steps: \(group.keys.map(\.string).joined(separator: ", ")) "
                    + "(\(group.operationCount) operations)")
        }
        lines += violations.map(\.description)
        return lines.joined(separator: "\n")
    }
}

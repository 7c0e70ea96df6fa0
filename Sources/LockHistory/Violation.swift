import PadlockTypes

/// Why one conflict group's history is not linearizable, in terms a person debugging a seed can follow.
///
/// The search's deepest point: the longest prefix it could linearize, the locks the model holds after that
/// prefix, and every operation that real-time order allowed next, each with the reason the model refuses it.
package struct Violation: Hashable, Sendable, CustomStringConvertible {
    /// How many prefix operations `description` shows (the last ones).
    package static let describedPrefixCountMax = 12

    /// The group's keys, in byte order.
    package var keys: [LockKey]
    /// The operations the group holds.
    package var operationCount: Int
    /// The longest linearizable prefix found, in linearization order. It may include operations of unknown
    /// outcome that the search chose to let take effect.
    package var linearizedPrefix: [LockOperation]
    /// The model's locks after that prefix, in session and key order.
    package var heldAfterPrefix: [HeldLock]
    /// The completed operations that could go next by real-time order, and why the model refuses each.
    package var unplaceable: [UnplaceableOperation]

    init(context: GroupContext, deadEnd: DeadEnd) {
        keys = context.keys
        operationCount = context.sourceOperations.count
        linearizedPrefix = deadEnd.prefix.map { context.sourceOperations[$0] }
        heldAfterPrefix = context.heldLocks(deadEnd.state)
        unplaceable = deadEnd.candidates.map { candidate in
            let reason: String
            switch context.model.step(deadEnd.state, context.operations[candidate]) {
            case let .rejected(rejection): reason = context.explain(rejection)
            case .next: reason = "every way on from placing it was already explored"
            }
            return UnplaceableOperation(operation: context.sourceOperations[candidate], reason: reason)
        }
    }

    /// Several lines: the keys, the end of the prefix, the locks held, and the operations that cannot go next.
    package var description: String {
        var lines = [
            "linearizability violation on \(keys.map(\.string).joined(separator: ", ")) (\(operationCount) operations)"
        ]
        let shown = linearizedPrefix.suffix(Self.describedPrefixCountMax)
        let omitted = linearizedPrefix.count - shown.count
        lines.append(
            "  longest linearizable prefix: \(linearizedPrefix.count) operations"
                + (omitted > 0 ? ", the last \(shown.count) of them:" : (shown.isEmpty ? "" : ":")))
        lines += shown.map { "    \($0)" }
        let held = heldAfterPrefix.isEmpty ? "nothing" : heldAfterPrefix.map(\.description).joined(separator: "; ")
        lines.append("  held after it: \(held)")
        lines.append("  cannot be placed next:")
        lines += unplaceable.map { "    \($0.operation): \($0.reason)" }
        return lines.joined(separator: "\n")
    }
}

/// An operation the checker could not place next, and why.
package struct UnplaceableOperation: Hashable, Sendable {
    /// The operation, with its invoke and complete instants and its outcome.
    package var operation: LockOperation
    /// Why the lock model refuses it after the prefix, e.g. "it conflicts with session-2's exclusive lock on
    /// acme/1 (fence-4)".
    package var reason: String
}

/// A lock the model holds at some point of a linearization.
package struct HeldLock: Hashable, Sendable, CustomStringConvertible {
    /// The holding session.
    package var session: SessionID
    /// The key held.
    package var key: LockKey
    /// The mode it is held in.
    package var mode: LockMode
    /// The grant's fence; `nil` when it was granted by an acquire of unknown outcome.
    package var fence: FenceToken?

    /// Words, e.g. `session-2 holds acme/1 exclusive (fence-4)`.
    package var description: String {
        "\(session) holds \(key) \(mode) (\(fence.map(\.description) ?? "unknown fence"))"
    }
}

import PadlockTypes

/// Keys that overlap one another transitively, and the operations of a history that concern them.
///
/// Locks on keys of different groups can never conflict, so the lock model restricted to one group evolves
/// independently of every other group (P-compositionality), except through `endSession`, which is copied
/// into every group that mentions its session.
struct ConflictGroup: Sendable {
    /// The group's keys, in byte order.
    var keys: [LockKey]
    /// Indices into the history, ordered by invoke instant and then by id.
    var operations: [Int]
}

enum ConflictGroups {
    /// Splits `history` into conflict groups, in the byte order of each group's first key.
    ///
    /// Operations answered `failed` change nothing and are left out; so is an `endSession` whose session no
    /// group mentions (it has nothing to release). A session is mentioned by the acquires and releases it
    /// performs and by refusals that name it as the holder.
    static func partition(_ history: [LockOperation]) -> [ConflictGroup] {
        let relevant = history.indices.filter { history[$0].outcome != .failed }
        let keys = Set(relevant.compactMap { history[$0].action.key }).sorted()
        let roots = rootsOfOverlap(keys)
        var groupOfRoot: [Int: Int] = [:]
        var groups: [ConflictGroup] = []
        for (index, key) in keys.enumerated() {
            let root = roots[index]
            if let group = groupOfRoot[root] {
                groups[group].keys.append(key)
            } else {
                groupOfRoot[root] = groups.count
                groups.append(ConflictGroup(keys: [key], operations: []))
            }
        }
        let groupOfKey = Dictionary(uniqueKeysWithValues: keys.indices.map { (keys[$0], groupOfRoot[roots[$0]]!) })
        var groupsOfSession: [SessionID: Set<Int>] = [:]
        for index in relevant {
            let operation = history[index]
            guard let key = operation.action.key, let group = groupOfKey[key] else { continue }
            groups[group].operations.append(index)
            for session in mentionedSessions(operation) { groupsOfSession[session, default: []].insert(group) }
        }
        for index in relevant {
            guard case let .endSession(session) = history[index].action else { continue }
            for group in (groupsOfSession[session] ?? []).sorted() { groups[group].operations.append(index) }
        }
        for group in groups.indices {
            groups[group].operations.sort {
                (history[$0].invoke, history[$0].id) < (history[$1].invoke, history[$1].id)
            }
        }
        return groups
    }

    /// The sessions whose locks an operation on a key says something about.
    private static func mentionedSessions(_ operation: LockOperation) -> [SessionID] {
        var sessions: [SessionID] = []
        if let session = operation.action.session { sessions.append(session) }
        if case let .refused(holder?) = operation.outcome { sessions.append(holder.session) }
        return sessions
    }

    /// For each of the sorted, distinct `keys`, a representative of its overlap class (union-find).
    ///
    /// Two keys overlap when one is an ancestor of (or equal to) the other, so it is enough to join each key
    /// with every strict ancestor that is also in the list: O(keys × depth) dictionary look-ups.
    private static func rootsOfOverlap(_ keys: [LockKey]) -> [Int] {
        let indexOfKey = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1.string, $0) })
        var parent = Array(keys.indices)
        func root(_ index: Int) -> Int {
            var current = index
            while parent[current] != current {
                parent[current] = parent[parent[current]]
                current = parent[current]
            }
            return current
        }
        for (index, key) in keys.enumerated() {
            let utf8 = key.string.utf8
            for position in utf8.indices where utf8[position] == UInt8(ascii: "/") {
                guard let ancestor = indexOfKey[String(key.string[..<position])] else { continue }
                let (a, b) = (root(index), root(ancestor))
                if a != b { parent[max(a, b)] = min(a, b) }
            }
        }
        return keys.indices.map(root)
    }
}

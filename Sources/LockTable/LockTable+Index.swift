import PadlockTypes

/// Counts of what lies strictly below one key prefix, so conflicts are found in O(depth) without scanning.
struct PrefixNode: Sendable {
    var exclusiveBelow: Int32 = 0
    var sharedBelow: Int32 = 0
    var waitersBelow: Int32 = 0
    var delaysBelow: Int32 = 0
    /// Next segment → number of items (grants, waiters, delays) at or below it. Used only to walk a subtree
    /// when a broad key must name what it conflicts with.
    var children: [String: Int32] = [:]

    func holdsConflicting(with mode: LockMode) -> Bool {
        exclusiveBelow > 0 || (mode == .exclusive && sharedBelow > 0)
    }
}

/// What the prefix index counts.
enum IndexItem {
    case exclusive, shared, waiter, delay

    init(_ mode: LockMode) { self = mode == .exclusive ? .exclusive : .shared }
}

extension LockTable {
    /// Calls `body` with each strict prefix of `key`, shortest first, and the segment that follows it.
    static func forEachPrefix(of key: String, _ body: (String, Substring) -> Void) {
        let utf8 = key.utf8
        let slash = UInt8(ascii: "/")
        var separator = utf8.firstIndex(of: slash)
        while let current = separator {
            let childStart = utf8.index(after: current)
            let next = utf8[childStart...].firstIndex(of: slash)
            body(String(key[..<current]), key[childStart..<(next ?? key.endIndex)])
            separator = next
        }
    }

    mutating func indexInsert(_ key: String, _ item: IndexItem) {
        Self.forEachPrefix(of: key) { prefix, child in
            prefixes[prefix, default: PrefixNode()].insert(item, child: child)
        }
    }

    mutating func indexRemove(_ key: String, _ item: IndexItem) {
        Self.forEachPrefix(of: key) { prefix, child in
            guard var node = prefixes.removeValue(forKey: prefix) else {
                preconditionFailure("prefix \(prefix) of \(key) is missing from the index")
            }
            node.remove(item, child: child)
            if !node.children.isEmpty { prefixes[prefix] = node }
        }
    }

    /// The children of `prefix` in byte order, for deterministic subtree walks.
    func sortedChildren(of prefix: String) -> [String] {
        guard let node = prefixes[prefix] else { return [] }
        return node.children.keys.sorted { $0.precedesInBytes($1) }
    }

    /// A valid key for a string the table built from valid keys (a stored key or one of its prefixes).
    static func knownKey(_ string: String) -> LockKey {
        guard let key = try? LockKey(string) else { preconditionFailure("the table built an invalid key \(string)") }
        return key
    }
}

extension PrefixNode {
    mutating func insert(_ item: IndexItem, child: Substring) {
        switch item {
        case .exclusive: exclusiveBelow += 1
        case .shared: sharedBelow += 1
        case .waiter: waitersBelow += 1
        case .delay: delaysBelow += 1
        }
        children[String(child), default: 0] += 1
    }

    mutating func remove(_ item: IndexItem, child: Substring) {
        switch item {
        case .exclusive: exclusiveBelow -= 1
        case .shared: sharedBelow -= 1
        case .waiter: waitersBelow -= 1
        case .delay: delaysBelow -= 1
        }
        let name = String(child)
        guard let count = children[name], count > 0 else {
            preconditionFailure("child \(name) is missing from a prefix node")
        }
        children[name] = count == 1 ? nil : count - 1
        precondition(
            exclusiveBelow >= 0 && sharedBelow >= 0 && waitersBelow >= 0 && delaysBelow >= 0,
            "prefix counts went negative: \(exclusiveBelow) \(sharedBelow) \(waitersBelow) \(delaysBelow)")
    }
}

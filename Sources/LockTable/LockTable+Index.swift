import PadlockTypes

/// Counts of what lies strictly below one key prefix, so conflicts are detected in O(depth) without scanning.
///
/// There is deliberately no list of children: it would cost about 40 bytes per held lock. Naming *which*
/// descendant conflicts (for an answer) scans instead; see `firstConflictingDescendant`.
struct PrefixNode: Sendable {
    var exclusiveBelow: Int32 = 0
    var sharedBelow: Int32 = 0
    var waitersBelow: Int32 = 0
    var delaysBelow: Int32 = 0

    var isEmpty: Bool { exclusiveBelow == 0 && sharedBelow == 0 && waitersBelow == 0 && delaysBelow == 0 }

    func holdsConflicting(with mode: LockMode) -> Bool {
        exclusiveBelow > 0 || (mode == .exclusive && sharedBelow > 0)
    }

    mutating func add(_ item: IndexItem, _ delta: Int32) {
        switch item {
        case .exclusive: exclusiveBelow += delta
        case .shared: sharedBelow += delta
        case .waiter: waitersBelow += delta
        case .delay: delaysBelow += delta
        }
        precondition(
            exclusiveBelow >= 0 && sharedBelow >= 0 && waitersBelow >= 0 && delaysBelow >= 0,
            "prefix counts went negative: \(exclusiveBelow) \(sharedBelow) \(waitersBelow) \(delaysBelow)")
    }
}

/// What the prefix index counts.
enum IndexItem {
    case exclusive, shared, waiter, delay

    init(_ mode: LockMode) { self = mode == .exclusive ? .exclusive : .shared }
}

extension LockTable {
    /// Calls `body` with each strict prefix of `key`, shortest first.
    static func forEachPrefix(of key: String, _ body: (String) -> Void) {
        let utf8 = key.utf8
        var position = utf8.startIndex
        while let separator = utf8[position...].firstIndex(of: UInt8(ascii: "/")) {
            body(String(key[..<separator]))
            position = utf8.index(after: separator)
        }
    }

    mutating func indexInsert(_ key: String, _ item: IndexItem) {
        Self.forEachPrefix(of: key) { prefix in prefixes[prefix, default: PrefixNode()].add(item, 1) }
    }

    mutating func indexRemove(_ key: String, _ item: IndexItem) {
        Self.forEachPrefix(of: key) { prefix in
            guard var node = prefixes.removeValue(forKey: prefix) else {
                preconditionFailure("prefix \(prefix) of \(key) is missing from the index")
            }
            node.add(item, -1)
            if !node.isEmpty { prefixes[prefix] = node }
        }
    }

    /// A valid key for a string the table built from valid keys (a stored key or one of its prefixes).
    static func knownKey(_ string: String) -> LockKey {
        guard let key = try? LockKey(string) else { preconditionFailure("the table built an invalid key \(string)") }
        return key
    }

    /// Whether `key` lies strictly inside `ancestor`'s subtree.
    static func isStrictDescendant(_ key: String, of ancestor: String) -> Bool {
        let keyBytes = key.utf8
        let ancestorBytes = ancestor.utf8
        guard keyBytes.count > ancestorBytes.count, keyBytes.starts(with: ancestorBytes) else { return false }
        return keyBytes[keyBytes.index(keyBytes.startIndex, offsetBy: ancestorBytes.count)] == UInt8(ascii: "/")
    }

    /// Segment order: segments compared one by one, bytewise. Equivalent to byte order with `/` ranked
    /// below every other byte, which is how it is computed.
    static func precedesInSegmentOrder(_ lhs: String, _ rhs: String) -> Bool {
        let slash = UInt8(ascii: "/")
        return lhs.utf8.lexicographicallyPrecedes(rhs.utf8) { left, right in
            if left == right { return false }
            if left == slash { return true }
            if right == slash { return false }
            return left < right
        }
    }
}

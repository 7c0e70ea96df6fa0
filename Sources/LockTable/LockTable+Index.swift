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
    var holdsBelow: Int32 = 0

    var isEmpty: Bool {
        exclusiveBelow == 0 && sharedBelow == 0 && waitersBelow == 0 && delaysBelow == 0 && holdsBelow == 0
    }

    func holdsConflicting(with mode: LockMode) -> Bool {
        exclusiveBelow > 0 || (mode == .exclusive && sharedBelow > 0)
    }

    mutating func add(_ item: IndexItem, _ delta: Int32) {
        switch item {
        case .exclusive: exclusiveBelow += delta
        case .shared: sharedBelow += delta
        case .waiter: waitersBelow += delta
        case .delay: delaysBelow += delta
        case .hold: holdsBelow += delta
        }
        precondition(
            exclusiveBelow >= 0 && sharedBelow >= 0 && waitersBelow >= 0 && delaysBelow >= 0 && holdsBelow >= 0,
            "prefix counts went negative: \(exclusiveBelow) \(sharedBelow) \(waitersBelow) \(delaysBelow) "
                + "\(holdsBelow)")
    }
}

/// What the prefix index counts.
enum IndexItem {
    case exclusive, shared, waiter, delay, hold

    init(_ mode: LockMode) { self = mode == .exclusive ? .exclusive : .shared }
}

extension String {
    fileprivate var isASCII: Bool { utf8.allSatisfy { $0 < 0x80 } }
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
    ///
    /// Decided exactly as the prefix index counts: by comparing `ancestor` with each of `key`'s strict prefixes
    /// as `String`s (Unicode canonical equivalence, like every dictionary in the table), never byte by byte,
    /// so a scan can never disagree with the counts that sent the table looking.
    static func isStrictDescendant(_ key: String, of ancestor: String) -> Bool {
        guard key.utf8.count > ancestor.utf8.count || !key.isASCII || !ancestor.isASCII else { return false }
        var found = false
        forEachPrefix(of: key) { prefix in found = found || prefix == ancestor }
        return found
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

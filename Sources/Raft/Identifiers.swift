/// A Raft term: a logical clock that increases with every election.
///
/// Terms order leaders in time; a node that sees a higher term learns that it is stale.
package struct Term: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The underlying counter.
    package var rawValue: UInt64

    /// Wraps a raw counter value.
    package init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Wraps a raw counter value.
    package init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// The term every node starts in before any election.
    package static let zero = Term(0)

    /// Every term a node accepts, from a peer or from its own disk, is below this: 2^62. No election can
    /// get near it (a billion elections a second would take 146 years), so a term at or above it can only
    /// come from a forged or corrupted message, which is refused as malformed. Staying below it also keeps
    /// every `next` on a term far from overflowing. docs/raft.md ("Untrusted input") says where it is checked.
    package static let limit: UInt64 = 1 << 62

    /// Whether the term is below `limit`.
    package var isWithinLimit: Bool { rawValue < Self.limit }

    /// The term after this one. Terms stay below `limit` (see there), so this never overflows.
    package var next: Term { Term(rawValue + 1) }

    /// Orders terms by their counter.
    package static func < (lhs: Term, rhs: Term) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The counter in decimal.
    package var description: String { String(rawValue) }
}

/// A position in the replicated log; the first entry has index 1, and index 0 means "before the log".
package struct LogIndex: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The underlying position.
    package var rawValue: UInt64

    /// Wraps a raw position.
    package init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Wraps a raw position.
    package init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// The position before the first entry.
    package static let zero = LogIndex(0)

    /// Every index a node accepts is below this: 2^62, far beyond any log. An index at or above it is refused
    /// as malformed, so `next`, `+` and `-` on accepted indexes never overflow, and every difference of two of
    /// them fits an `Int`.
    package static let limit: UInt64 = 1 << 62

    /// Whether the index is below `limit`.
    package var isWithinLimit: Bool { rawValue < Self.limit }

    /// The position after this one.
    package var next: LogIndex { LogIndex(rawValue + 1) }

    /// The position before this one; `zero` stays `zero`.
    package var previous: LogIndex { LogIndex(rawValue == 0 ? 0 : rawValue - 1) }

    /// Moves a position forward by `count` entries.
    package static func + (lhs: LogIndex, count: Int) -> LogIndex {
        precondition(count >= 0, "LogIndex \(lhs) + \(count): negative offsets are a programmer error")
        return LogIndex(lhs.rawValue + UInt64(count))
    }

    /// The number of positions from `rhs` up to `lhs`; `lhs` must not be below `rhs`.
    package static func - (lhs: LogIndex, rhs: LogIndex) -> Int {
        precondition(lhs >= rhs, "LogIndex \(lhs) - \(rhs): the result would be negative")
        return Int(lhs.rawValue - rhs.rawValue)
    }

    /// Orders positions.
    package static func < (lhs: LogIndex, rhs: LogIndex) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The position in decimal.
    package var description: String { String(rawValue) }
}

/// The identity of one node in the cluster. Zero is reserved for "no node".
package struct NodeID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The underlying identifier.
    package var rawValue: UInt64

    /// Wraps a raw identifier.
    package init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Wraps a raw identifier.
    package init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// Orders identifiers, which is the order used wherever nodes are listed.
    package static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The identifier in decimal.
    package var description: String { String(rawValue) }
}

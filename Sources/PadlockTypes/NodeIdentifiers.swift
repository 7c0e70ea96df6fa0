// Raft's identifiers, shared by every layer: the consensus core counts with them, the peer and client wire
// carry them, and the client reports them in `NodeStatus`, `PeerProgress`, `MemberInfo` and `AuditRecord`.
// One type per fact, so no layer converts. Raft's arithmetic and limits on them (`zero`, `limit`, `next`,
// `+`, `-`) stay `package`: the client only reads and compares them.

/// A Raft term: a logical clock that increases with every election.
///
/// Terms order leaders in time; a node that sees a higher term learns that it is stale.
public struct Term: IntegerIdentifier, Comparable, CustomStringConvertible {
    /// The underlying counter.
    public var rawValue: UInt64

    /// Wraps a raw counter value.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

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

    /// The counter in decimal.
    public var description: String { String(rawValue) }
}

/// A position in the replicated log; the first entry has index 1, and index 0 means "before the log".
public struct LogIndex: IntegerIdentifier, Comparable, CustomStringConvertible {
    /// The underlying position.
    public var rawValue: UInt64

    /// Wraps a raw position.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

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

    /// The position in decimal.
    public var description: String { String(rawValue) }
}

/// The identity of one node in the cluster. Zero is reserved for "no node".
public struct NodeID: IntegerIdentifier, Comparable, CustomStringConvertible {
    /// The underlying identifier.
    public var rawValue: UInt64

    /// Wraps a raw identifier.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The identifier in decimal.
    public var description: String { String(rawValue) }
}

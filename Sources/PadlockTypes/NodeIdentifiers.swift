// Raft's identifiers, shared by every layer: the consensus core counts with them, the peer and client wire
// carry them, and the client reports them in `NodeStatus`, `PeerProgress`, `MemberInfo` and `AuditRecord`.
// One type per fact, so no layer converts. Raft's arithmetic and limits on them (`zero`, `limit`, `next`,
// `+`, `-`) stay `package`: the client only reads and compares them.

/// Raft's counters, ``Term`` and ``LogIndex``, with the arithmetic Raft does on both.
///
/// Every term and index a node accepts, from a peer or from its own disk, is below ``limit``: 2^62. No election
/// or log gets near it (a billion elections a second would take 146 years), so a value at or above it can
/// only come from a forged or corrupted message, which is refused as malformed. Staying below it keeps `next`,
/// `+` and `-` far from overflowing, and every difference of two indexes fits an `Int`. docs/raft.md
/// ("Untrusted input") says where it is checked.
package protocol RaftCounter: IntegerIdentifier where RawValue == UInt64 {}

extension RaftCounter {
    /// Zero: the term every node starts in before any election, the position before the first entry.
    package static var zero: Self { Self(0) }

    /// The bound every accepted term and index stays below: 2^62.
    package static var limit: UInt64 { 1 << 62 }

    /// Whether the value is below ``limit``.
    package var isWithinLimit: Bool { rawValue < Self.limit }

    /// The value after this one; below ``limit``, this never overflows.
    package var next: Self { Self(rawValue + 1) }
}

/// A Raft term: a logical clock that increases with every election.
///
/// Terms order leaders in time; a node that sees a higher term learns that it is stale.
public struct Term: RaftCounter, Comparable, CustomStringConvertible {
    /// The underlying counter.
    public var rawValue: UInt64

    /// Wraps a raw counter value.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The counter in decimal.
    public var description: String { String(rawValue) }
}

/// A position in the replicated log; the first entry has index 1, and index 0 means "before the log".
public struct LogIndex: RaftCounter, Comparable, CustomStringConvertible {
    /// The underlying position.
    public var rawValue: UInt64

    /// Wraps a raw position.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

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

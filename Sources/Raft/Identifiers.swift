/// A Raft term: a logical clock that increases with every election.
///
/// Terms order leaders in time; a node that sees a higher term learns that it is stale.
public struct Term: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The underlying counter.
    public var rawValue: UInt64

    /// Wraps a raw counter value.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Wraps a raw counter value.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// The term every node starts in before any election.
    public static let zero = Term(0)

    /// The term after this one.
    public var next: Term { Term(rawValue + 1) }

    /// Orders terms by their counter.
    public static func < (lhs: Term, rhs: Term) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The counter in decimal.
    public var description: String { String(rawValue) }
}

/// A position in the replicated log; the first entry has index 1, and index 0 means "before the log".
public struct LogIndex: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The underlying position.
    public var rawValue: UInt64

    /// Wraps a raw position.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Wraps a raw position.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// The position before the first entry.
    public static let zero = LogIndex(0)

    /// The position after this one.
    public var next: LogIndex { LogIndex(rawValue + 1) }

    /// The position before this one; `zero` stays `zero`.
    public var previous: LogIndex { LogIndex(rawValue == 0 ? 0 : rawValue - 1) }

    /// Moves a position forward by `count` entries.
    public static func + (lhs: LogIndex, count: Int) -> LogIndex {
        precondition(count >= 0, "LogIndex \(lhs) + \(count): negative offsets are a programmer error")
        return LogIndex(lhs.rawValue + UInt64(count))
    }

    /// The number of positions from `rhs` up to `lhs`; `lhs` must not be below `rhs`.
    public static func - (lhs: LogIndex, rhs: LogIndex) -> Int {
        precondition(lhs >= rhs, "LogIndex \(lhs) - \(rhs): the result would be negative")
        return Int(lhs.rawValue - rhs.rawValue)
    }

    /// Orders positions.
    public static func < (lhs: LogIndex, rhs: LogIndex) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The position in decimal.
    public var description: String { String(rawValue) }
}

/// The identity of one node in the cluster. Zero is reserved for "no node".
public struct NodeID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The underlying identifier.
    public var rawValue: UInt64

    /// Wraps a raw identifier.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Wraps a raw identifier.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// Orders identifiers, which is the order used wherever nodes are listed.
    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The identifier in decimal.
    public var description: String { String(rawValue) }
}

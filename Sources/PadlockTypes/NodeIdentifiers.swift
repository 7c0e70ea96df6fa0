// The Raft module keeps its own `NodeID`, `Term` and `LogIndex` (decision 0004), and neither Wire nor the
// client may import it. Status reports and audit records carry those numbers in these wrapper types, named with
// a `Wire` prefix so that a module importing both Raft and PadlockTypes never sees two types of the same name.
// `Node` converts at its boundary.

/// A node's identity as carried on the wire; the same number as Raft's `NodeID`.
public struct WireNodeID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The identifier as an integer.
    public var rawValue: UInt64

    /// Wraps `rawValue`.
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// Wraps `rawValue`.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// Orders identifiers by their number.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    /// The identifier as `node-N`.
    public var description: String { "node-\(rawValue)" }
}

/// A Raft term as carried on the wire; the same number as Raft's `Term`.
public struct WireTerm: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The term as an integer.
    public var rawValue: UInt64

    /// Wraps `rawValue`.
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// Wraps `rawValue`.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// Orders terms by their number.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    /// The term as `term-N`.
    public var description: String { "term-\(rawValue)" }
}

/// A Raft log index as carried on the wire; the same number as Raft's `LogIndex`.
public struct WireLogIndex: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The index as an integer.
    public var rawValue: UInt64

    /// Wraps `rawValue`.
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// Wraps `rawValue`.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// Orders indexes by their number.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    /// The index as `index-N`.
    public var description: String { "index-\(rawValue)" }
}

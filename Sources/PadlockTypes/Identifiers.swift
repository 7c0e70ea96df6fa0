/// The identity of one client session, assigned by the cluster when the session is opened.
///
/// A session owns locks and is kept alive by renewals; see `docs/GLOSSARY.md`.
public struct SessionID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "session-\(rawValue)" }
}

/// A grant's fencing token: the Raft log index of the entry that granted it.
///
/// For any key, fences of successive holders strictly increase, so a resource that rejects writes carrying a
/// fence lower than the highest it has seen can never interleave two holders' writes.
public struct FenceToken: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "fence-\(rawValue)" }
}

/// Identifies one client request for exactly-once application: the session that sent it and the session's
/// own sequence number, which a retry reuses unchanged.
public struct RequestID: Hashable, Sendable, CustomStringConvertible {
    public var session: SessionID
    public var sequence: UInt64

    public init(session: SessionID, sequence: UInt64) {
        self.session = session
        self.sequence = sequence
    }

    public var description: String { "\(session.rawValue):\(sequence)" }
}

/// A point in time on the leader's clock, in milliseconds since the Unix epoch.
///
/// Timestamps only enter the state machine inside log entries (the leader stamps each entry, kept
/// monotonic); the state machine itself never reads a clock.
public struct Timestamp: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(millisecondsSinceEpoch: UInt64) { self.rawValue = millisecondsSinceEpoch }

    public var millisecondsSinceEpoch: UInt64 { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// This timestamp moved later by `milliseconds`, saturating instead of overflowing.
    public func adding(milliseconds: UInt64) -> Timestamp {
        let (sum, overflow) = rawValue.addingReportingOverflow(milliseconds)
        return Timestamp(rawValue: overflow ? UInt64.max : sum)
    }

    public var description: String { "t\(rawValue)ms" }
}

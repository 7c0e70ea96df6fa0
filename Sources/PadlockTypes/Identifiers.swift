/// The identity of one client session, assigned by the cluster when the session is opened.
///
/// A session owns locks and is kept alive by renewals; see `docs/GLOSSARY.md`.
public struct SessionID: IntegerIdentifier, Comparable, CustomStringConvertible {
    /// The identifier as an integer.
    public var rawValue: UInt64

    /// Wraps `rawValue`.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The identifier as `session-N`.
    public var description: String { "session-\(rawValue)" }
}

/// A grant's fencing token: the Raft log index of the entry that granted it.
///
/// For any key, fences of successive holders strictly increase, so a resource that rejects writes carrying a
/// fence lower than the highest it has seen can never interleave two holders' writes.
public struct FenceToken: IntegerIdentifier, Comparable, CustomStringConvertible {
    /// The fence as an integer: store it in the record's fence column.
    public var rawValue: UInt64

    /// Wraps `rawValue`.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The fence as `fence-N`.
    public var description: String { "fence-\(rawValue)" }
}

/// Identifies one client request for exactly-once application: the session that sent it and the session's
/// own sequence number, which a retry reuses unchanged.
public struct RequestID: Hashable, Sendable, CustomStringConvertible {
    /// The session that sent the request.
    public var session: SessionID
    /// The session's own number for the request.
    public var sequence: UInt64

    /// Creates a request id.
    public init(session: SessionID, sequence: UInt64) {
        self.session = session
        self.sequence = sequence
    }

    /// The id as `session:sequence`.
    public var description: String { "\(session.rawValue):\(sequence)" }
}

/// A point in time on the leader's clock, in milliseconds since the Unix epoch.
///
/// Timestamps only enter the state machine inside log entries (the leader stamps each entry, kept
/// monotonic); the state machine itself never reads a clock.
public struct Timestamp: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since the Unix epoch.
    public var rawValue: UInt64

    /// Wraps `rawValue`, milliseconds since the Unix epoch.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The time `millisecondsSinceEpoch` after the Unix epoch.
    public init(millisecondsSinceEpoch: UInt64) { self.rawValue = millisecondsSinceEpoch }

    /// Milliseconds since the Unix epoch (the client library's `date` gives a `Date`).
    public var millisecondsSinceEpoch: UInt64 { rawValue }

    /// Orders times.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// This timestamp moved later by `milliseconds`, saturating instead of overflowing.
    public func adding(milliseconds: UInt64) -> Timestamp {
        let (sum, overflow) = rawValue.addingReportingOverflow(milliseconds)
        return Timestamp(rawValue: overflow ? UInt64.max : sum)
    }

    /// The time as `tNms`, milliseconds since the epoch; for people, format its `Date` instead.
    public var description: String { "t\(rawValue)ms" }
}

import PadlockTypes

// The wire's own identifiers. `NodeID`, `Term` and `LogIndex` are PadlockTypes' (the same types Raft counts
// with), since status reports and audit records the client returns carry them.

/// Identifies a cluster, so that a node or client configured for another cluster is refused at the handshake.
package struct ClusterID: IntegerIdentifier, CustomStringConvertible {
    /// The identifier as an integer.
    package var rawValue: UInt64

    /// Wraps `rawValue`.
    package init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The identifier as `cluster-N`.
    package var description: String { "cluster-\(rawValue)" }
}

/// The client's own number for one request on a connection, echoed in the response so that a client can
/// pipeline requests and match answers to them.
///
/// It is not the exactly-once identity: that is ``PadlockTypes/RequestID`` (session, sequence), which a retry
/// on another connection reuses while the correlation id is new.
package struct CorrelationID: IntegerIdentifier, Comparable, CustomStringConvertible {
    /// The identifier as an integer.
    package var rawValue: UInt64

    /// Wraps `rawValue`.
    package init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The identifier as `#N`.
    package var description: String { "#\(rawValue)" }
}

/// The version of the wire protocol a handshake speaks.
package struct ProtocolVersion: IntegerIdentifier, Comparable, CustomStringConvertible {
    /// The version this build speaks; see `docs/wire.md` for when it changes.
    package static let current = ProtocolVersion(3)
    /// The oldest version a server still accepts: a v1 client works as before and is sent no events.
    package static let oldestSupported = ProtocolVersion(1)
    /// The version that added events: `subscribe`, `unsubscribe`, `takeover`, `subscribed` and `ClientEvent`.
    package static let events = ProtocolVersion(2)
    /// The version that added holds, roles, all-or-nothing acquires and mode changes (`docs/holds.md`).
    package static let holds = ProtocolVersion(3)
    /// Every version a server accepts.
    package static var supported: ClosedRange<ProtocolVersion> { oldestSupported...current }

    /// The version as an integer.
    package var rawValue: UInt16

    /// Wraps `rawValue`.
    package init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The version as `vN`.
    package var description: String { "v\(rawValue)" }
}

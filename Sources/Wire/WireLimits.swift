import PadlockTypes

/// Bounds that the wire format itself enforces, on top of ``PadlockTypes/InputLimits``.
///
/// Every variable-length field has one, so a decoder never holds more than these bounds allow whatever a
/// peer sends. A frame that breaks one is a decode error and closes the connection.
package enum WireLimits {
    /// Default largest frame payload, in bytes; the largest possible message fits well inside it.
    package static let framePayloadByteCountMax = 4 * 1024 * 1024
    /// Longest credentials blob in a handshake, in bytes.
    package static let credentialsByteCountMax = 4096
    /// Longest human-readable message in a refusal or failure, in UTF-8 bytes.
    package static let messageByteCountMax = 1024
    /// Longest node address in a leader hint, such as `10.0.0.7:7401`, in UTF-8 bytes.
    package static let addressByteCountMax = 256
    /// Most locks or audit records one page may carry.
    package static let pageSizeMax = 500
    /// Most holders and most waiters one inspection may carry, and most holders one force-unlock may report.
    package static let inspectionEntriesMax = 1000
    /// Most holds one inspection may carry (protocol v3). A hold takes at most about 7 KiB (its reason, 16
    /// exempt roles and 64 editable fields at their bounds), so a full inspection stays inside the default
    /// frame; the node sends the first ones in key order (ancestors, the key, then descendants).
    package static let inspectionHoldsMax = 100
    /// Bytes a server lets one page of audit records take: with a hold each (about 8 KiB at the bounds), 500
    /// records could pass the default frame, so such a page ends early and `next` resumes after it.
    package static let pageByteCountBudget = 3 * 1024 * 1024
    /// Most conflicting holders one `held` failure names (the rest are counted as cut, not listed).
    package static let heldHoldersMax = 16
    /// Most voters, most learners and most peers one status report may carry.
    package static let clusterMembersMax = 16
    /// Longest `traceparent` a request may carry, in bytes: version 00 takes 55, later versions may add fields.
    package static let traceparentByteCountMax = 128
    /// Longest `tracestate` a request may carry, in bytes (the W3C asks carriers to pass on at least 512).
    package static let tracestateByteCountMax = 512
    /// Most sessions one `renewSessions` request may name (and its answer carry). A renewal's answer is a grant
    /// or a short failure (`sessionExpired`, `notLeader` with a hint, `permissionDenied` with a short reason),
    /// under 1.3 KiB even at the message bounds, so a full batch's answer stays inside the default frame.
    package static let renewalBatchCountMax = 2048
    /// Most sessions one `subscribe` request may name.
    package static let subscriptionSessionsMax = 2048
    /// Most keys, and most prefixes, one `subscribe` request may name (a client watching more sends several).
    package static let subscriptionKeysMax = 1000
    /// Most fences one resync event may list: far more than a session may hold (`limits.locks_per_session`).
    package static let resyncFencesMax = 100_000
}

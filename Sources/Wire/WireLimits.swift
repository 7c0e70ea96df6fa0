import PadlockTypes

/// Bounds that the wire format itself enforces, on top of ``PadlockTypes/InputLimits``.
///
/// Every variable-length field has one, so a decoder never holds more than these bounds allow whatever a
/// peer sends. A frame that breaks one is a decode error and closes the connection.
public enum WireLimits {
    /// Default largest frame payload, in bytes; the largest possible message fits well inside it.
    public static let framePayloadByteCountMax = 4 * 1024 * 1024
    /// Longest credentials blob in a handshake, in bytes.
    public static let credentialsByteCountMax = 4096
    /// Longest human-readable message in a refusal or failure, in UTF-8 bytes.
    public static let messageByteCountMax = 1024
    /// Longest node address in a leader hint, such as `10.0.0.7:7401`, in UTF-8 bytes.
    public static let addressByteCountMax = 256
    /// Most locks or audit records one page may carry.
    public static let pageSizeMax = 500
    /// Most holders and most waiters one inspection may carry, and most holders one force-unlock may report.
    public static let inspectionEntriesMax = 1000
    /// Most conflicting holders one `held` failure names (the rest are counted as cut, not listed).
    public static let heldHoldersMax = 16
    /// Most voters, most learners and most peers one status report may carry.
    public static let clusterMembersMax = 16
    /// Most sessions one `renewSessions` request may name (and its answer carry). A renewal's answer is a grant
    /// or a short failure (`sessionExpired`, `notLeader` with a hint, `permissionDenied` with a short reason),
    /// under 1.3 KiB even at the message bounds, so a full batch's answer stays inside the default frame.
    public static let renewalBatchCountMax = 2048
}

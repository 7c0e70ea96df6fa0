/// Who holds a key, as shown to a CRM user: "Locked by alice@frontend-2 since 10:02, editing phone number".
public struct Holder: Hashable, Sendable {
    /// The session holding the lock.
    public var session: SessionID
    /// The owner label the session was opened with, such as `alice@frontend-2`.
    public var owner: String
    /// Whether the lock is exclusive (editing) or shared (viewing, approving).
    public var mode: LockMode
    /// The grant's fence: send it with every write the lock protects.
    public var fence: FenceToken
    /// When the lock was granted, on the leader's clock (`sinceDate` in the client library is the same as a
    /// `Date`).
    public var since: Timestamp
    /// The free-form note given with the acquire, such as "editing phone number".
    public var note: String

    /// Creates a holder description.
    public init(session: SessionID, owner: String, mode: LockMode, fence: FenceToken, since: Timestamp, note: String) {
        self.session = session
        self.owner = owner
        self.mode = mode
        self.fence = fence
        self.since = since
        self.note = note
    }
}

/// Bounds on user-supplied values that every layer enforces the same way.
public enum InputLimits {
    /// Longest owner label, in UTF-8 bytes.
    public static let ownerByteCountMax = 256
    /// Longest note on an acquire, in UTF-8 bytes.
    public static let noteByteCountMax = 1024
    /// Longest reason on an admin action, in UTF-8 bytes.
    public static let reasonByteCountMax = 1024
    /// Shortest and longest session TTL a client may ask for, in milliseconds (2 s to 1 h).
    public static let sessionTTLMillisecondsMin: UInt64 = 2_000
    public static let sessionTTLMillisecondsMax: UInt64 = 3_600_000
    /// Longest time an acquire may wait in the queue, in milliseconds (10 minutes).
    public static let waitMillisecondsMax: UInt64 = 600_000
}

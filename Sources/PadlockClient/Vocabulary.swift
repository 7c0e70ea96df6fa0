// `import PadlockClient` is all a CRM app server needs: the shared vocabulary of PadlockTypes (keys, modes,
// fences, holders, session and request ids, and what the cluster reports: inspections, listings, fence checks,
// audit pages, node status, members) is re-exported rather than mirrored, so a value read from the cluster is
// the same type everywhere. The wire codec (requests, responses, frames, the handshake) is not: the client
// imports Wire for itself, and Wire's declarations are `package`, out of reach of other packages.
@_exported import PadlockTypes
import Wire

/// Who holds and who waits for a key and everything overlapping it, as ``PadlockClient/inspect(_:)`` reports it.
public typealias Inspection = KeyInspection

/// How safe it is to keep using a lock's fence, computed by the client on its own monotonic clock.
///
/// The client never waits for the cluster to learn that a lock lapsed: it keeps a conservative deadline per
/// session (see `docs/client.md`, "Lease states") and reports the state against it.
public enum LeaseState: Sendable, Hashable, CustomStringConvertible {
    /// A recent renewal was acknowledged; the lock is held well before its conservative deadline.
    case safe
    /// No renewal has been acknowledged for a while and the deadline is near: finish or pause writes.
    case atRisk
    /// The deadline passed or the cluster said the session ended: the lock may be held by someone else now.
    /// Stop using its fence. Terminal.
    case lost
    /// The lock was released by its holder (``Lock/release()``, `withLock` or ``PadlockClient/close()``).
    /// Terminal.
    case released

    /// Whether no later state can follow.
    public var isTerminal: Bool { self == .lost || self == .released }

    /// The state's name.
    public var description: String {
        switch self {
        case .safe: "safe"
        case .atRisk: "atRisk"
        case .lost: "lost"
        case .released: "released"
        }
    }
}

/// What became of a mutating request whose outcome the caller did not learn, as ``PadlockClient/resolve(_:)``
/// reports it.
public enum Resolution: Sendable, Hashable {
    /// No effect remains and none will appear: the request was never applied (the cluster has now recorded it
    /// as abandoned, so it never will be), or it was a queued acquire that the library withdrew before it was
    /// granted. Send it again as a new call if it is still wanted.
    case notApplied
    /// The acquire was granted after its caller had given up; the library released the lock again, so nothing
    /// is held. The holder says which fence it had.
    case grantedThenReleased(Holder)
    /// The acquire was granted and the lock is held by `holder` (a request of another client instance; this
    /// client releases grants its own callers gave up on). For an all-or-nothing acquire, the first key's
    /// holder (every key has the same fence); for a mode change, the lock's new holder.
    case granted(Holder)
    /// The release took effect.
    case released
    /// The force-unlock took effect and released these holders (empty when nobody held the key).
    case forceUnlocked([Holder])
    /// The session revocation took effect.
    case sessionRevoked
    /// The session was closed.
    case sessionClosed
    /// The hold was placed (or replaced the key's hold of the same rule).
    case holdPlaced(Hold)
    /// These holds were lifted.
    case holdsLifted([Hold])
    /// The request was applied and refused, with the error its caller would have received.
    case refused(PadlockError)
    /// The cluster no longer keeps the answer: a later request of the same session was applied, or the session
    /// ended (which released everything it held). Inspect the keys concerned to learn the current state.
    case answerNotKept
}

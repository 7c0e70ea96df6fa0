/// Why a holder lost a lock it did not release itself: what the cluster tells the holder (`docs/events.md`)
/// and what `Lock.loss` in the client library shows.
public enum LockLoss: Hashable, Sendable, CustomStringConvertible {
    /// An administrator force-unlocked the key; `by` is the administrator's identity as audited.
    case forceUnlocked(by: String, reason: String)
    /// Another session took the lock over; `by` is the new holder (its owner, fence and note).
    case takenOver(by: Holder, reason: String)
    /// An administrator revoked the holder's session; `by` is the administrator's identity as audited.
    case sessionRevoked(by: String, reason: String)
    /// The holder's session expired: no renewal reached the cluster within its TTL.
    case expired

    /// The loss in words, for people: who and why.
    public var description: String {
        switch self {
        case .forceUnlocked(let by, let reason): "force-unlocked by \(by): \(reason)"
        case .takenOver(let by, let reason): "taken over by \(by.owner) (fence \(by.fence.rawValue)): \(reason)"
        case .sessionRevoked(let by, let reason): "session revoked by \(by): \(reason)"
        case .expired: "the session expired (no renewal reached the cluster in time)"
        }
    }
}

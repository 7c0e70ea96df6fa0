/// Why a ``Lock`` turned ``LeaseState/lost``, as ``Lock/lossReason`` reports it.
///
/// Only two things end a lock on the client: what the cluster says (an event derived from a committed entry,
/// an answer that the session ended or the lock is no longer held) and the client's own lease arithmetic (no
/// renewal acknowledged before the conservative deadline). A notice is never a guess: every case below is
/// one of those.
public enum LockLossReason: Sendable, Hashable, CustomStringConvertible {
    /// The cluster ended the lock and said who and why: force-unlocked by an administrator, taken over by
    /// another holder, its session revoked, or its session expired (`docs/events.md`).
    case cluster(LockLoss)
    /// The cluster ended the lock while no event could reach this client (it was disconnected, or the leader
    /// no longer kept the history when it resubscribed), or a release found it no longer held. The cluster's
    /// audit trail (`PadlockClient.audit`) says who ended it and why.
    case endedWithoutNotice
    /// No renewal was acknowledged before the session's conservative deadline, on this machine's monotonic
    /// clock. The cluster may still hold the lock for a moment, but it will expire it; stop using the fence.
    case leaseRanOut
    /// The lock's session ended: the cluster answered that it expired or was revoked, or the client had to
    /// abandon it; the text says which.
    case sessionEnded(String)

    /// The reason in words, for people.
    public var description: String {
        switch self {
        case .cluster(let loss): loss.description
        case .endedWithoutNotice:
            "the cluster ended it while this client could not be told; the audit trail says who and why"
        case .leaseRanOut: "no renewal was acknowledged before the lease's deadline"
        case .sessionEnded(let why): "its session ended: \(why)"
        }
    }
}

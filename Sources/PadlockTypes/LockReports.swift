// What the cluster answers about locks, members and the audit trail: the values a client reads, shared by the
// node that builds them, the wire that carries them (their layouts are in Wire's ClientResponse+Records.swift)
// and the client library that returns them.

/// One member of the cluster, as the replicated address book records it.
public struct MemberInfo: Hashable, Sendable {
    /// The member's node id.
    public var node: NodeID
    /// Where other nodes reach it, such as `10.0.0.7:7501`.
    public var peerAddress: String
    /// Where clients reach it, such as `10.0.0.7:7401`.
    public var clientAddress: String
    /// Whether it votes (false for a learner).
    public var isVoter: Bool

    /// Creates a member description.
    public init(node: NodeID, peerAddress: String, clientAddress: String, isVoter: Bool) {
        self.node = node
        self.peerAddress = peerAddress
        self.clientAddress = clientAddress
        self.isVoter = isVoter
    }
}

/// One held lock: the key, its holder, and until when the holder's session keeps it without renewal.
public struct LockInfo: Hashable, Sendable {
    /// The locked key.
    public var key: LockKey
    /// Who holds it, in which mode, under which fence.
    public var holder: Holder
    /// The holder's session deadline on the leader's clock.
    public var leaseDeadline: Timestamp

    /// Creates a lock description.
    public init(key: LockKey, holder: Holder, leaseDeadline: Timestamp) {
        self.key = key
        self.holder = holder
        self.leaseDeadline = leaseDeadline
    }
}

/// One queued acquire.
public struct Waiter: Hashable, Sendable {
    /// The key the acquire waits for.
    public var key: LockKey
    /// The waiting session.
    public var session: SessionID
    /// The waiting session's owner label.
    public var owner: String
    /// The mode asked for.
    public var mode: LockMode
    /// When the acquire was queued, on the leader's clock.
    public var since: Timestamp

    /// Creates a waiter description.
    public init(key: LockKey, session: SessionID, owner: String, mode: LockMode, since: Timestamp) {
        self.key = key
        self.session = session
        self.owner = owner
        self.mode = mode
        self.since = since
    }
}

/// Who holds and who waits for everything that overlaps a key: the key itself, its ancestors and its
/// descendants, since a lock on any of them conflicts with a lock on the key.
public struct KeyInspection: Hashable, Sendable {
    /// The key that was inspected.
    public var key: LockKey
    /// Locks on the key, its ancestors and its descendants, in key byte order.
    public var holders: [LockInfo]
    /// Queued acquires on the key, its ancestors and its descendants, in key byte order and in queue order
    /// per key.
    public var waiters: [Waiter]
    /// When the key or an overlapping key is under lock-delay (after a forced or expired release), the time
    /// before which the key is not granted again; `nil` when no lock-delay applies.
    public var lockDelayedUntil: Timestamp?
    /// Holds on the key, its ancestors and its descendants (`docs/holds.md`), in key byte order and rule order
    /// per key; empty from a server that speaks protocol v2 or older.
    public var holds: [Hold]

    /// Creates an inspection result.
    public init(
        key: LockKey, holders: [LockInfo], waiters: [Waiter], lockDelayedUntil: Timestamp?, holds: [Hold] = []
    ) {
        self.key = key
        self.holders = holders
        self.waiters = waiters
        self.lockDelayedUntil = lockDelayedUntil
        self.holds = holds
    }
}

/// One page of a lock listing.
public struct ListPage: Hashable, Sendable {
    /// Locks in key order.
    public var locks: [LockInfo]
    /// Where the next page starts (the list request's `after`); `nil` on the last page.
    public var next: LockKey?

    /// Creates a page.
    public init(locks: [LockInfo], next: LockKey?) {
        self.locks = locks
        self.next = next
    }
}

/// The answer to a fence check.
public struct FenceCheck: Hashable, Sendable {
    /// Whether the fence asked about belongs to the key's current holder.
    public var isCurrent: Bool
    /// The current holder's fence, `nil` when nobody holds the key.
    public var currentFence: FenceToken?

    /// Creates a fence check answer.
    public init(isCurrent: Bool, currentFence: FenceToken?) {
        self.isCurrent = isCurrent
        self.currentFence = currentFence
    }
}

/// What an audit record records.
public enum AuditAction: UInt8, Hashable, Sendable, CaseIterable {
    /// An administrator released a key by force.
    case forceUnlock = 0
    /// An administrator ended a session.
    case revokeSession = 1
    /// A session expired because its holder stopped renewing.
    case sessionExpired = 2
    /// A takeover ended the previous holder's lock; the record's `index` is the taker's fence and its
    /// `identity` the taker's (`docs/events.md`, decision 6).
    case takeover = 3
    /// A hold was placed (``AuditRecord/hold`` is the hold; `session` the placing session).
    case holdPlaced = 4
    /// A hold was lifted (``AuditRecord/hold`` as it was; `reason` the lifter's).
    case holdLifted = 5
    /// A lock was granted through a hold to an exempt role (``AuditRecord/hold`` is the hold bypassed,
    /// ``AuditRecord/previousHolder`` the grant).
    case holdBypassed = 6
}

/// One record of the audit trail.
///
/// One log entry can produce several records (a force-unlock of a shared key releases each holder, a
/// revocation each of the session's locks), so records are numbered by the trail's own ``sequence``.
public struct AuditRecord: Hashable, Sendable {
    /// The record's position in the trail: strictly increasing and never reused; pages are ordered by it and
    /// an audit request's `after` pages by it.
    public var sequence: UInt64
    /// The log index of the entry that caused it.
    public var index: LogIndex
    /// When it happened, on the leader's clock.
    public var time: Timestamp
    /// What happened.
    public var action: AuditAction
    /// The session that lost its lock or ended.
    public var session: SessionID
    /// The key concerned, `nil` for the record of a session ending.
    public var key: LockKey?
    /// Who held the key before, when a key was concerned and held.
    public var previousHolder: Holder?
    /// Who did it: the administrator's owner label, or `padlock` for expiries.
    public var identity: String
    /// Why, as given by the administrator or by the cluster.
    public var reason: String
    /// The hold placed, lifted or bypassed; nil for the other actions.
    public var hold: Hold?

    /// Creates an audit record.
    public init(
        sequence: UInt64, index: LogIndex, time: Timestamp, action: AuditAction, session: SessionID,
        key: LockKey?, previousHolder: Holder?, identity: String, reason: String, hold: Hold? = nil
    ) {
        self.hold = hold
        self.sequence = sequence
        self.index = index
        self.time = time
        self.action = action
        self.session = session
        self.key = key
        self.previousHolder = previousHolder
        self.identity = identity
        self.reason = reason
    }
}

/// One page of the audit trail.
public struct AuditPage: Hashable, Sendable {
    /// Records in sequence order.
    public var records: [AuditRecord]
    /// The sequence to pass as the next request's `after`; `nil` on the last page.
    public var next: UInt64?
    /// The sequence of the oldest record the node still keeps. The trail is bounded: when `oldestKept` is past
    /// the first sequence a reader expected (its `after` plus one), the records in between were dropped unread.
    public var oldestKept: UInt64

    /// Creates a page.
    public init(records: [AuditRecord], next: UInt64?, oldestKept: UInt64) {
        self.records = records
        self.next = next
        self.oldestKept = oldestKept
    }
}

/// One page of a hold listing.
public struct HoldPage: Hashable, Sendable {
    /// Holds in key byte order, then rule order.
    public var holds: [Hold]
    /// Where the next page starts (the listing's `after`); `nil` on the last page.
    public var next: LockKey?

    /// Creates a page.
    public init(holds: [Hold], next: LockKey?) {
        self.holds = holds
        self.next = next
    }
}

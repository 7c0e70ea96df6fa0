import PadlockTypes

/// A node's answer to one ``ClientRequest``.
public struct ClientResponse: Hashable, Sendable {
    /// The correlation id of the request this answers.
    public var correlation: CorrelationID
    /// The request's result, or why it failed.
    public var outcome: Result<ClientResult, ClientFailure>

    /// Creates a response.
    public init(correlation: CorrelationID, outcome: Result<ClientResult, ClientFailure>) {
        self.correlation = correlation
        self.outcome = outcome
    }

    /// Decodes a frame payload that must hold a client response.
    public init(decoding payload: [UInt8]) throws(WireError) {
        self = try Self.decodedPayload(payload)
    }

    /// The frame payload: the kind byte, then the response.
    public func encoded() -> [UInt8] { encodedPayload() }
}

/// What a request achieved. A `resolve` request is answered with the result of the request it names.
public enum ClientResult: Hashable, Sendable {
    /// The session exists; use its id and keep renewing it.
    case sessionOpened(SessionGrant)
    /// The session's countdown restarted.
    case sessionRenewed(SessionGrant)
    /// The session is closed and its locks released.
    case sessionClosed
    /// The lock is held; the holder carries the fence to send with every write.
    case granted(Holder)
    /// The lock is released.
    case released
    /// The session's queued acquire on the key was withdrawn; it will not be granted.
    case waitCancelled
    /// Who holds and who waits, on the key and on everything that overlaps it.
    case inspected(KeyInspection)
    /// One page of held locks.
    case listed(ListPage)
    /// Whether the fence is current.
    case fenceChecked(FenceCheck)
    /// The key was released by force; `previous` is everyone who held it (several for a shared lock), in grant
    /// order. A key nobody holds is answered ``ClientFailure/notHeld`` instead.
    case forceUnlocked(previous: [Holder])
    /// The session was ended; its locks were released.
    case sessionRevoked(releasedLockCount: UInt64)
    /// One page of the audit trail.
    case audited(AuditPage)
    /// The node's view of itself and the cluster.
    case status(NodeStatus)
    /// The cluster's members after a membership request (or as listed).
    case members([MemberInfo])
    /// The answer to ``ClientOperation/renewSessions(_:)``: one entry per session asked about, in request
    /// order, each what a single `renewSession` of it would have been answered.
    case sessionsRenewed([SessionRenewal])
}

/// One session's answer inside ``ClientResult/sessionsRenewed(_:)``.
public struct SessionRenewal: Hashable, Sendable {
    /// The session this entry answers for.
    public var session: SessionID
    /// Renewed with its new terms, or why not (`sessionExpired`, `notLeader`, `permissionDenied`, ...), as a
    /// single renewal would have been answered. A grant's ``SessionGrant/session`` is ``session``.
    public var outcome: Result<SessionGrant, ClientFailure>

    /// Creates one session's answer.
    public init(session: SessionID, outcome: Result<SessionGrant, ClientFailure>) {
        self.session = session
        self.outcome = outcome
    }
}

/// One member of the cluster, as the replicated address book records it.
public struct MemberInfo: Hashable, Sendable {
    /// The member's node id.
    public var node: WireNodeID
    /// Where other nodes reach it, such as `10.0.0.7:7501`.
    public var peerAddress: String
    /// Where clients reach it, such as `10.0.0.7:7401`.
    public var clientAddress: String
    /// Whether it votes (false for a learner).
    public var isVoter: Bool

    /// Creates a member description.
    public init(node: WireNodeID, peerAddress: String, clientAddress: String, isVoter: Bool) {
        self.node = node
        self.peerAddress = peerAddress
        self.clientAddress = clientAddress
        self.isVoter = isVoter
    }
}

/// Why a request failed: a closed set, mirroring the client library's errors (DESIGN.md §7).
public enum ClientFailure: Error, Hashable, Sendable {
    /// Bad input, such as a TTL out of range; the message says what to change.
    case invalidArgument(message: String)
    /// The role or the client is not allowed to do this.
    case permissionDenied(reason: String)
    /// Someone holds a conflicting lock on the key, an ancestor or a descendant (a try-lock, or a wait that ran
    /// out). `holders` names them: the conflict the lock table decided on first, then the other conflicting
    /// holders in key order, at least one and at most ``WireLimits/heldHoldersMax``; `truncated` says more
    /// conflict than are listed. `waiterCount` are queued on the key the first holder holds.
    case held(by: [LockInfo], truncated: Bool, waiterCount: UInt64)
    /// This node is not the leader; the hint names the leader when the node knows it.
    case notLeader(LeaderHint?)
    /// The cluster cannot serve now (no leader, no quorum); retry after the given time.
    case unavailable(reason: String, retryAfterMilliseconds: UInt64)
    /// A bound was reached (sessions, locks per session, waiters per key, queues).
    case overloaded(reason: String)
    /// The request's session no longer exists; open a new one.
    case sessionExpired
    /// The release named a key and fence the session does not hold, or the force-unlock a key nobody holds.
    case notHeld
    /// The lock was released before this request (expiry or force-unlock); stop using its fence.
    case lockLost
    /// The acquire's wait time passed before the key became free.
    case timedOut
    /// `resolve` named a request that was never applied and, because the resolve recorded it as abandoned,
    /// never will be; send it again as a new request if it is still wanted.
    case unknownRequest
    /// The key, or a key overlapping it, was released by force or by expiry and is not granted again before
    /// `until` (lock-delay), so that resources that cannot check fences get a margin.
    case lockDelayed(until: Timestamp)
    /// No holder conflicts, but `waiterCount` earlier waiters on the overlapping `key` go first (a try-lock,
    /// or a wait that ran out while they were ahead).
    case waitersAhead(key: LockKey, waiterCount: UInt64)
    /// `cancelWait` found no waiter: it was already granted, timed out or never queued.
    case notWaiting
    /// A later request of the same session was already applied, so this one's answer is no longer kept: the
    /// answer to a `resolve` or a retry whose sequence is older than the session's latest.
    case superseded
}

/// A session's terms, as granted when it was opened or renewed.
public struct SessionGrant: Hashable, Sendable {
    /// The session's id, sent with every later request.
    public var session: SessionID
    /// The TTL the cluster granted, which may differ from the one asked for.
    public var ttlMilliseconds: UInt64
    /// When the session expires without another renewal, on the leader's clock. Clients keep their own,
    /// earlier deadline from when they sent the renewal.
    public var renewalDeadline: Timestamp

    /// Creates a grant.
    public init(session: SessionID, ttlMilliseconds: UInt64, renewalDeadline: Timestamp) {
        self.session = session
        self.ttlMilliseconds = ttlMilliseconds
        self.renewalDeadline = renewalDeadline
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

    /// Creates an inspection result.
    public init(key: LockKey, holders: [LockInfo], waiters: [Waiter], lockDelayedUntil: Timestamp?) {
        self.key = key
        self.holders = holders
        self.waiters = waiters
        self.lockDelayedUntil = lockDelayedUntil
    }
}

/// One page of a lock listing.
public struct ListPage: Hashable, Sendable {
    /// Locks in key order.
    public var locks: [LockInfo]
    /// The token for the next page (its ``ListQuery/after``); `nil` on the last page.
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
}

/// One record of the audit trail.
///
/// One log entry can produce several records (a force-unlock of a shared key releases each holder, a
/// revocation each of the session's locks), so records are numbered by the trail's own ``sequence``.
public struct AuditRecord: Hashable, Sendable {
    /// The record's position in the trail: strictly increasing and never reused; pages are ordered by it and
    /// ``ClientOperation/audit(after:limit:)`` pages by it.
    public var sequence: UInt64
    /// The log index of the entry that caused it.
    public var index: WireLogIndex
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

    /// Creates an audit record.
    public init(
        sequence: UInt64, index: WireLogIndex, time: Timestamp, action: AuditAction, session: SessionID,
        key: LockKey?, previousHolder: Holder?, identity: String, reason: String
    ) {
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

/// Where a follower believes the leader is.
public struct LeaderHint: Hashable, Sendable {
    /// The leader's node id.
    public var node: WireNodeID
    /// The leader's client address, such as `10.0.0.7:7401`.
    public var address: String

    /// Creates a hint.
    public init(node: WireNodeID, address: String) {
        self.node = node
        self.address = address
    }
}

extension ClientFailure: CustomStringConvertible {
    /// What went wrong and what to do about it, for logs and for the client library's messages.
    public var description: String {
        switch self {
        case .invalidArgument(let message): "invalid argument: \(message)"
        case .permissionDenied(let reason): "permission denied: \(reason)"
        case .held(let holders, let truncated, let waiterCount):
            "held by "
                + holders.map { lock in
                    let holder = lock.holder
                    return "\(holder.owner) (\(holder.session), \(holder.mode), \(holder.fence)) on \(lock.key) since "
                        + "\(holder.since)" + (holder.note.isEmpty ? "" : ", \"\(holder.note)\"")
                }.joined(separator: "; ")
                + (truncated ? "; and more" : "") + "; \(waiterCount) waiting"
        case .notLeader(let hint):
            if let hint {
                "not the leader; try \(hint.node) at \(hint.address)"
            } else {
                "not the leader; leader unknown"
            }
        case .unavailable(let reason, let retryAfter): "unavailable: \(reason); retry after \(retryAfter) ms"
        case .overloaded(let reason): "overloaded: \(reason); retry later"
        case .sessionExpired: "the session expired; open a new session"
        case .notHeld:
            "not held: the session holds no lock on this key under this fence (or, for a force-unlock, nobody does)"
        case .lockLost: "the lock was lost (expired or released by force); stop using its fence"
        case .timedOut: "the wait for the lock timed out"
        case .unknownRequest:
            "the request was never applied and is now recorded as abandoned, so it never will be; "
                + "send it again as a new request if it is still wanted"
        case .lockDelayed(let until):
            "the key was released by force or by expiry and is not granted again before \(until); retry after that"
        case .waitersAhead(let key, let waiterCount):
            "no holder conflicts, but earlier waiters on \(key) go first (\(waiterCount) queued); "
                + "acquire with a wait time to queue behind them, or retry later"
        case .notWaiting:
            "no queued acquire to cancel: it was already granted, timed out or never queued; "
                + "inspect the key and release it if this session holds it"
        case .superseded:
            "a later request of this session was already applied, so this request's answer is no longer kept; "
                + "inspect the keys concerned to learn the current state"
        }
    }
}

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
    /// Who holds and who waits.
    case inspected(KeyInspection)
    /// One page of held locks.
    case listed(ListPage)
    /// Whether the fence is current.
    case fenceChecked(FenceCheck)
    /// The key was released by force; `previous` is who held it.
    case forceUnlocked(previous: Holder)
    /// The session was ended; its locks were released.
    case sessionRevoked(releasedLockCount: UInt64)
    /// One page of the audit trail.
    case audited(AuditPage)
    /// The node's view of itself and the cluster.
    case status(NodeStatus)
}

/// Why a request failed: a closed set, mirroring the client library's errors (DESIGN.md §7).
public enum ClientFailure: Error, Hashable, Sendable {
    /// Bad input, such as a TTL out of range; the message says what to change.
    case invalidArgument(message: String)
    /// The role or the client is not allowed to do this.
    case permissionDenied(reason: String)
    /// Someone else holds the key (a try-lock, or a wait that ran out); `waiterCount` are queued behind them.
    case held(by: Holder, waiterCount: UInt64)
    /// This node is not the leader; the hint names the leader when the node knows it.
    case notLeader(LeaderHint?)
    /// The cluster cannot serve now (no leader, no quorum); retry after the given time.
    case unavailable(reason: String, retryAfterMilliseconds: UInt64)
    /// A bound was reached (sessions, locks per session, waiters per key, queues).
    case overloaded(reason: String)
    /// The request's session no longer exists; open a new one.
    case sessionExpired
    /// The release named a key and fence the session does not hold.
    case notHeld
    /// The lock was released before this request (expiry or force-unlock); stop using its fence.
    case lockLost
    /// The acquire's wait time passed before the key became free.
    case timedOut
    /// `resolve` named a request the node has no record of.
    case unknownRequest
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

/// Who holds and who waits for a key and the keys under it.
public struct KeyInspection: Hashable, Sendable {
    /// The key that was inspected.
    public var key: LockKey
    /// Locks on the key or under it, in key order.
    public var holders: [LockInfo]
    /// Queued acquires on the key or under it, in queue order per key.
    public var waiters: [Waiter]

    /// Creates an inspection result.
    public init(key: LockKey, holders: [LockInfo], waiters: [Waiter]) {
        self.key = key
        self.holders = holders
        self.waiters = waiters
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

/// One entry of the audit trail.
public struct AuditRecord: Hashable, Sendable {
    /// The log index of the entry that did it; pages are ordered by it.
    public var index: WireLogIndex
    /// When it happened, on the leader's clock.
    public var time: Timestamp
    /// What happened.
    public var action: AuditAction
    /// The key concerned, `nil` for actions on a whole session.
    public var key: LockKey?
    /// Who held the key before, when a key was concerned and held.
    public var previousHolder: Holder?
    /// Who did it: the administrator's owner label, or `padlock` for expiries.
    public var identity: String
    /// Why, as given by the administrator or by the cluster.
    public var reason: String

    /// Creates an audit record.
    public init(
        index: WireLogIndex, time: Timestamp, action: AuditAction, key: LockKey?, previousHolder: Holder?,
        identity: String, reason: String
    ) {
        self.index = index
        self.time = time
        self.action = action
        self.key = key
        self.previousHolder = previousHolder
        self.identity = identity
        self.reason = reason
    }
}

/// One page of the audit trail.
public struct AuditPage: Hashable, Sendable {
    /// Records in index order.
    public var records: [AuditRecord]
    /// The `after` for the next page; `nil` on the last page.
    public var next: WireLogIndex?

    /// Creates a page.
    public init(records: [AuditRecord], next: WireLogIndex?) {
        self.records = records
        self.next = next
    }
}

/// A node's Raft role, as reported by `status`.
public enum NodeRole: UInt8, Hashable, Sendable, CaseIterable {
    /// Follows a leader, or waits for one.
    case follower = 0
    /// Campaigning for votes.
    case candidate = 1
    /// Serves requests and replicates the log.
    case leader = 2
    /// Receives the log without voting.
    case learner = 3
}

/// A node's view of itself and the cluster.
public struct NodeStatus: Hashable, Sendable {
    /// The answering node.
    public var node: WireNodeID
    /// Its Raft role.
    public var role: NodeRole
    /// Its current term.
    public var term: WireTerm
    /// The leader this node knows of, if any.
    public var leader: WireNodeID?
    /// The highest log index it knows to be committed.
    public var commitIndex: WireLogIndex
    /// The highest log index its lock table has applied.
    public var appliedIndex: WireLogIndex
    /// Open sessions in its lock table.
    public var sessionCount: UInt64
    /// Held locks in its lock table.
    public var lockCount: UInt64
    /// Queued acquires in its lock table.
    public var waiterCount: UInt64

    /// Creates a status report.
    public init(
        node: WireNodeID, role: NodeRole, term: WireTerm, leader: WireNodeID?, commitIndex: WireLogIndex,
        appliedIndex: WireLogIndex, sessionCount: UInt64, lockCount: UInt64, waiterCount: UInt64
    ) {
        self.node = node
        self.role = role
        self.term = term
        self.leader = leader
        self.commitIndex = commitIndex
        self.appliedIndex = appliedIndex
        self.sessionCount = sessionCount
        self.lockCount = lockCount
        self.waiterCount = waiterCount
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
        case .held(let holder, let waiterCount):
            "held by \(holder.owner) (\(holder.session), \(holder.mode), \(holder.fence)) since \(holder.since)"
                + (holder.note.isEmpty ? "" : ", \"\(holder.note)\"") + "; \(waiterCount) waiting"
        case .notLeader(let hint):
            if let hint {
                "not the leader; try \(hint.node) at \(hint.address)"
            } else {
                "not the leader; leader unknown"
            }
        case .unavailable(let reason, let retryAfter): "unavailable: \(reason); retry after \(retryAfter) ms"
        case .overloaded(let reason): "overloaded: \(reason); retry later"
        case .sessionExpired: "the session expired; open a new session"
        case .notHeld: "the session does not hold this key under this fence"
        case .lockLost: "the lock was lost (expired or released by force); stop using its fence"
        case .timedOut: "the wait for the lock timed out"
        case .unknownRequest: "no record of that request; it was never applied or its record has been trimmed"
        }
    }
}

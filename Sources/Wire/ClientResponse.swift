import PadlockTypes

/// A node's answer to one ``ClientRequest``.
package struct ClientResponse: Hashable, Sendable {
    /// The correlation id of the request this answers.
    package var correlation: CorrelationID
    /// The request's result, or why it failed.
    package var outcome: Result<ClientResult, ClientFailure>

    /// Creates a response.
    package init(correlation: CorrelationID, outcome: Result<ClientResult, ClientFailure>) {
        self.correlation = correlation
        self.outcome = outcome
    }
}

/// What a request achieved. A `resolve` request is answered with the result of the request it names.
package enum ClientResult: Hashable, Sendable {
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
    /// The answer to `subscribe` and `unsubscribe`: the applied log index the connection's subscription now
    /// starts from. Events follow as ``ClientEvent`` frames (`docs/events.md`).
    case subscribed(index: UInt64)
    /// Every key of an all-or-nothing acquire, one holder per key in the request's key order, one fence.
    case grantedKeys([Holder])
    /// The hold is in place; `ended` lists the holders it ended.
    case holdPlaced(Hold, ended: [LockInfo])
    /// The holds lifted, as they were.
    case holdsLifted([Hold])
    /// One page of holds.
    case holdsListed(HoldPage)
    /// The leader encoded the backup that `backup` asked for; pull its body with `backupChunk` (v3).
    case backupStarted(BackupInfo)
    /// One piece of a backup's body (v3).
    case backupChunk(BackupChunk)
}

/// One session's answer inside ``ClientResult/sessionsRenewed(_:)``.
package struct SessionRenewal: Hashable, Sendable {
    /// The session this entry answers for.
    package var session: SessionID
    /// Renewed with its new terms, or why not (`sessionExpired`, `notLeader`, `permissionDenied`, ...), as a
    /// single renewal would have been answered. A grant's ``SessionGrant/session`` is ``session``.
    package var outcome: Result<SessionGrant, ClientFailure>

    /// Creates one session's answer.
    package init(session: SessionID, outcome: Result<SessionGrant, ClientFailure>) {
        self.session = session
        self.outcome = outcome
    }
}

/// Why a request failed: a closed set, mirroring the client library's errors (DESIGN.md §7).
package enum ClientFailure: Error, Hashable, Sendable {
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
    /// A hold refuses the lock to this requester (protocol v3; older clients are answered `permissionDenied`
    /// with the same words): its rule, reason, since and placed-by, and who is exempt.
    case restricted(by: Hold)
    /// `liftHold` found no hold on the key (of that rule).
    case noHold
}

/// A session's terms, as granted when it was opened or renewed.
package struct SessionGrant: Hashable, Sendable {
    /// The session's id, sent with every later request.
    package var session: SessionID
    /// The TTL the cluster granted, which may differ from the one asked for.
    package var ttlMilliseconds: UInt64
    /// When the session expires without another renewal, on the leader's clock. Clients keep their own,
    /// earlier deadline from when they sent the renewal.
    package var renewalDeadline: Timestamp

    /// Creates a grant.
    package init(session: SessionID, ttlMilliseconds: UInt64, renewalDeadline: Timestamp) {
        self.session = session
        self.ttlMilliseconds = ttlMilliseconds
        self.renewalDeadline = renewalDeadline
    }
}

/// Where a follower believes the leader is.
package struct LeaderHint: Hashable, Sendable {
    /// The leader's node id.
    package var node: NodeID
    /// The leader's client address, such as `10.0.0.7:7401`.
    package var address: String

    /// Creates a hint.
    package init(node: NodeID, address: String) {
        self.node = node
        self.address = address
    }
}

extension ClientFailure: CustomStringConvertible {
    /// What went wrong and what to do about it, for logs and for the client library's messages.
    package var description: String {
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
        case .restricted(let hold): hold.refusalSentence
        case .noHold: "no hold on that key (of that rule): nothing to lift; list the holds to see what is in place"
        case .superseded:
            "a later request of this session was already applied, so this request's answer is no longer kept; "
                + "inspect the keys concerned to learn the current state"
        }
    }
}

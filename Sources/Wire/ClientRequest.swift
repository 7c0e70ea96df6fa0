import PadlockTypes

/// One request from a client library to a node.
///
/// Encoding does not check ``PadlockTypes/InputLimits``: the client checks them first and answers
/// `invalidArgument` itself, because a server refuses a request that breaks them by closing the connection.
package struct ClientRequest: Hashable, Sendable {
    /// The client's number for this request on this connection, echoed in the response.
    package var correlation: CorrelationID
    /// What the client asks for.
    package var operation: ClientOperation
    /// The caller's W3C trace context, when a tracer is in use; nil adds no byte to the request.
    package var trace: TraceContext?

    /// Creates a request.
    package init(correlation: CorrelationID, operation: ClientOperation, trace: TraceContext? = nil) {
        self.correlation = correlation
        self.operation = operation
        self.trace = trace
    }
}

/// What a client asks a node to do.
///
/// Operations that change state carry a ``PadlockTypes/RequestID``: the acting session and its sequence number,
/// which a retry reuses so that the request is applied at most once. Opening a session has no session yet, so
/// it carries a nonce instead: the state machine answers a retried open with the same owner and nonce with the
/// session the first attempt created.
package enum ClientOperation: Hashable, Sendable {
    /// Registers a session for `owner` (such as `alice@frontend-2`) with the TTL asked for.
    ///
    /// The client picks a random `nonce` for each series of attempts to open one session and sends it unchanged
    /// with every retry; the state machine dedupes opens by (owner, nonce), so a retry whose first attempt was
    /// applied gets that attempt's session instead of a second one.
    case openSession(owner: String, nonce: UInt64, ttlMilliseconds: UInt64)
    /// Keeps a session alive; handled by the leader without a log entry, so it needs no request id.
    case renewSession(SessionID)
    /// Keeps several sessions alive in one request, at most ``WireLimits/renewalBatchCountMax``: the leader
    /// handles each as one `renewSession` and answers once, with ``ClientResult/sessionsRenewed(_:)`` holding
    /// each session's own answer in request order (docs/wire.md). Needs no request id either.
    case renewSessions([SessionID])
    /// Closes the request's session, releasing its locks and dropping its waiters.
    case closeSession(RequestID)
    /// Acquires a key for the request's session.
    case acquire(RequestID, Acquisition)
    /// Releases the lock the request's session holds on `key` under `fence`.
    case release(RequestID, key: LockKey, fence: FenceToken)
    /// Withdraws the request's session's queued acquire on `key`.
    ///
    /// Answered ``ClientResult/waitCancelled``, or ``ClientFailure/notWaiting`` when the session has no waiter on
    /// `key` (it was granted, timed out or never queued).
    case cancelWait(RequestID, key: LockKey)
    /// Shows who holds and who waits for `key`, its ancestors and its descendants: everything that overlaps it.
    case inspect(LockKey)
    /// Lists held locks, a page at a time.
    case list(ListQuery)
    /// Asks, linearizably, whether `fence` is still the current holder's fence for `key`.
    case checkFence(key: LockKey, fence: FenceToken)
    /// An administrator releases `key` whoever holds it; the reason goes to the audit trail.
    case forceUnlock(RequestID, key: LockKey, reason: String)
    /// An administrator ends session `target` and releases its locks; the reason goes to the audit trail.
    case revokeSession(RequestID, target: SessionID, reason: String)
    /// Reads at most `limit` audit records whose sequence number is greater than `after`, oldest first; from
    /// the oldest record still kept when `after` is `nil`.
    ///
    /// The cursor is the audit trail's own sequence number, not a log index, because one entry can produce
    /// several records (a force-unlock of a shared key records each holder it released).
    case audit(after: UInt64?, limit: Int)
    /// Asks the node for its role, term, leader, log progress, membership and counts.
    case status
    /// Asks for the fate of an earlier request whose outcome the client does not know.
    ///
    /// If the request was applied, the node answers with its original result (or failure). If it was never
    /// applied, the node records it as abandoned, so that it never will be, and answers
    /// ``ClientFailure/unknownRequest``. When a later request of the same session was already applied, the
    /// answer is no longer kept and the node answers ``ClientFailure/superseded``.
    case resolve(RequestID)
    /// An administrator adds `node` as a learner (it receives the log but does not vote), recording where its
    /// peers and clients reach it. Promote it once it has caught up.
    case addMember(node: NodeID, peerAddress: String, clientAddress: String)
    /// An administrator makes a caught-up learner a voter.
    case promoteMember(NodeID)
    /// An administrator removes a voter or learner from the cluster.
    case removeMember(NodeID)
    /// Lists the cluster's members with their addresses.
    case members
    /// Adds sessions, watched keys and watched prefixes to this connection's subscription (protocol v2): the
    /// leader then sends ``ClientEvent`` frames for them (`docs/events.md`). Answered
    /// ``ClientResult/subscribed(index:)``.
    case subscribe(Subscription)
    /// Removes sessions, keys and prefixes from this connection's subscription; `after` is ignored.
    case unsubscribe(Subscription)
    /// Acquires a key for the request's session at once, ending every conflicting holder (on the key, an
    /// ancestor or a descendant) in the same committed entry, whatever lock-delay or waiters there are; `reason`
    /// goes to the audit trail and to each previous holder (`docs/events.md`, decision 6). The acquisition's
    /// `waitMilliseconds` must be 0: a takeover never queues. Answered ``ClientResult/granted(_:)``, with a
    /// fence above every fence it ended. Allowed to `admin` clients and to clients the configuration names
    /// for the key's namespace.
    case takeover(RequestID, Acquisition, reason: String)
    /// Acquires every key in one committed entry under one fence, or none (protocol v3): the requester claims
    /// `roles` for holds (`docs/holds.md`), and the whole batch queues as one waiter when `waitMilliseconds` is
    /// above 0. Keys must not overlap, at most ``PadlockTypes/HoldLimits/keysPerAcquireMax``. Answered
    /// ``ClientResult/granted(_:)`` for one key, ``ClientResult/grantedKeys(_:)`` for several.
    case acquireKeys(RequestID, keys: [LockKey], Acquisition, roles: [String])
    /// Changes the mode of the session's lock on `key` under `fence` (protocol v3): shared to exclusive waits
    /// up to `waitMilliseconds` for the other holders; exclusive to shared is granted at once. Answered
    /// ``ClientResult/granted(_:)`` with the new fence.
    case changeMode(
        RequestID, key: LockKey, fence: FenceToken, mode: LockMode, waitMilliseconds: UInt64, roles: [String])
    /// Places a hold (protocol v3); allowed to admin clients and app clients configured for the namespace.
    case placeHold(RequestID, HoldPlacement)
    /// Lifts the hold of `rule` on `key`, every hold on it when `rule` is nil (protocol v3).
    case liftHold(RequestID, key: LockKey, rule: String?, reason: String)
    /// Lists holds on or under `prefix` (all when nil), a page at a time after `after` (protocol v3).
    case holds(prefix: LockKey?, after: LockKey?, limit: Int)
    /// An administrator asks the leader for a backup of the replicated state at an applied index (protocol v3,
    /// `docs/wire.md`, "Backup"): answered ``ClientResult/backupStarted(_:)`` once it is encoded.
    case backup
    /// The next piece of backup `transfer`'s body, from `offset`: answered ``ClientResult/backupChunk(_:)``.
    case backupChunk(transfer: UInt64, offset: UInt64)

    /// The exactly-once identity of an operation that changes state, `nil` for the others.
    ///
    /// A `resolve` is `nil` too: it names another request's identity rather than having one of its own, and
    /// repeating it is harmless.
    package var requestID: RequestID? {
        switch self {
        case .closeSession(let id), .acquire(let id, _), .release(let id, _, _), .cancelWait(let id, _),
            .forceUnlock(let id, _, _), .revokeSession(let id, _, _), .takeover(let id, _, _),
            .acquireKeys(let id, _, _, _), .changeMode(let id, _, _, _, _, _), .placeHold(let id, _),
            .liftHold(let id, _, _, _):
            id
        case .openSession, .renewSession, .renewSessions, .inspect, .list, .checkFence, .audit, .status, .resolve,
            .addMember, .promoteMember, .removeMember, .members, .subscribe, .unsubscribe, .holds, .backup,
            .backupChunk:
            nil
        }
    }
}

/// The arguments of an acquire.
package struct Acquisition: Hashable, Sendable {
    /// The key to lock; the lock covers the key's whole subtree.
    package var key: LockKey
    /// Exclusive to edit, shared to view or approve.
    package var mode: LockMode
    /// How long the request may wait in the key's queue; 0 means try once.
    package var waitMilliseconds: UInt64
    /// Free-form text shown to other users, such as "editing phone number".
    package var note: String

    /// Creates the arguments of an acquire.
    package init(key: LockKey, mode: LockMode, waitMilliseconds: UInt64, note: String) {
        self.key = key
        self.mode = mode
        self.waitMilliseconds = waitMilliseconds
        self.note = note
    }
}

/// Which held locks a list request wants, and which page.
package struct ListQuery: Hashable, Sendable {
    /// Only locks on this key or under it; all keys when `nil`.
    package var prefix: LockKey?
    /// Only locks whose holder has this owner label; every owner when `nil`.
    package var owner: String?
    /// The page token: start after this key, in key order (the previous page's ``ListPage/next``).
    package var after: LockKey?
    /// Most locks to return, at most ``WireLimits/pageSizeMax``.
    package var limit: Int

    /// Creates a list query.
    package init(prefix: LockKey? = nil, owner: String? = nil, after: LockKey? = nil, limit: Int) {
        self.prefix = prefix
        self.owner = owner
        self.after = after
        self.limit = limit
    }
}

import DequeModule
import PadlockTypes

/// Padlock's replicated lock state machine: sessions, fenced grants, waiters, lock-delay, exactly-once
/// answers and the audit trail.
///
/// A value type driven by ``apply(_:at:time:)`` with committed entries in log order. It never reads a clock:
/// time arrives as the leader's stamp on each entry. Every output (answers, events, snapshot bytes) depends
/// only on the commands applied, so every replica answers byte for byte the same. Semantics, limits and the
/// snapshot format are documented in `docs/locktable.md`.
package struct LockTable: Sendable {
    /// The bounds and delays this table enforces; identical on every node.
    package let configuration: LockTableConfiguration
    /// The log index of the last entry applied (0 before the first).
    package internal(set) var lastAppliedIndex: UInt64 = 0
    /// The latest entry time seen; entry times are never taken to run backwards.
    package internal(set) var lastTime = Timestamp(rawValue: 0)

    var sessions: [SessionID: SessionRecord] = [:]
    var sessionsByNonce: [OpenKey: SessionID] = [:]
    /// Open sessions per authenticated client (`SessionRecord.client`), for the client's session quota.
    var sessionsByClient: [String: Int] = [:]
    /// Held locks by exact key string: exclusive ones and shared ones apart, so the common exclusive lock
    /// costs a bare `Grant` (40 bytes) in the table's largest dictionary. A key is in at most one of them.
    var exclusiveGrants: [String: Grant] = [:]
    var sharedGrants: [String: [Grant]] = [:]
    var heldLockCount = 0
    /// Waiters per exact key string, in arrival order.
    var queues: [String: [Waiter]] = [:]
    var waiterKeys: [RequestID: String] = [:]
    var waiterCount = 0
    /// Per strict prefix of anything held, queued or lock-delayed: counts below it, for O(depth) checks.
    var prefixes: [String: PrefixNode] = [:]
    /// Active lock-delays by exact key string, and the same ordered by end time for purging.
    var delays: [String: Timestamp] = [:]
    var delayOrder: [DelayMark] = []
    var endedSessions: [SessionID: SessionEndReason] = [:]
    var endedOrder = Deque<SessionID>()
    var auditRecords = Deque<AuditRecord>()
    var nextAuditSequence: UInt64 = 1
    /// Holds in place by exact key string, each key's holds in rule byte order (`docs/holds.md`).
    var holds: [String: [Hold]] = [:]
    var holdCount = 0
    var holdsByNamespace: [String: Int] = [:]
    /// The per-namespace quotas in force, as the last committed ``Command/setQuotas(_:)`` set them.
    package internal(set) var quotas = NamespaceQuotas()

    // Scratch state of the entry being applied; empty between calls.
    var currentIndex: UInt64 = 0
    var now = Timestamp(rawValue: 0)
    var pendingPromotion: [String] = []
    var pendingEvents: [Event] = []

    /// An empty table.
    package init(configuration: LockTableConfiguration = LockTableConfiguration()) {
        self.configuration = configuration
    }

    /// What applying one entry produced: the answer to its command and the events for the shell.
    package struct Applied: Hashable, Sendable {
        /// The answer to the entry's command.
        package var result: CommandResult
        /// What the shell must act on, in the order it happened.
        package var events: [Event]

        /// Pairs an answer with its events.
        package init(result: CommandResult, events: [Event]) {
            self.result = result
            self.events = events
        }
    }

    /// Applies the command of the committed entry at `index`, stamped `time` by the leader.
    ///
    /// Entries must be applied in log order, each once; `time` earlier than a previous stamp is taken as that
    /// stamp, so time never runs backwards inside the table.
    package mutating func apply(_ command: Command, at index: UInt64, time: Timestamp) -> Applied {
        precondition(
            index > lastAppliedIndex, "entry \(index) applied after entry \(lastAppliedIndex); apply in log order")
        lastAppliedIndex = index
        lastTime = max(lastTime, time)
        currentIndex = index
        now = lastTime
        purgeLockDelays()
        let result = dispatch(command)
        promotePendingWaiters()
        let events = pendingEvents
        pendingEvents.removeAll(keepingCapacity: true)
        return Applied(result: result, events: events)
    }

    /// Applies an entry given as bytes; bytes that do not decode are answered `.invalid(.malformedCommand)`
    /// and change nothing but the applied index.
    package mutating func apply(encoded bytes: [UInt8], at index: UInt64, time: Timestamp) -> Applied {
        do {
            return apply(try Command.decode(bytes), at: index, time: time)
        } catch {
            precondition(index > lastAppliedIndex, "entry \(index) applied after entry \(lastAppliedIndex)")
            lastAppliedIndex = index
            lastTime = max(lastTime, time)
            return Applied(result: .invalid(.malformedCommand), events: [])
        }
    }

    private mutating func dispatch(_ command: Command) -> CommandResult {
        switch command {
        case let .openSession(owner, nonce, ttl):
            return openSession(owner: owner, nonce: nonce, ttlMilliseconds: ttl, client: nil)
        case let .openClientSession(owner, nonce, ttl, client, sessionsMax):
            return openSession(owner: owner, nonce: nonce, ttlMilliseconds: ttl, client: (client, sessionsMax))
        case let .closeSession(request):
            return deduplicated(request, closing: true) { $0.closeSession(request.session) }
        case let .acquire(request, key, mode, wait, note):
            return deduplicated(request) {
                $0.acquire(request, key: key, mode: mode, wait: wait, note: note, roles: [])
            }
        case let .release(request, key, fence):
            return deduplicated(request) { $0.release(request.session, key: key, fence: fence) }
        case let .cancelWait(request, key):
            return deduplicated(request) { $0.cancelWait(request.session, key: key) }
        case let .forceUnlock(request, key, reason, admin):
            return deduplicated(request) { $0.forceUnlock(key, reason: reason, admin: admin) }
        case let .takeover(request, key, mode, note, reason, admin):
            return deduplicated(request) {
                $0.takeover(request.session, key: key, mode: mode, note: note, reason: reason, admin: admin)
            }
        case let .revokeSession(request, target, reason, admin):
            return deduplicated(request) { $0.revokeSession(target, reason: reason, admin: admin) }
        case let .expireSession(session, generation):
            return expireSession(session, renewalGeneration: generation)
        case let .expireWaiter(request):
            return expireWaiter(request)
        case let .checkpointLeases(checkpoints):
            return checkpointLeases(checkpoints)
        case let .setQuotas(quotas):
            self.quotas = quotas
            return .quotasSet
        case let .acquireKeys(request, keys, mode, wait, note, roles):
            return deduplicated(request) {
                $0.acquireKeys(request, keys: keys, mode: mode, wait: wait, note: note, roles: roles)
            }
        case let .changeMode(request, key, fence, mode, wait, roles):
            return deduplicated(request) {
                $0.changeMode(request, key: key, fence: fence, mode: mode, wait: wait, roles: roles)
            }
        case let .placeHold(request, placement, actor):
            return deduplicated(request) { $0.placeHold(placement, session: request.session, actor: actor) }
        case let .liftHold(request, key, rule, reason, actor):
            return deduplicated(request) {
                $0.liftHold(key, rule: rule, reason: reason, session: request.session, actor: actor)
            }
        case let .resolve(request):
            // A request not yet applied is settled here, answered `.abandoned` from now on and never applied.
            return deduplicated(request) { _ in .abandoned }
        }
    }

    /// Runs a client command once per (session, sequence): a repeat of the last request gets its stored
    /// answer, an older one is answered `.stale`, and neither is applied again (unless the simulator injected
    /// `skipsDeduplication`, which applies both again and records the new answer).
    private mutating func deduplicated(
        _ request: RequestID, closing: Bool = false, _ body: (inout LockTable) -> CommandResult
    ) -> CommandResult {
        guard let session = sessions[request.session] else {
            switch endedSessions[request.session] {
            case .closed: return closing ? .sessionClosed : .sessionUnknown
            case .expired, .revoked: return .sessionExpired
            case nil: return .sessionUnknown
            }
        }
        if !configuration.injectedBugs.skipsDeduplication {
            if request.sequence < session.lastSequence { return .stale(lastSequence: session.lastSequence) }
            if request.sequence == session.lastSequence, let stored = session.lastResult { return stored }
        }
        let result = body(&self)
        // The command may have ended the requesting session (close, or an admin revoking itself).
        _ = sessions[request.session]?.update {
            $0.lastSequence = request.sequence
            $0.lastResult = result
        }
        return result
    }
}

/// Identifies an open-session request across retries.
/// What makes a retried open recognisable: the client (nil on an open port), the owner and the nonce.
struct OpenKey: Hashable, Sendable {
    var client: String?
    var owner: String
    var nonce: UInt64
}

/// One grant of a lock to a session.
struct Grant: Hashable, Sendable {
    var session: SessionID
    var fence: FenceToken
    var since: Timestamp
    var note: String
}

/// The holders of one exact key: one exclusive grant, or one or more shared grants in grant order.
///
/// The table stores the two cases in separate dictionaries (see `exclusiveGrants`); this is the combined view.
enum KeyHolding: Sendable {
    case exclusive(Grant)
    /// Never empty.
    case shared([Grant])

    var mode: LockMode {
        switch self {
        case .exclusive: .exclusive
        case .shared: .shared
        }
    }

    /// The earliest remaining grant: the holder named when the key refuses a request.
    var first: Grant {
        switch self {
        case let .exclusive(grant): grant
        case let .shared(grants): grants[0]
        }
    }

    var grants: [Grant] {
        switch self {
        case let .exclusive(grant): [grant]
        case let .shared(grants): grants
        }
    }

    func grant(of session: SessionID) -> Grant? {
        switch self {
        case let .exclusive(grant): grant.session == session ? grant : nil
        case let .shared(grants): grants.first { $0.session == session }
        }
    }
}

extension LockTable {
    /// The holders of `key`, if it is held.
    func holding(_ key: String) -> KeyHolding? {
        if let grant = exclusiveGrants[key] { return .exclusive(grant) }
        if !sharedGrants.isEmpty, let grants = sharedGrants[key] { return .shared(grants) }
        return nil
    }

    mutating func setHolding(_ key: String, _ holding: KeyHolding) {
        switch holding {
        case let .exclusive(grant): exclusiveGrants[key] = grant
        case let .shared(grants): sharedGrants[key] = grants
        }
    }

    mutating func removeHolding(_ key: String) -> KeyHolding? {
        if let grant = exclusiveGrants.removeValue(forKey: key) { return .exclusive(grant) }
        return sharedGrants.removeValue(forKey: key).map { .shared($0) }
    }
}

/// A queued acquire.
struct Waiter: Hashable, Sendable {
    var request: RequestID
    var key: LockKey
    var mode: LockMode
    var note: String
    /// The log index of the acquire's entry: the global arrival order among waiters.
    var arrival: UInt64
    var enqueuedAt: Timestamp
    var deadline: Timestamp
    /// The roles the requester claimed, checked against holds when it is granted.
    var roles: [String] = []
    /// Every key of an all-or-nothing acquire, in the request's order; empty for a single-key waiter. The
    /// same waiter stands in the queue of each of these keys.
    var group: [LockKey] = []
    /// A queued upgrade of the session's shared lock on `key` to exclusive.
    var isUpgrade = false

    /// The keys this waiter waits for: its group, or its key.
    var keys: [LockKey] { group.isEmpty ? [key] : group }
}

/// Everything the table keeps about an open session.
struct SessionRecord: Sendable {
    var id: SessionID
    var owner: String
    /// The authenticated client that opened the session (`openClientSession`); nil on an open client port.
    var client: String?
    var nonce: UInt64
    var ttlMilliseconds: UInt64
    var openedAt: Timestamp
    var renewalGeneration: UInt64 = 0
    var leaseDeadline: Timestamp
    /// The remaining lock-lease time the last applied checkpoint set, bounded by twice the TTL; the TTL
    /// until a checkpoint is applied.
    var checkpointRemainingMilliseconds: UInt64
    var lastSequence: UInt64 = 0
    /// The answer to request `lastSequence`, kept compactly (see `StoredResult`).
    var storedResult: StoredResult?
    /// Keys held, in no particular order: every output derived from them is sorted first.
    var heldKeys: [LockKey] = []
    var waitingKeys: [LockKey] = []

    /// The answer to request `lastSequence`, returned again if that request is retried.
    var lastResult: CommandResult? {
        get {
            switch storedResult {
            case nil: nil
            case let .granted(fence, mode, since, note)?:
                .granted(fence, Holder(session: id, owner: owner, mode: mode, fence: fence, since: since, note: note))
            case .released?: .released
            case let .other(box)?: box.result
            }
        }
        set {
            switch newValue {
            case nil: storedResult = nil
            case let .granted(fence, holder)?
            where holder.session == id && holder.owner == owner && holder.fence == fence:
                storedResult = .granted(fence: fence, mode: holder.mode, since: holder.since, note: holder.note)
            case .released?: storedResult = .released
            case let result?: storedResult = .other(ResultBox(result))
            }
        }
    }

    mutating func removeHeld(_ key: LockKey) {
        guard let position = heldKeys.firstIndex(of: key) else {
            preconditionFailure("\(id) does not list \(key) among its held keys \(heldKeys)")
        }
        heldKeys.swapAt(position, heldKeys.count - 1)
        heldKeys.removeLast()
    }

    mutating func removeWaiting(_ key: LockKey) {
        guard let position = waitingKeys.firstIndex(of: key) else {
            preconditionFailure("\(id) does not list \(key) among its waiting keys \(waitingKeys)")
        }
        waitingKeys.swapAt(position, waitingKeys.count - 1)
        waitingKeys.removeLast()
    }
}

/// A session's last answer without the parts the session record already holds: the two answers almost
/// every session ends with (its own grant, or "released") take no allocation and a third of the space of a
/// `CommandResult`, which matters with a hundred thousand sessions.
enum StoredResult: Sendable {
    case granted(fence: FenceToken, mode: LockMode, since: Timestamp, note: String)
    case released
    case other(ResultBox)
}

/// Any other answer, boxed so that it does not widen every session record.
final class ResultBox: Sendable {
    let result: CommandResult
    init(_ result: CommandResult) { self.result = result }
}

/// A lock-delay's end, ordered by time and then key bytes, for purging in a deterministic order.
struct DelayMark: Hashable, Sendable, Comparable {
    var until: Timestamp
    var key: String

    static func < (lhs: DelayMark, rhs: DelayMark) -> Bool {
        if lhs.until != rhs.until { return lhs.until < rhs.until }
        return lhs.key.utf8.lexicographicallyPrecedes(rhs.key.utf8)
    }

    // Byte equality, to agree with `<` (String's own `==` is canonical equivalence).
    static func == (lhs: DelayMark, rhs: DelayMark) -> Bool {
        lhs.until == rhs.until && lhs.key.utf8.elementsEqual(rhs.key.utf8)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(until)
        for byte in key.utf8 { hasher.combine(byte) }
    }
}

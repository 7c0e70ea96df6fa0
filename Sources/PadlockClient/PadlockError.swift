/// The one error type of the client library: a code from a closed set, and a message saying what happened
/// and what to do.
///
/// The codes mirror the four reasons a request can fail (DESIGN.md §1): bad input (``Code/invalidArgument``),
/// permission (``Code/permissionDenied``), system fault (``Code/unavailable``) and network fault
/// (``Code/outcomeUnknown(_:)``), plus the lock outcomes (``Code/held(by:)``, ``Code/sessionExpired``,
/// ``Code/lockLost``) and ``Code/cancelled``. `docs/client.md` maps every wire failure to a code.
public struct PadlockError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why a call failed.
    public enum Code: Sendable, Hashable {
        /// Bad input: a malformed key, a note or reason too long, a TTL or wait out of range, a bad endpoint.
        /// Nothing was sent (or the cluster refused it before doing anything). Fix the input; do not retry.
        case invalidArgument
        /// The credentials were refused or the caller may not do this. Do not retry.
        case permissionDenied
        /// The key is held by these holders (a try-lock, or a wait that ran out): everyone whose lock on the
        /// key, an ancestor or a descendant conflicts, the first one the cluster decided on first. At most 16
        /// (``PadlockError/holdersTruncated`` says more conflict); ``PadlockError/conflicts`` adds each one's key
        /// and whether it is one of this client's own locks. Show the holders to the user.
        case held(by: [Holder])
        /// No leader answered before the deadline, the cluster is overloaded, or the key cannot be granted
        /// right now for a reason other than a holder (lock-delay, earlier waiters). Nothing was applied.
        /// Retry later.
        case unavailable
        /// The deadline passed while the request may have been applied. The library settles it in the
        /// background (it never leaks a grant); ask ``PadlockClient/resolve(_:)`` what became of it.
        case outcomeUnknown(RequestID)
        /// The session that owned the lock or the request ended (expired or revoked). Its locks are gone.
        case sessionExpired
        /// The lock was lost before it was released: it expired or was released by force. Stop using its fence.
        case lockLost
        /// The calling task was cancelled, or the client was closed.
        case cancelled
        /// A hold (a rule lock such as "Deal closed", `docs/holds.md`) refuses this lock to this user: the
        /// roles given with the acquire are not exempt and the key is not one of its editable fields. The
        /// message names the rule, its reason, since when, who placed it and who may edit; show it to the user
        /// verbatim. Do not retry until the hold is lifted.
        case restricted(by: Hold)

        /// The code's name, for messages and metrics.
        public var name: String {
            switch self {
            case .invalidArgument: "invalidArgument"
            case .permissionDenied: "permissionDenied"
            case .held: "held"
            case .unavailable: "unavailable"
            case .outcomeUnknown: "outcomeUnknown"
            case .sessionExpired: "sessionExpired"
            case .lockLost: "lockLost"
            case .cancelled: "cancelled"
            case .restricted: "restricted"
            }
        }
    }

    /// Why the call failed.
    public var code: Code
    /// What happened and what to do, in a sentence fit for a log or an operator.
    public var message: String
    /// How long to wait before trying again, when the refusal says: set for a key under lock-delay (until it
    /// is free again, on the leader's clock read against this machine's) and for an overloaded cluster or
    /// client (the cluster's hint, or the client's current backoff). `nil` when waiting would not help or no
    /// time is known; the message says the same in words.
    public var retryAfter: Duration?
    /// For ``Code/held(by:)``: each conflicting lock, in the order of the code's holders, with its key and
    /// whether it is this client's own (a whole-record try-lock refused because of the caller's own field
    /// lock). Empty for every other code.
    public var conflicts: [Conflict]
    /// For ``Code/held(by:)``: whether more locks conflict than the 16 listed.
    public var holdersTruncated: Bool

    /// One lock that conflicts with a refused acquire.
    public struct Conflict: Sendable, Hashable {
        /// The key it holds: the one asked for, an ancestor (a whole-record lock) or a descendant (a field).
        public var key: LockKey
        /// Who holds it.
        public var holder: Holder
        /// Whether it is held by one of this client's own sessions: the caller is in its own way.
        public var isOwn: Bool

        /// Creates a conflict.
        public init(key: LockKey, holder: Holder, isOwn: Bool) {
            self.key = key
            self.holder = holder
            self.isOwn = isOwn
        }
    }

    /// Creates an error.
    public init(
        _ code: Code, _ message: String, retryAfter: Duration? = nil, conflicts: [Conflict] = [],
        holdersTruncated: Bool = false
    ) {
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
        self.conflicts = conflicts
        self.holdersTruncated = holdersTruncated
    }

    /// Whether `holder`, one of a ``Code/held(by:)`` error's holders, is this client's own lock.
    public func isOwn(_ holder: Holder) -> Bool {
        conflicts.contains { $0.isOwn && $0.holder == holder }
    }

    /// The code's name and the message.
    public var description: String { "\(code.name): \(message)" }
}

extension PadlockError {
    static func invalid(_ message: String) -> PadlockError { PadlockError(.invalidArgument, message) }
    static func unavailable(_ message: String, retryAfter: Duration? = nil) -> PadlockError {
        PadlockError(.unavailable, message, retryAfter: retryAfter)
    }
    static func cancelled(_ message: String) -> PadlockError { PadlockError(.cancelled, message) }

    static let callCancelled = PadlockError(.cancelled, "the calling task was cancelled")
    static let clientClosed = PadlockError(
        .cancelled, "this PadlockClient is closed; create a new one to talk to the cluster")
    /// How long a caller the client itself turned away for overload should wait.
    static let localOverloadRetryAfter: Duration = .milliseconds(100)

    static let clientBusy = PadlockError(
        .unavailable,
        "the client's mailbox is full (too many calls at once); retry in "
            + "\(Wording.duration(localOverloadRetryAfter))", retryAfter: localOverloadRetryAfter)

    static func outcomeUnknown(_ id: RequestID, _ what: String) -> PadlockError {
        PadlockError(
            .outcomeUnknown(id),
            "the deadline passed while \(what) (request \(id)) may have been applied; the library settles it in "
                + "the background, ask resolve(\(id)) what became of it")
    }
}

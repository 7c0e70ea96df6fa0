import LockTable
import PadlockTypes
import Raft
import Wire

/// Where an answer goes: a client connection and the request's correlation id on it.
///
/// A `part` is one session of a batch renewal: its answer goes into that batch (`RenewalBatchBook`), which
/// answers the connection once every part is answered. A part travels every path a single renewal travels,
/// so whatever answers a single renewal exactly once answers each part exactly once.
struct ReplyTarget: Hashable {
    var client: ClientID
    var correlation: CorrelationID
    var part: BatchPart? = nil
}

/// One session's place in a batch renewal.
struct BatchPart: Hashable {
    /// The batch's number in `RenewalBatchBook`.
    var batch: UInt64
    /// The session's position in the request.
    var index: Int
}

/// Batch renewals whose parts are not all answered yet (`Node+Leases.swift`).
struct RenewalBatchBook {
    struct Batch {
        var reply: ReplyTarget
        var sessions: [SessionID]
        var answers: [Result<SessionGrant, ClientFailure>?]
        var unanswered: Int
    }

    var open: [UInt64: Batch] = [:]
    var next: UInt64 = 1

    /// Starts a batch for `sessions`; returns its number.
    mutating func start(_ sessions: [SessionID], reply: ReplyTarget) -> UInt64 {
        let number = next
        next += 1
        open[number] = Batch(
            reply: reply, sessions: sessions, answers: Array(repeating: nil, count: sessions.count),
            unanswered: sessions.count)
        return number
    }

    /// Records one part's answer (a second answer to the same part is ignored); returns the finished batch
    /// when this was its last unanswered part.
    mutating func record(_ part: BatchPart, _ answer: Result<SessionGrant, ClientFailure>) -> Batch? {
        guard var batch = open[part.batch], batch.answers.indices.contains(part.index),
            batch.answers[part.index] == nil
        else { return nil }
        batch.answers[part.index] = answer
        batch.unanswered -= 1
        guard batch.unanswered == 0 else {
            open[part.batch] = batch
            return nil
        }
        open[part.batch] = nil
        return batch
    }
}

/// A proposal this leader made and is waiting to see applied.
struct PendingProposal {
    /// The term it was proposed in; an entry of another term at its index means it was lost.
    var term: Term
    var reply: ReplyTarget?
    var purpose: ProposalPurpose
}

/// Why the leader proposed an entry, which says what to do once it is applied.
enum ProposalPurpose {
    /// A client request; the answer is mapped from the command's result.
    case client(ClientCommandKind)
    /// A lease checkpoint that lets the leader acknowledge renewals until each session's window end.
    case coverage([CoverageGrant], proposedAt: UInt64)
    /// A lease checkpoint that brings recorded lease time down to what is still needed.
    case decay
    /// The expiry of a session whose lease ran out on the leader's clock.
    case expiry(SessionID)
    /// The expiry of a waiter whose wait ran out.
    case waiterExpiry(RequestID)
    /// The configured per-namespace quotas, which differed from the applied ones.
    case quotas
    /// An empty checkpoint whose stamp ends a lock-delay, so the waiters it held back are granted.
    case lockDelayNudge
    /// A membership change or address record; answered with the member list once applied.
    case membership
}

/// What kind of client command an answer is mapped from.
enum ClientCommandKind {
    case open, close, acquire, release, cancelWait, forceUnlock, revoke, resolve, takeover, placeHold, liftHold
}

/// One session a coverage checkpoint lets the leader acknowledge renewals for, until `windowEnd`.
struct CoverageGrant {
    var session: SessionID
    var windowEnd: UInt64
}

/// The leader's view of one session's lock lease, on its own monotonic clock (docs/leases.md).
struct SessionLease {
    /// The session's TTL as the table records it.
    var ttl: UInt64
    /// The leader may expire the session once its clock reaches this: the latest renewal received plus the
    /// TTL, or what the recorded lease time allowed when this node took over.
    var deadline: UInt64
    /// Renewals counted since the table last recorded one; only grows.
    var generation: UInt64
    /// Renewals received before this instant may be acknowledged without a new checkpoint: a committed
    /// checkpoint recorded enough lease time for any of them.
    var ackUntil: UInt64 = 0
    /// When the latest renewal arrived (or the lease was set up).
    var lastRenewal: UInt64
    /// The lease time the table records for the session (its `checkpointRemainingMilliseconds`), which a
    /// new leader would grant from its own takeover.
    var recordedRemaining: UInt64

    /// The window a coverage checkpoint grants: half a TTL, so a client renewing every third of its TTL
    /// needs a checkpoint about every other renewal.
    var coverageWindow: UInt64 { max(ttl / 2, 1) }

    /// The lease time any future leader must still grant, measured from `now`: enough for every renewal
    /// received, and for every renewal this leader may still acknowledge inside its window.
    func neededRemaining(at now: UInt64) -> UInt64 {
        let forRenewals = deadline > now ? deadline - now : 0
        let forWindow = ackUntil > now ? ackUntil - now + ttl : 0
        return max(forRenewals, forWindow)
    }
}

/// A renewal that waits for something: a coverage checkpoint, or the outcome of an expiry in flight.
struct WaitingRenewal {
    var receipt: UInt64
    var reply: ReplyTarget
}

/// State a node keeps only while it leads a term.
struct Leadership {
    /// The term led.
    var term: Term
    /// The first entry of the term (the leader's no-op): once it is applied, the table holds everything
    /// earlier leaders committed, and the leader starts its housekeeping.
    var firstIndex: LogIndex
    /// The latest stamp known at takeover and the monotonic time then: stamps advance at least as fast as
    /// this leader's own clock from there.
    var stampBase: (stamp: UInt64, monotonic: UInt64)
    /// The no-op has been applied.
    var isReady = false
    /// When this leader last proposed its configured quotas (monotonic ms), to propose at most once a second.
    var lastQuotaProposal: UInt64?
    var leases: [SessionID: SessionLease] = [:]
    /// One entry per open session, by deadline (re-inserted when a popped deadline was extended).
    var leaseDeadlines = DeadlineHeap<SessionID>()
    /// Renewals that arrived before the leader was ready, with their receipt times.
    var renewalsBeforeReady: [(session: SessionID, renewal: WaitingRenewal)] = []
    /// Renewals waiting for a coverage checkpoint, per session.
    var renewalsAwaitingCoverage: [SessionID: [WaitingRenewal]] = [:]
    /// Sessions to put in the next coverage checkpoint.
    var coverageNeeded: Set<SessionID> = []
    /// Sessions whose expiry is proposed and not yet applied, and renewals waiting for its outcome.
    var expiriesInFlight: Set<SessionID> = []
    /// Expiries decided (their zero-time checkpoint is proposed) but not yet proposed themselves.
    var expiriesToPropose: [(session: SessionID, generation: UInt64)] = []
    var renewalsAwaitingExpiry: [SessionID: [WaitingRenewal]] = [:]
    var waiterExpiriesInFlight: Set<RequestID> = []
    /// The lock-delay end an empty checkpoint was already proposed for.
    var nudgedLockDelayEnd: Timestamp?
    var lastDecayScan: UInt64 = 0
    var lastWaiterScan: UInt64 = 0
}

/// Linearizable reads: collected until the next flush, confirmed by one ReadIndex round, then served once
/// the table has applied the confirmed index.
struct ReadBook {
    /// Reads that arrived since the last flush.
    var collecting: [PendingRead] = []
    /// Batches waiting for their ReadState, by context number.
    var awaitingConfirmation: [UInt64: [PendingRead]] = [:]
    /// Confirmed reads, in the order their indexes were confirmed (non-decreasing).
    var confirmed: [(index: LogIndex, read: PendingRead)] = []
    var nextContext: UInt64 = 1

    var count: Int { collecting.count + awaitingConfirmation.values.reduce(0) { $0 + $1.count } + confirmed.count }
}

/// One read waiting to be served.
struct PendingRead {
    var query: ReadQuery
    var reply: ReplyTarget
}

/// What a read asks.
enum ReadQuery {
    case inspect(LockKey)
    case list(ListQuery)
    case checkFence(LockKey, FenceToken)
    case holds(prefix: LockKey?, after: LockKey?, limit: Int)
    case audit(after: UInt64?, limit: Int)
    case members
    /// A renewal answered through a read: the leader's lease book does not know the session (or it already
    /// has a checkpoint covering the renewal), and the answer must reflect every earlier commit.
    case renewal(SessionID, receipt: UInt64)
    /// A subscription: its first states and its start index are a read, served only once a quorum confirmed
    /// this node still leads (a deposed leader would start a watch in the past).
    case subscribe(Subscription)
    /// An online backup: encoded from the table once it has applied the confirmed index (`Node+Backup.swift`).
    case backup
}

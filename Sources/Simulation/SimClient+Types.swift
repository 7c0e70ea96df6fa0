import PadlockTypes
import Wire

/// A lock the client believes it holds: it acts on it (writes with its fence) while its own conservative
/// deadline has not passed.
struct BelievedHold {
    var key: LockKey
    var mode: LockMode
    var fence: FenceToken
    var session: SessionID
}

/// A client's session, as the client knows it.
struct ClientSession {
    var id: SessionID
    var ttl: UInt64
    /// Local time (µs) at which the last acknowledged open or renewal was sent.
    var acknowledgedSendLocal: Double
    var nextSequence: UInt64 = 1
}

/// What one client operation does.
enum ClientOpKind {
    case open(nonce: UInt64)
    case acquire(key: LockKey, mode: LockMode, wait: UInt64)
    case release(key: LockKey, fence: FenceToken)
    case close
    case checkFence(key: LockKey, fence: FenceToken)
    case forceUnlock(key: LockKey)
    case revoke(SessionID)
    /// Asks for the truth about an earlier request whose answer never came.
    indirect case resolve(original: ClientOpKind)
    /// The liveness phase's last question: does a leader serve?
    case probe
}

/// The operation a client has in flight (one at a time; renewals run beside it).
struct ClientOp {
    var kind: ClientOpKind
    var operation: ClientOperation
    var requestID: RequestID?
    var session: SessionID?
    var invokeTrue: UInt64
    /// After this local time (µs) the client gives up waiting; nil: never (opens, resolutions, the probe).
    var deadlineLocal: Double?
    var serial: UInt64
    var sent = false
    /// Local time (µs) the first attempt was sent: a retried open is answered with the session the first
    /// attempt created, whose lease started when that one arrived.
    var firstSentLocal: Double?
    /// The history operation this one completes (a resolution completes its original's).
    var historyIndex: Int?
}

/// What an answer to one attempt was for.
enum AttemptPurpose {
    case operation(serial: UInt64)
    case renewal(session: SessionID, sentLocal: Double)
}

/// One request on the wire, waiting for its answer.
struct Attempt {
    var purpose: AttemptPurpose
    var node: Int
    var connection: UInt64
    /// Local time (µs) the attempt was sent.
    var sentLocal: Double
}

/// Timer purposes, packed into a token's high byte.
enum ClientTimer: UInt64 {
    case think = 1, attemptTimeout, renewal, editDone, retry
}

extension ClientTimer {
    func token(_ payload: UInt64) -> UInt64 { rawValue << 56 | (payload & 0x00FF_FFFF_FFFF_FFFF) }

    static func decode(_ token: UInt64) -> (ClientTimer, UInt64)? {
        guard let timer = ClientTimer(rawValue: token >> 56) else { return nil }
        return (timer, token & 0x00FF_FFFF_FFFF_FFFF)
    }
}

/// An answer reduced to what must be identical each time the same request is answered (exactly-once).
func normalizedAnswer(_ outcome: Result<ClientResult, ClientFailure>) -> String? {
    switch outcome {
    case .success(.granted(let holder)): return "granted \(holder.session) \(holder.fence)"
    case .success(.released): return "released"
    case .success(.sessionClosed): return "closed"
    case .success(.waitCancelled): return "cancelled"
    case .success(.forceUnlocked(let previous)): return "forced \(previous.map(\.fence))"
    case .success(.sessionRevoked): return "revoked"
    case .success: return nil
    case .failure(.held(let holders, _, _)):
        // The first holder, as before the answer named them all: traces stay comparable across versions.
        return "held " + (holders.first.map { "\($0.holder.session) \($0.holder.fence)" } ?? "nobody")
    case .failure(.lockDelayed(let until)): return "delayed \(until)"
    case .failure(.waitersAhead(let key, _)): return "waiters \(key)"
    case .failure(.notHeld): return "notHeld"
    case .failure(.timedOut): return "timedOut"
    case .failure(.sessionExpired): return "expired"
    case .failure(.notWaiting): return "notWaiting"
    case .failure(.invalidArgument(let message)): return "invalid \(message)"
    case .failure(.notLeader), .failure(.unavailable), .failure(.overloaded), .failure(.permissionDenied),
        .failure(.lockLost), .failure(.unknownRequest), .failure(.superseded):
        return nil
    }
}

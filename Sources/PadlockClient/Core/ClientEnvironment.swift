/// Everything the client core needs from the world around it: a monotonic clock, timers, connections to
/// endpoints and randomness. The libuv loop (`LoopClientEnvironment`) serves `PadlockClient`; the simulator
/// supplies its own over its simulated clock and network, so both run the same core (as `Node` runs over a
/// `NodeEnvironment`).
///
/// Every call is made on the core's own thread, and every callback the environment makes (timers, connect
/// completions, frames, closes, writability) is delivered on that thread, never from inside the call that
/// started it.
package protocol ClientEnvironment: AnyObject {
    /// The client's monotonic clock: it never goes back and keeps counting while the machine is suspended.
    /// Lease deadlines, call deadlines and send times are read from it. Callable from any thread (a lock's
    /// `state` reads it from the caller's).
    var clock: @Sendable () -> ContinuousClock.Instant { get }
    /// Calls `body` once after `delay`, unless the timer is cancelled first.
    func schedule(after delay: Duration, _ body: @escaping () -> Void) -> any ClientTimer
    /// Opens a framed connection to the endpoint `host:port` (a numeric address); `completion` gets it once
    /// connected, or why it could not be opened within `timeout`.
    func connect(
        host: String, port: Int, timeout: Duration,
        completion: @escaping (Result<any ClientConnection, ClientConnectFailure>) -> Void)
    /// A uniformly random number (session nonces, backoff jitter); a simulator draws it from its seed.
    func randomUInt64() -> UInt64
    /// The wall-clock time now, to compare with the leader's timestamps: only for when a watched key's
    /// lock-delay ends, never for lease safety. The default reads this machine's clock.
    func wallTime() -> Timestamp
    /// Client bugs to inject, for the simulator's self-test; production leaves them all off.
    var injectedBugs: ClientInjectedBugs { get }
}

extension ClientEnvironment {
    /// The time now on the environment's clock.
    package var now: ContinuousClock.Instant { clock() }

    /// A random number in `range`, from the environment's source.
    package func random(in range: ClosedRange<UInt64>) -> UInt64 {
        let width = range.upperBound &- range.lowerBound
        if width == .max { return randomUInt64() }
        return range.lowerBound + randomUInt64() % (width + 1)
    }

    /// No bug injected.
    package var injectedBugs: ClientInjectedBugs { ClientInjectedBugs() }
}

/// A pending timer of a `ClientEnvironment`.
package protocol ClientTimer: AnyObject {
    /// Stops the timer; its body will not run. Cancelling twice, or after it fired, does nothing.
    func cancel()
}

/// One framed connection the environment opened. Frames are whole payloads (the environment frames them).
package protocol ClientConnection: AnyObject {
    /// Called with each frame that arrives.
    var onFrame: (([UInt8]) -> Void)? { get set }
    /// Called once when the connection closes for any reason but `abort()`.
    var onClose: ((ClientConnectionLoss) -> Void)? { get set }
    /// Called when a send refused with `backpressure` may be tried again.
    var onWritable: (() -> Void)? { get set }
    /// Queues one frame.
    func send(_ frame: [UInt8]) -> ClientSendAnswer
    /// Closes the connection at once, dropping what is queued; `onClose` is not called.
    func abort()
}

/// The answer to `ClientConnection.send(_:)`.
package enum ClientSendAnswer: Sendable, Equatable {
    /// Queued; it will be written in order.
    case queued
    /// The write queue is full; wait for `onWritable`.
    case backpressure
    /// It can never be sent on this connection.
    case frameTooLarge
    /// The connection is closing or closed.
    case closed
}

/// Why a connection closed, in words, with a hint for when it closed before answering the handshake (a TLS
/// setting that does not match the server's, for example); empty when there is none.
package struct ClientConnectionLoss: Sendable, Equatable {
    package var reason: String
    package var handshakeHint: String

    package init(reason: String, handshakeHint: String = "") {
        self.reason = reason
        self.handshakeHint = handshakeHint
    }
}

/// Why a connection could not be opened, in words.
package struct ClientConnectFailure: Error, Sendable, CustomStringConvertible {
    package var description: String

    package init(_ description: String) { self.description = description }
}

/// Client bugs the simulator's self-test injects to prove its checkers catch them (like `NodeInjectedBugs`).
/// Production never sets them.
package struct ClientInjectedBugs: Sendable, Equatable {
    /// A retry of a mutating request is numbered with a fresh sequence instead of the same one: the cluster
    /// cannot recognise it as the same request, so exactly-once breaks.
    package var freshSequenceOnRetry = false
    /// A lease reports `.safe` until the TTL has passed on the client's clock, ignoring the drift margin and
    /// the at-risk window: the client believes it holds locks the cluster may already have expired.
    package var leaseIgnoresMargin = false

    package init(freshSequenceOnRetry: Bool = false, leaseIgnoresMargin: Bool = false) {
        self.freshSequenceOnRetry = freshSequenceOnRetry
        self.leaseIgnoresMargin = leaseIgnoresMargin
    }
}

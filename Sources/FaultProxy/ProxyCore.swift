import EventLoop
import Logging

/// A proxy's loop-confined state: the listener, the connection pairs and the fault in effect. Loop thread
/// only.
final class ProxyCore {
    let loop: EventLoop
    let target: ProxyTarget
    let shared: ProxyShared
    let logger: Logger
    private var listener: TCPListener?
    private var pairs: [Int: ProxiedConnection] = [:]
    private var nextPairNumber = 0
    private(set) var fault = ProxyFault.pass
    /// The pair that carried the first client bytes after ``ProxyFault/cutAfterNextRequest`` was set: the one
    /// to cut at its first answer.
    private var cutCandidate: Int?
    private var isShutDown = false

    /// The connection limits of both sides: raw bytes, and no automatic pause on a full write queue, because
    /// each stream pauses its own source instead (pausing the destination's reading would stall the other way).
    static let limits = ConnectionLimits(
        writeQueueBytesMax: 1 << 20, writeQueueLowWaterBytes: 256 << 10, pausesReadingWhenWriteQueueFull: false,
        framing: .raw)

    init(loop: EventLoop, target: ProxyTarget, shared: ProxyShared, logger: Logger) {
        self.loop = loop
        self.target = target
        self.shared = shared
        self.logger = logger
    }

    /// Starts listening; returns the port.
    func listen(host: String, port: Int) throws(UVError) -> Int {
        // The accept callback holds the core until the listener closes (shutDown, or the loop stopping).
        let listener = try loop.listen(host: host, port: port, limits: Self.limits) { connection in
            self.accept(connection)
        }
        self.listener = listener
        return listener.port
    }

    private func accept(_ client: TCPConnection) {
        shared.count { $0.connectionsAccepted += 1 }
        guard fault != .reset, !isShutDown else {
            shared.count { $0.connectionsReset += 1 }
            client.abort()
            return
        }
        nextPairNumber += 1
        let pair = ProxiedConnection(number: nextPairNumber, client: client, core: self)
        pairs[pair.number] = pair
        shared.count { $0.connectionsOpen += 1 }
        pair.connectUpstream()
    }

    func setFault(_ fault: ProxyFault) {
        self.fault = fault
        cutCandidate = nil
        shared.state.withLock { $0.fault = fault }
        logger.debug("fault set", metadata: ["fault": "\(fault)", "upstream": "\(target.host):\(target.port)"])
        if fault == .reset {
            for pair in pairs.values { pair.reset() }
        }
    }

    /// Whether bytes going `direction` are dropped now.
    func drops(_ direction: ProxyDirection) -> Bool {
        if case .blackHole(let dropped) = fault { return dropped.covers(direction) }
        return false
    }

    /// How long a chunk going `direction` is held before it is forwarded now (a latency fault draws its
    /// jitter per chunk).
    func delay(_ direction: ProxyDirection) -> Duration {
        switch fault {
        case .delay(let duration): return duration
        case .latency(let toUpstream, let toClient):
            var random = SystemRandomNumberGenerator()
            return (direction == .toUpstream ? toUpstream : toClient).draw(using: &random)
        default: return .zero
        }
    }

    /// Called before a pair forwards client bytes: the first pair to do so after a cut was armed becomes the
    /// one to cut.
    func clientBytesForwarded(by pair: ProxiedConnection) {
        guard fault == .cutAfterNextRequest, cutCandidate == nil else { return }
        cutCandidate = pair.number
    }

    /// Whether `pair` must be cut now that its first answer bytes arrived; consumes the one-shot fault.
    func cutsAnswer(of pair: ProxiedConnection) -> Bool {
        guard fault == .cutAfterNextRequest, cutCandidate == pair.number else { return false }
        cutCandidate = nil
        fault = .pass
        shared.state.withLock {
            $0.fault = .pass
            $0.counters.cuts += 1
        }
        logger.debug("cut a connection after its request", metadata: ["pair": "\(pair.number)"])
        return true
    }

    /// Forgets a pair whose two connections have closed.
    func pairClosed(_ pair: ProxiedConnection) {
        guard pairs.removeValue(forKey: pair.number) != nil else { return }
        if cutCandidate == pair.number { cutCandidate = nil }
        shared.count { $0.connectionsOpen -= 1 }
    }

    /// Stops listening and resets every connection.
    func shutDown() {
        isShutDown = true
        listener?.close()
        listener = nil
        for pair in pairs.values { pair.reset() }
    }
}

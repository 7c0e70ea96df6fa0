import EventLoop
import Logging

/// The port a connection came in on, for limits, logs and metrics.
enum ServicePort: String, Sendable, CaseIterable {
    case client
    case peer
}

/// How long a connection may take to identify itself, how many may be doing so at once, and when a silent
/// one is closed (docs/configuration.md, `[connections]`).
package struct ConnectionSettings: Sendable, Equatable {
    /// Accept to accepted handshake (TLS, handshake frame, and on the peer port the secret's proof).
    package var handshakeTimeout: Duration = .seconds(10)
    /// An authenticated client connection that has sent nothing for this long, has no request waiting for
    /// an answer and has used no session that is still open is closed. Nil: never.
    package var clientIdleTimeout: Duration? = .seconds(60)
    /// Client connections still in their handshake, at most (the oldest is closed to make room).
    package var clientPendingMax = 512
    /// Client connections in their handshake from one address, at most.
    package var clientPendingPerAddressMax = 64
    /// Peer connections still in their handshake, at most.
    package var peerPendingMax = 32
    /// Peer connections in their handshake from one address, at most.
    package var peerPendingPerAddressMax = 16
    /// Authenticated peer links from one member, at most (a new one closes the oldest: a member keeps one
    /// link to each peer, so an older one is a link its restart left behind).
    package var peerLinksPerMemberMax = 4
    /// Requests on the admin port must be complete within this of connecting.
    package var adminRequestTimeout: Duration = .seconds(10)
    /// Descriptors kept free of client and peer connections for the log, snapshots, outgoing peer links
    /// and the admin port.
    package var descriptorReserve = 192

    /// The defaults.
    package init() {}

    func pendingMax(_ port: ServicePort) -> Int { port == .client ? clientPendingMax : peerPendingMax }
    func pendingPerAddressMax(_ port: ServicePort) -> Int {
        port == .client ? clientPendingPerAddressMax : peerPendingPerAddressMax
    }
}

/// Admission on the client and peer ports: every accepted connection is "pending" until its handshake is
/// accepted, and pending connections have a deadline and a pool of their own, separate from the slots of
/// authenticated clients and members, so a flood of strangers can neither hold a port forever nor crowd
/// out a known member. When a pool (or the descriptor budget) is full, the oldest pending connection is
/// closed to make room: idle strangers go first, and a member whose handshake takes a round trip gets in.
///
/// Refused handshakes are logged with the source address, at most once per address and reason per 10 s,
/// with a summary of what was left out every 10 s; every refusal is counted by port and reason.
///
/// Loop thread only.
final class ConnectionGate {
    struct Pending {
        let connection: TCPConnection
        let port: ServicePort
        let host: String
        let deadline: Ticks
        /// Whether it sent a well-formed first step of the handshake (a peer answering the secret's
        /// challenge): such connections are shed only after those that sent nothing useful.
        var progressed = false
    }

    let loop: EventLoop
    let settings: ConnectionSettings
    /// Connections (pending and established, both ports) the descriptor limit leaves room for.
    let connectionBudget: Int
    let logger: Logger
    let metrics: ServerMetrics
    private(set) var pending: [Int: Pending] = [:]
    private var pendingByPort: [ServicePort: Int] = [:]
    private var pendingByHost: [String: Int] = [:]
    private(set) var established: Set<Int> = []
    private(set) var refusals = RefusalLog()
    private var sweepTimer: LoopTimer?
    /// Called on every sweep (once a second), after the handshake deadlines.
    var onSweep: [(Ticks) -> Void] = []

    init(
        loop: EventLoop, settings: ConnectionSettings, connectionBudget: Int, logger: Logger, metrics: ServerMetrics
    ) {
        self.loop = loop
        self.settings = settings
        self.connectionBudget = connectionBudget
        self.logger = logger
        self.metrics = metrics
    }

    func start() {
        sweepTimer = loop.schedule(after: .seconds(1), repeating: .seconds(1)) { [unowned self] in self.sweep() }
    }

    func stop() {
        sweepTimer?.cancel()
        sweepTimer = nil
    }

    /// Pending connections on `port` now.
    func pendingCount(_ port: ServicePort) -> Int { pendingByPort[port] ?? 0 }

    /// Takes a new connection as pending, making room first; false when it was closed at once instead.
    func admit(_ connection: TCPConnection, on port: ServicePort) -> Bool {
        let host = connection.remoteHost ?? "unknown"
        if pending.count + established.count >= connectionBudget {
            guard let victim = oldestPending(where: { _ in true }) else {
                metrics.count(shed: "descriptors")
                noteShedding("no descriptor left for a new connection; refusing it", port: port, host: host)
                connection.abort()
                return false
            }
            shed(victim, reason: "descriptors")
        }
        if pendingCount(port) >= settings.pendingMax(port), let victim = oldestPending(where: { $0.port == port }) {
            shed(victim, reason: "pending")
        }
        if pendingByHost[key(port, host), default: 0] >= settings.pendingPerAddressMax(port),
            let victim = oldestPending(where: { $0.port == port && $0.host == host })
        {
            shed(victim, reason: "pending-per-address")
        }
        let entry = Pending(
            connection: connection, port: port, host: host, deadline: loop.now + settings.handshakeTimeout)
        pending[connection.number] = entry
        pendingByPort[port, default: 0] += 1
        pendingByHost[key(port, host), default: 0] += 1
        return true
    }

    /// The connection sent a well-formed first step and waits for the next: it is shed last.
    func progressed(_ connection: TCPConnection) {
        pending[connection.number]?.progressed = true
    }

    /// The connection's handshake was accepted: it leaves the pending pool.
    func authenticated(_ connection: TCPConnection) {
        removePending(connection.number)
        established.insert(connection.number)
    }

    /// The connection closed (at any stage).
    func closed(_ connection: TCPConnection) {
        removePending(connection.number)
        established.remove(connection.number)
    }

    /// A handshake refused: counted by port and reason, logged with the source (rate-limited).
    func refused(_ connection: TCPConnection, on port: ServicePort, reason: String, detail: String) {
        metrics.count(refusal: reason, on: port)
        let host = connection.remoteHost ?? "unknown"
        guard refusals.shouldLog(host: host, reason: reason, now: loop.now) else { return }
        logger.warning(
            "refusing a \(port.rawValue) connection",
            metadata: ["source": "\(host)", "reason": "\(reason)", "detail": "\(detail)"])
    }

    private func key(_ port: ServicePort, _ host: String) -> String { "\(port.rawValue) \(host)" }

    private func removePending(_ number: Int) {
        guard let entry = pending.removeValue(forKey: number) else { return }
        pendingByPort[entry.port, default: 1] -= 1
        let hostKey = key(entry.port, entry.host)
        let left = pendingByHost[hostKey, default: 1] - 1
        pendingByHost[hostKey] = left > 0 ? left : nil
    }

    /// The pending connection matching `filter` to shed first: the longest-waiting of those that have not
    /// progressed, else the longest-waiting of all (connection numbers grow with time).
    private func oldestPending(where filter: (Pending) -> Bool) -> Pending? {
        var oldest: Pending?
        for entry in pending.values where filter(entry) {
            guard let current = oldest else {
                oldest = entry
                continue
            }
            if (entry.progressed ? 1 : 0, entry.connection.number) < (
                current.progressed ? 1 : 0, current.connection.number
            ) {
                oldest = entry
            }
        }
        return oldest
    }

    /// Resets the oldest pending connection on either port (an accept failed for want of a descriptor);
    /// false when none is pending.
    func shedOldestPending(reason: String) -> Bool {
        guard let victim = oldestPending(where: { _ in true }) else { return false }
        shed(victim, reason: reason)
        return true
    }

    /// Resets a pending connection to make room (a reset frees its descriptor at once).
    private func shed(_ entry: Pending, reason: String) {
        removePending(entry.connection.number)
        metrics.count(shed: reason)
        noteShedding(
            "closing the oldest connection still in its handshake to make room (\(reason) limit)",
            port: entry.port, host: entry.host)
        entry.connection.abort()
    }

    private func noteShedding(_ message: String, port: ServicePort, host: String) {
        guard refusals.shouldLog(host: host, reason: "shed", now: loop.now) else { return }
        logger.warning(
            "\(message)",
            metadata: [
                "port": "\(port.rawValue)", "source": "\(host)", "pending": "\(pending.count)",
                "established": "\(established.count)", "connectionBudget": "\(connectionBudget)",
            ])
    }

    /// Closes pending connections past their deadline, writes the refusal summary, runs `onSweep`.
    private func sweep() {
        let now = loop.now
        for entry in pending.values.sorted(by: { $0.connection.number < $1.connection.number })
        where entry.deadline <= now {
            removePending(entry.connection.number)
            refused(
                entry.connection, on: entry.port, reason: "timeout",
                detail: "no complete handshake within \(settings.handshakeTimeout)")
            entry.connection.abort()
        }
        if let summary = refusals.summary(now: now) {
            let addresses = summary.addresses == 1 ? "1 address" : "\(summary.addresses) addresses"
            logger.warning(
                "refused \(summary.refused) handshakes from \(addresses) in the last \(summary.window) (not each logged)",
                metadata: ["reasons": "\(summary.reasons)"])
        }
        for body in onSweep { body(now) }
    }
}

/// Decides which refusals are logged: at most one line per source address and reason per window, the rest
/// summed up in one summary line per window. Bounded: it remembers at most `addressesMax` addresses (with
/// their reasons) per window.
struct RefusalLog {
    var window: Duration = .seconds(10)
    var addressesMax = 4_096
    private var windowStart: Ticks?
    private var loggedAt: [String: Ticks] = [:]
    private var suppressed = 0
    private var suppressedAddresses: Set<String> = []
    private var suppressedReasons: [String: Int] = [:]

    struct Summary: Equatable {
        var refused: Int
        var addresses: Int
        var window: Duration
        var reasons: String
    }

    /// Whether this refusal gets a line of its own; otherwise it is counted for the summary.
    mutating func shouldLog(host: String, reason: String, now: Ticks) -> Bool {
        if windowStart == nil { windowStart = now }
        let key = "\(host) \(reason)"
        if let last = loggedAt[key], now - last < window {
            suppressed += 1
            suppressedReasons[reason, default: 0] += 1
            if suppressedAddresses.count < addressesMax { suppressedAddresses.insert(host) }
            return false
        }
        guard loggedAt.count < addressesMax else {
            suppressed += 1
            suppressedReasons[reason, default: 0] += 1
            return false
        }
        loggedAt[key] = now
        return true
    }

    /// The summary of what was not logged, once per window; nil when nothing was left out or the window
    /// has not ended.
    mutating func summary(now: Ticks) -> Summary? {
        guard let start = windowStart, now - start >= window else { return nil }
        windowStart = now
        loggedAt = loggedAt.filter { now - $0.value < window }
        guard suppressed > 0 else { return nil }
        let reasons = suppressedReasons.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
            .joined(separator: ", ")
        let summary = Summary(
            refused: suppressed, addresses: max(1, suppressedAddresses.count), window: window, reasons: reasons)
        suppressed = 0
        suppressedAddresses = []
        suppressedReasons = [:]
        return summary
    }
}

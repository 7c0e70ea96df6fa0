extension PadlockClient {
    /// How a ``PadlockClient`` times, retries and bounds its work. Every field has a default that suits a CRM app
    /// server; `docs/client.md` explains each.
    public struct Configuration: Sendable, Hashable {
        /// The one overall deadline of a call, across every retry. An acquire that may wait gets its wait on top.
        public var callDeadline: Duration
        /// How long one attempt (one request on one connection) may go unanswered before the next endpoint is
        /// tried. An acquire that may wait gets its wait on top.
        public var attemptTimeout: Duration
        /// How long connecting to an endpoint and its handshake may take.
        public var connectTimeout: Duration
        /// The first retry's backoff bound; each further retry doubles it up to ``backoffCap``. The delay drawn is
        /// uniform between zero and the bound (full jitter).
        public var backoffBase: Duration
        /// The largest backoff bound.
        public var backoffCap: Duration
        /// The lock-lease TTL asked for each session (2 s to 1 h); the cluster may grant another.
        public var sessionTTL: Duration
        /// How often each session is renewed; `nil` means a third of the granted TTL.
        public var renewalInterval: Duration?
        /// What the client subtracts from a session's TTL for clock drift; `nil` means 5 % of the granted TTL plus
        /// 50 ms.
        public var driftMargin: Duration?
        /// How close to its conservative deadline a lock turns ``LeaseState/atRisk``; `nil` means a third of the
        /// granted TTL.
        public var atRiskWindow: Duration?
        /// Connections opened to one endpoint. This version opens exactly one and pipelines every request on it;
        /// the field is kept so the bound is explicit. Must be 1.
        public var maximumConnectionsPerEndpoint: Int
        /// Sessions the client opens at most, over all owners. Each session has at most one mutating request
        /// outstanding, so this bounds how many acquires and releases are in flight at once; further calls wait
        /// for a free session. When the pool is full, an idle session (no lock, no request) of another owner is
        /// closed to make room.
        public var maximumConcurrentSessions: Int
        /// Sessions the client opens at most for one owner label; nil (the default) allows as many as
        /// ``maximumConcurrentSessions``. Each owner's calls go through that owner's sessions only, so its locks
        /// share their leases; more than one lets one owner's acquires run concurrently.
        public var maximumSessionsPerOwner: Int?
        /// Requests in flight on one connection at once; further requests wait in a backlog of four times this.
        public var requestWindowPerConnection: Int
        /// Calls that may wait for a free session at once; further calls fail with `unavailable` at once.
        public var maximumWaitingCalls: Int
        /// How long ``PadlockClient/close()`` waits for its sessions to close.
        public var closeDeadline: Duration
        /// TLS for every connection to the cluster; nil (the default) connects in plaintext.
        public var tls: TLSConfiguration?
        /// Watch streams (``PadlockClient/watch(_:)``, ``PadlockClient/watch(prefix:)``) open at once, at most
        /// 10,000 (a node serves at most 10,000 watched keys and prefixes per connection); a further watch
        /// ends at once with `unavailable`.
        public var maximumWatches: Int
        /// Keys one watch stream holds unread states for, at most (one state per key, the latest); a consumer
        /// that falls further behind has its watch ended with `unavailable`.
        public var maximumUnreadKeysPerWatch: Int

        /// Creates a configuration; every argument has the documented default.
        public init(
            callDeadline: Duration = .seconds(5), attemptTimeout: Duration = .seconds(1),
            connectTimeout: Duration = .seconds(1), backoffBase: Duration = .milliseconds(20),
            backoffCap: Duration = .seconds(1), sessionTTL: Duration = .seconds(15), renewalInterval: Duration? = nil,
            driftMargin: Duration? = nil, atRiskWindow: Duration? = nil, maximumConnectionsPerEndpoint: Int = 1,
            maximumConcurrentSessions: Int = 32, requestWindowPerConnection: Int = 1024,
            maximumWaitingCalls: Int = 10_000, closeDeadline: Duration = .seconds(2), tls: TLSConfiguration? = nil,
            maximumSessionsPerOwner: Int? = nil, maximumWatches: Int = 10_000, maximumUnreadKeysPerWatch: Int = 10_000
        ) {
            self.callDeadline = callDeadline
            self.attemptTimeout = attemptTimeout
            self.connectTimeout = connectTimeout
            self.backoffBase = backoffBase
            self.backoffCap = backoffCap
            self.sessionTTL = sessionTTL
            self.renewalInterval = renewalInterval
            self.driftMargin = driftMargin
            self.atRiskWindow = atRiskWindow
            self.maximumConnectionsPerEndpoint = maximumConnectionsPerEndpoint
            self.maximumConcurrentSessions = maximumConcurrentSessions
            self.maximumSessionsPerOwner = maximumSessionsPerOwner
            self.requestWindowPerConnection = requestWindowPerConnection
            self.maximumWaitingCalls = maximumWaitingCalls
            self.closeDeadline = closeDeadline
            self.tls = tls
            self.maximumWatches = maximumWatches
            self.maximumUnreadKeysPerWatch = maximumUnreadKeysPerWatch
        }
    }
}

extension PadlockClient.Configuration {
    /// Why this configuration cannot be used, or nil.
    func problem() -> String? {
        let positive: [(String, Duration)] = [
            ("callDeadline", callDeadline), ("attemptTimeout", attemptTimeout), ("connectTimeout", connectTimeout),
            ("backoffBase", backoffBase), ("backoffCap", backoffCap), ("closeDeadline", closeDeadline),
        ]
        for (name, value) in positive where value <= .zero || value > .seconds(3600) {
            return "configuration.\(name) must be more than zero and at most an hour, got \(value)"
        }
        let ttl = sessionTTL.wholeMilliseconds
        if ttl < InputLimits.sessionTTLMillisecondsMin || ttl > InputLimits.sessionTTLMillisecondsMax {
            return "configuration.sessionTTL must be between \(InputLimits.sessionTTLMillisecondsMin) and "
                + "\(InputLimits.sessionTTLMillisecondsMax) ms, got \(sessionTTL)"
        }
        for (name, value) in [("renewalInterval", renewalInterval), ("atRiskWindow", atRiskWindow)] {
            if let value, value <= .zero || value >= sessionTTL {
                return "configuration.\(name) must be more than zero and less than the TTL, got \(value)"
            }
        }
        if let driftMargin, driftMargin < .zero || driftMargin >= sessionTTL / 2 {
            return "configuration.driftMargin must be at least zero and less than half the TTL, got \(driftMargin)"
        }
        if maximumConnectionsPerEndpoint != 1 {
            return "configuration.maximumConnectionsPerEndpoint must be 1: one pipelined connection per endpoint"
        }
        let counts = [
            ("maximumConcurrentSessions", maximumConcurrentSessions, 65_536),
            ("requestWindowPerConnection", requestWindowPerConnection, 65_536),
            ("maximumWaitingCalls", maximumWaitingCalls, 1_000_000),
            ("maximumSessionsPerOwner", maximumSessionsPerOwner ?? 1, 1024),
            ("maximumWatches", maximumWatches, 10_000),
            ("maximumUnreadKeysPerWatch", maximumUnreadKeysPerWatch, 1_000_000),
        ]
        for (name, value, maximum) in counts where value < 1 || value > maximum {
            return "configuration.\(name) must be between 1 and \(maximum), got \(value)"
        }
        return nil
    }

    /// The timings of a session whose TTL the cluster granted.
    func leaseTimings(grantedTTL: Duration) -> LeaseTimings {
        let margin = driftMargin ?? (grantedTTL / 20 + .milliseconds(50))
        return LeaseTimings(
            ttl: grantedTTL, margin: min(margin, grantedTTL / 2),
            renewalInterval: min(renewalInterval ?? grantedTTL / 3, grantedTTL / 2),
            atRiskWindow: min(atRiskWindow ?? grantedTTL / 3, grantedTTL))
    }
}

/// One session's lease arithmetic, fixed when it is opened.
struct LeaseTimings: Sendable, Hashable {
    var ttl: Duration
    var margin: Duration
    var renewalInterval: Duration
    var atRiskWindow: Duration

    /// How long a lease lasts, on the client's clock, from the send time of an acknowledged open or renewal.
    var validity: Duration { ttl - margin }
}

extension Duration {
    /// Whole milliseconds, rounded down; negative durations count as zero.
    var wholeMilliseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        let (total, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1000)
        if overflow { return UInt64.max / 2 }
        return total + UInt64(max(0, attoseconds / 1_000_000_000_000_000))
    }
}

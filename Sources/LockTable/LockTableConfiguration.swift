import PadlockTypes

/// The bounds and delays a lock table enforces.
///
/// Every node of a cluster must run with the same configuration: it shapes answers, so two replicas with
/// different limits would diverge. The configuration is not part of a snapshot.
package struct LockTableConfiguration: Hashable, Sendable {
    /// Most sessions open at once; opening one more is answered `.overloaded(.sessions)`.
    package var sessionCountMax: Int
    /// Most locks held plus waiters queued by one session.
    package var locksPerSessionMax: Int
    /// Most locks held plus waiters queued in the whole table.
    package var heldLockCountMax: Int
    /// Most waiters queued on one key.
    package var waitersPerKeyMax: Int
    /// Most waiters queued in the whole table.
    package var waiterCountMax: Int
    /// Most audit records kept; the oldest are dropped first.
    package var auditRecordCountMax: Int
    /// Most ended sessions remembered, so late requests learn "expired" rather than "unknown".
    package var endedSessionMemoryMax: Int
    /// Lock-delay after a forced or expired release, in milliseconds, for namespaces not listed below.
    package var lockDelayMillisecondsDefault: UInt64
    /// Lock-delay per namespace (the key's first segment), in milliseconds.
    package var lockDelayMillisecondsByNamespace: [String: UInt64]
    /// Largest page a listing query returns.
    package var pageSizeMax: Int
    /// Most holds in place in the whole table (`docs/holds.md`).
    package var holdCountMax: Int
    /// Most holds in place under one namespace.
    package var holdsPerNamespaceMax: Int
    /// Deliberate defects for the simulator's self-test, all off by default. Only code in this package can set
    /// them; a table built by a user of the module always runs without them.
    package var injectedBugs = LockTableInjectedBugs()

    /// The documented defaults (see `docs/locktable.md`).
    package init(
        sessionCountMax: Int = Defaults.sessionCountMax,
        locksPerSessionMax: Int = Defaults.locksPerSessionMax,
        heldLockCountMax: Int = Defaults.heldLockCountMax,
        waitersPerKeyMax: Int = Defaults.waitersPerKeyMax,
        waiterCountMax: Int = Defaults.waiterCountMax,
        auditRecordCountMax: Int = Defaults.auditRecordCountMax,
        endedSessionMemoryMax: Int = 10_000,
        lockDelayMillisecondsDefault: UInt64 = Defaults.lockDelayMilliseconds,
        lockDelayMillisecondsByNamespace: [String: UInt64] = [:],
        pageSizeMax: Int = 1_000,
        holdCountMax: Int = 200_000,
        holdsPerNamespaceMax: Int = 100_000
    ) {
        precondition(holdCountMax > 0 && holdsPerNamespaceMax > 0, "hold limits must be positive")
        self.holdCountMax = holdCountMax
        self.holdsPerNamespaceMax = holdsPerNamespaceMax
        precondition(
            sessionCountMax > 0 && locksPerSessionMax > 0 && heldLockCountMax > 0 && waitersPerKeyMax >= 0
                && waiterCountMax >= 0 && auditRecordCountMax > 0 && endedSessionMemoryMax >= 0 && pageSizeMax > 0,
            "lock table limits must be positive: \(sessionCountMax) \(locksPerSessionMax) \(heldLockCountMax) "
                + "\(waitersPerKeyMax) \(waiterCountMax) \(auditRecordCountMax) \(endedSessionMemoryMax) \(pageSizeMax)"
        )
        self.sessionCountMax = sessionCountMax
        self.locksPerSessionMax = locksPerSessionMax
        self.heldLockCountMax = heldLockCountMax
        self.waitersPerKeyMax = waitersPerKeyMax
        self.waiterCountMax = waiterCountMax
        self.auditRecordCountMax = auditRecordCountMax
        self.endedSessionMemoryMax = endedSessionMemoryMax
        self.lockDelayMillisecondsDefault = lockDelayMillisecondsDefault
        self.lockDelayMillisecondsByNamespace = lockDelayMillisecondsByNamespace
        self.pageSizeMax = pageSizeMax
    }

    /// The lock-delay that applies to `key`'s namespace.
    package func lockDelayMilliseconds(for key: LockKey) -> UInt64 {
        lockDelayMillisecondsByNamespace[String(key.namespace)] ?? lockDelayMillisecondsDefault
    }
}

/// Deliberate defects the simulator switches on to prove that its checkers catch them.
///
/// Each flag breaks one guarantee the way a plausible coding mistake would, while the table still keeps its
/// own data structures consistent: a table with a flag set never traps, it only answers wrongly. Every node of
/// a simulated cluster must run with the same flags, like the rest of the configuration.
package struct LockTableInjectedBugs: Hashable, Sendable {
    /// Conflict checks, for new requests and for waiter promotion alike, ignore holders of ancestor and
    /// descendant keys: a field lock can be granted under a held record. Holders of the exact key still
    /// conflict, lock-delays and waiters still count.
    package var ignoresOverlappingHolders = false
    /// Client commands are applied again when their (session, sequence) was already applied or is older than
    /// the last applied one; the answer is still recorded as the session's last. Opening a session ignores
    /// an open session with the same (owner, nonce) and opens another.
    package var skipsDeduplication = false
    /// Holds refuse nothing: acquires, all-or-nothing acquires, upgrades and takeovers are decided as if no
    /// hold were in place (holds are still placed, lifted, listed and fenced, and still answer the waiters
    /// they refuse when placed).
    package var ignoresHolds = false

    /// The given flags; none by default.
    package init(
        ignoresOverlappingHolders: Bool = false, skipsDeduplication: Bool = false, ignoresHolds: Bool = false
    ) {
        self.ignoresOverlappingHolders = ignoresOverlappingHolders
        self.skipsDeduplication = skipsDeduplication
        self.ignoresHolds = ignoresHolds
    }
}

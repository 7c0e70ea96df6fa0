import EventLoop
import Logging
import Synchronization
import Tracing
import Wire

/// A client of a Padlock cluster: fenced, lease-based locks on CRM records.
///
/// One instance per app server is enough: it hides leader discovery, retries and failover, keeps a pool of
/// sessions renewed in the background, and lets thousands of tasks share it. Every call has one overall
/// deadline (``Configuration/callDeadline``) and fails with a ``PadlockError`` whose code says which of the
/// four kinds of failure happened. See `docs/client.md`.
///
/// ```swift
/// let padlock = try await PadlockClient(endpoints: ["10.0.0.7:7401", "10.0.0.8:7401"], owner: "alice@frontend-2")
/// let lock = try await padlock.acquire("acme/contacts/42", wait: .seconds(2), note: "editing phone")
/// try await store.save(record, fence: lock.fence)
/// try await lock.release()
/// ```
public final class PadlockClient: Sendable {
    /// The default owner label, such as `alice@frontend-2`: the holder shown for calls that pass no `owner`.
    public let owner: String
    /// The configuration in force.
    public let configuration: Configuration
    let handle: ClientHandle
    private let closing = Atomic<Bool>(false)

    /// Connects to the cluster: starts the client's own loop thread and waits until one endpoint accepts the
    /// handshake and answers. Sessions are opened lazily, by the first acquire.
    ///
    /// - Parameters:
    ///   - endpoints: the nodes' client addresses, numeric `host:port` (`10.0.0.7:7401`, `[::1]:7401`, or
    ///     `localhost:7401`); leaders the cluster names are added as they are learned.
    ///   - owner: the label shown to other users as the holder, at most 256 bytes.
    ///   - credentials: sent in the handshake, at most 4096 bytes; for a token prefer
    ///     ``init(endpoints:owner:token:cluster:configuration:logger:tracer:)``, this form is for other schemes.
    ///   - cluster: the cluster id the nodes were configured with (0 when unset).
    ///   - tracer: where the client's spans go (`docs/client.md`, "Tracing"); nil (the default) uses the
    ///     tracer bootstrapped in `InstrumentationSystem` when each call starts, which is the no-op tracer
    ///     unless the application bootstrapped one.
    /// - Throws: `invalidArgument` for bad input or a refused cluster id, `permissionDenied` for refused
    ///   credentials, `unavailable` when no endpoint answered before the deadline.
    public init(
        endpoints: [String], owner: String, credentials: [UInt8] = [], cluster: UInt64 = 0,
        configuration: Configuration = .init(), logger: Logger = Logger(label: "padlock.client"),
        tracer: (any Tracer)? = nil
    ) async throws(PadlockError) {
        let addresses = try Self.validate(
            endpoints: endpoints, owner: owner, credentials: credentials,
            configuration: configuration)
        let tls = try configuration.tls?.makeContext()
        let loop: EventLoop
        do {
            loop = try EventLoop(name: "padlock-client", mailboxCapacity: 16_384, logger: logger)
        } catch {
            throw .unavailable("could not start the client's event loop: \(error)")
        }
        let handshake = Handshake(role: .client, cluster: ClusterID(cluster), node: NodeID(0), credentials: credentials)
        let flags = ClientFlags()
        let bound: LoopBound<ClientCore>
        do {
            bound = try await loop.submit {
                LoopBound(
                    ClientCore(
                        environment: LoopClientEnvironment(loop: loop, tls: tls), endpoints: addresses, owner: owner,
                        handshake: handshake, configuration: configuration, logger: logger), loop: loop)
            }
        } catch {
            loop.stop()
            throw .unavailable("the client's event loop refused to start: \(error)")
        }
        let handle = ClientHandle(loop: loop, core: bound, flags: flags, tracer: tracer)
        self.owner = owner
        self.configuration = configuration
        self.handle = handle
        do {
            try await handle.perform { core, _, completion in
                core.handle = handle
                core.probe(completion: completion)
            }
        } catch {
            await close()
            throw error
        }
    }

    /// Connects to the cluster with a bearer token, the form a cluster with `[[clients]]` expects
    /// (`docs/security.md`, "Client tokens"); see
    /// ``init(endpoints:owner:credentials:cluster:configuration:logger:tracer:)`` for the rest.
    ///
    /// - Parameters:
    ///   - token: the client's token as configured (its `token-sha256` is in padlockd's `[[clients]]`), at most
    ///     4096 bytes of UTF-8; nil for a cluster without `[[clients]]`. An empty token is refused.
    /// - Throws: `invalidArgument` for an empty or oversized token and the errors of the credentials form.
    public convenience init(
        endpoints: [String], owner: String, token: String?, cluster: UInt64 = 0,
        configuration: Configuration = .init(), logger: Logger = Logger(label: "padlock.client"),
        tracer: (any Tracer)? = nil
    ) async throws(PadlockError) {
        try await self.init(
            endpoints: endpoints, owner: owner, credentials: try Self.credentials(token: token), cluster: cluster,
            configuration: configuration, logger: logger, tracer: tracer)
    }

    /// Acquires `key` for `owner` (this client's ``owner`` when nil).
    ///
    /// Each owner's locks go through that owner's own sessions, so one client serves many users: an app
    /// server passes the signed-in rep's label per call, and ``releaseAll(owner:)`` ends that rep's locks at
    /// sign-out.
    ///
    /// - Parameters:
    ///   - mode: `.exclusive` to edit, `.shared` to view or approve.
    ///   - owner: the label shown to others as the holder, such as `bob@frontend-2`; at most 256 bytes.
    ///   - roles: the end user's roles, such as `finance-admin`, checked against holds (rule locks,
    ///     `docs/holds.md`): a hold that exempts one of them grants the lock (audited as a bypass). At most 16,
    ///     each 1 to 64 bytes. Padlock does not check them: the app server asserts them for its user. Roles
    ///     need a v3 cluster; a takeover claims none.
    ///   - wait: how long to queue behind other holders (0 tries once; at most 10 minutes). The call's
    ///     deadline is the configured one plus the wait.
    ///   - note: shown to other users with the holder, such as "editing phone number"; at most 1024 bytes.
    ///   - takeover: a reason (at most 1024 bytes) to take the lock over: every holder whose lock conflicts
    ///     (on the key, an ancestor or a descendant) loses it at once, told `takenOver(by:reason:)` with this
    ///     reason, and the grant ignores lock-delay and waiters; its fence is above every fence it ended.
    ///     Audited; allowed to `admin` clients and to clients the configuration names for the key's
    ///     namespace (`docs/configuration.md`). It never waits: `wait` must be zero.
    ///   - onQueuePosition: while the acquire waits in the key's queue, called with each new position
    ///     (1: next in line), including the first one; not called for an acquire granted at once or one
    ///     with no `wait`. Called on the client's own thread, in order: return quickly (hand the number to
    ///     your UI or an `AsyncStream` continuation). Needs a v2 cluster, which sends the positions.
    /// - Throws: `held(by:)` when someone else holds it (after the wait), `restricted(by:)` when a hold
    ///   refuses it to these roles (at once, whatever the wait: show its message to the user), `invalidArgument`,
    ///   `permissionDenied` (a takeover the client may not make), `unavailable`, `outcomeUnknown` (the library then makes sure no
    ///   lock stays held), `cancelled`.
    public func acquire(
        _ key: String, mode: LockMode = .exclusive, owner: String? = nil, roles: [String] = [],
        wait: Duration = .zero, note: String = "", takeover: String? = nil,
        onQueuePosition: (@Sendable (Int) -> Void)? = nil
    ) async throws(PadlockError) -> Lock {
        try await handle.traced(
            takeover == nil ? "acquire" : "takeover",
            attributes: { attributes in
                attributes["padlock.key"] = key
                attributes["padlock.mode"] = mode == .exclusive ? "exclusive" : "shared"
                attributes["padlock.wait_ms"] = ClientHandle.milliseconds(wait)
            },
            answered: { lock, attributes in
                attributes["padlock.outcome"] = "granted"
                attributes["padlock.fence"] = Int(clamping: lock.fence.rawValue)
                attributes["padlock.session"] = Int(clamping: lock.holder.session.rawValue)
            }
        ) { () throws(PadlockError) in
            var validated = try Self.validateAcquire(
                key, mode: mode, owner: owner ?? self.owner, wait: wait, note: note, takeover: takeover)
            validated.roles = try Self.validate(roles: roles, takeover: takeover)
            validated.onQueuePosition = onQueuePosition
            let spec = validated
            return try await handle.perform { core, ticket, completion in
                core.acquire(spec, ticket: ticket, completion: completion)
            }
        }
    }

    /// Acquires `key` (or takes it over, given a `takeover` reason, as ``acquire(_:mode:owner:roles:wait:note:takeover:onQueuePosition:)``
    /// does), runs `body` with the lock, and releases it on every path: normal return, thrown error and
    /// cancellation (the release is not cancelled with the task).
    ///
    /// `body` runs in a child task that is **cancelled when the lock is lost** (a force-unlock, takeover or
    /// revocation the cluster announces, or a lease that ran out): stop writing with the fence then. Whatever
    /// `body` returns or throws after that, `withLock` throws `lockLost` with ``Lock/lossReason`` in its
    /// message, since the fence may have been superseded while `body` ran. The same holds when `body` returned
    /// and the release found the lock lost (or `sessionExpired`). Other release failures are logged; the
    /// library keeps releasing in the background. `onQueuePosition` is as for ``acquire(_:mode:owner:roles:wait:note:takeover:onQueuePosition:)``.
    public func withLock<T: Sendable>(
        _ key: String, mode: LockMode = .exclusive, owner: String? = nil, roles: [String] = [],
        wait: Duration = .zero, note: String = "", takeover: String? = nil,
        onQueuePosition: (@Sendable (Int) -> Void)? = nil, _ body: (Lock) async throws -> T
    ) async throws -> T {
        let lock = try await acquire(
            key, mode: mode, owner: owner, roles: roles, wait: wait, note: note, takeover: takeover,
            onQueuePosition: onQueuePosition)
        return try await run(body: { locks in try await body(locks[0]) }, holding: [lock])
    }

    /// Runs `body` with `locks` and releases them all on every path, as `withLock` promises.
    func run<T: Sendable>(body: ([Lock]) async throws -> T, holding locks: [Lock]) async throws -> T {
        let value: T
        do {
            value = try await Self.run(body, cancelledWhenLost: locks)
        } catch {
            for lock in locks {
                do { try await lock.release() } catch { logReleaseFailure(error, of: lock) }
            }
            if let lost = locks.first(where: { $0.state == .lost }) { throw Self.lostWhileRunning(lost) }
            throw error
        }
        var failure: PadlockError?
        for lock in locks {
            do {
                try await lock.release()
            } catch  where error.code == .lockLost || error.code == .sessionExpired {
                failure = failure ?? error
            } catch {
                logReleaseFailure(error, of: lock)
            }
        }
        if let failure { throw failure }
        return value
    }

    /// Ends every session of `owner` cleanly, releasing its locks without lock-delay (sign-out, a closed
    /// browser), and returns how many locks it released. Calls of that owner still waiting for a session, and
    /// its acquires in flight on those sessions, are answered `cancelled`; a later acquire for that owner opens
    /// a new session.
    ///
    /// - Throws: `invalidArgument` for a bad label, `unavailable` when some session could not be closed before
    ///   the deadline (its locks are then lost and expire with the session), `cancelled`.
    public func releaseAll(owner: String) async throws(PadlockError) -> Int {
        try await handle.traced(
            "releaseAll",
            answered: { count, attributes in
                attributes["padlock.released_count"] = count
            }
        ) { () throws(PadlockError) in
            try Self.validate(owner: owner)
            return try await handle.perform(cancellable: false) { core, ticket, completion in
                core.releaseAll(owner: owner, ticket: ticket, completion: completion)
            }
        }
    }

    /// Everything that holds or waits for `key`, its ancestors and its descendants, read linearizably.
    public func inspect(_ key: String) async throws(PadlockError) -> Inspection {
        try await handle.traced(
            "inspect", attributes: { $0["padlock.key"] = key },
            answered: { inspection, attributes in
                attributes["padlock.holder_count"] = inspection.holders.count
                attributes["padlock.waiter_count"] = inspection.waiters.count
            }
        ) { () throws(PadlockError) in
            let key = try Self.validateKey(key)
            let answer = try await read(.inspect(key), "inspect")
            guard case .inspected(let inspection) = answer else { throw Self.unexpected(answer, "inspect") }
            return inspection
        }
    }

    /// Held locks in key order, filtered by subtree and owner label, at most `limit` (paging internally).
    public func list(
        prefix: String? = nil, owner: String? = nil, limit: Int = 100
    ) async throws(PadlockError)
        -> [LockInfo]
    {
        try await handle.traced(
            "list",
            attributes: { attributes in
                if let prefix { attributes["padlock.key"] = prefix }
                attributes["padlock.limit"] = limit
            }, answered: { locks, attributes in attributes["padlock.lock_count"] = locks.count }
        ) { () throws(PadlockError) in
            try await listPages(prefix: prefix, owner: owner, limit: limit)
        }
    }

    private func listPages(prefix: String?, owner: String?, limit: Int) async throws(PadlockError) -> [LockInfo] {
        let prefixKey = try prefix.map { key throws(PadlockError) in try Self.validateKey(key) }
        if let owner { try Self.check(owner, "owner", max: InputLimits.ownerByteCountMax) }
        guard limit >= 1 && limit <= 100_000 else { throw .invalid("limit must be between 1 and 100000, got \(limit)") }
        var locks: [LockInfo] = []
        var after: LockKey?
        repeat {
            let query = ListQuery(
                prefix: prefixKey, owner: owner, after: after,
                limit: min(limit - locks.count, WireLimits.pageSizeMax))
            let answer = try await read(.list(query), "list")
            guard case .listed(let page) = answer else { throw Self.unexpected(answer, "list") }
            locks += page.locks.prefix(limit - locks.count)
            after = page.next
        } while after != nil && locks.count < limit
        return locks
    }

    /// Whether `fence` is still a current holder's fence for `key`, and which fence is current, read
    /// linearizably: ``FenceCheck/isCurrent``, and ``FenceCheck/currentFence`` (the newest holder's fence of
    /// exactly `key`, `nil` when nobody holds it), so a store can tell "superseded by fence 9" from "released".
    public func checkFence(_ key: String, _ fence: FenceToken) async throws(PadlockError) -> FenceCheck {
        try await handle.traced(
            "checkFence",
            attributes: { attributes in
                attributes["padlock.key"] = key
                attributes["padlock.fence"] = Int(clamping: fence.rawValue)
            }, answered: { check, attributes in attributes["padlock.fence.current"] = check.isCurrent }
        ) {
            () throws(PadlockError) in
            let key = try Self.validateKey(key)
            let answer = try await read(.checkFence(key: key, fence: fence), "checkFence")
            guard case .fenceChecked(let check) = answer else { throw Self.unexpected(answer, "checkFence") }
            return check
        }
    }

    /// What became of a request whose outcome was unknown (the id an `outcomeUnknown` error carries).
    ///
    /// For requests this client sent, the answer comes from the library's own settlement (waiting for it
    /// when it is still in progress); otherwise the cluster is asked, which records a request it never
    /// applied as abandoned so that it never will be.
    public func resolve(_ request: RequestID) async throws(PadlockError) -> Resolution {
        try await handle.traced(
            "resolve",
            attributes: { attributes in
                attributes["padlock.session"] = Int(clamping: request.session.rawValue)
                attributes["padlock.request.sequence"] = Int(clamping: request.sequence)
            }
        ) { () throws(PadlockError) in
            try await handle.perform { core, ticket, completion in
                core.resolve(request, ticket: ticket, completion: completion)
            }
        }
    }

    /// Stops the loop when the client is dropped without `close()`; its sessions then expire on their own.
    deinit {
        if !closing.load(ordering: .acquiring) { handle.loop.requestStop() }
    }

    func read(
        _ operation: ClientOperation, _ label: String, kind: ExchangeKind = .read
    ) async throws(PadlockError)
        -> ClientResult
    {
        try await handle.perform { core, ticket, completion in
            core.read(operation, label: label, kind: kind, ticket: ticket, completion: completion)
        }
    }

    static func unexpected(_ answer: ClientResult, _ label: String) -> PadlockError {
        .unavailable("the cluster answered the \(label) with \(answer); retry")
    }

    /// Closes every session cleanly (which releases their locks, without lock-delay) within
    /// ``Configuration/closeDeadline``, answers every call in progress `cancelled`, and stops the loop.
    ///
    /// Locks still held become ``LeaseState/released`` (or ``LeaseState/lost`` if their session could not be
    /// closed in time, in which case the cluster expires it). Every later call throws `cancelled`. Closing
    /// twice is harmless.
    public func close() async {
        guard !closing.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let core = handle.core
        let loop = handle.loop
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let answer = loop.post { core.value.close { continuation.resume() } }
            if answer != .accepted { continuation.resume() }
        }
        handle.flags.markClosed()
        loop.stop()
    }
}

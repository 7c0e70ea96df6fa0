import Logging
import Wire

/// The client core without its loop: what the simulator drives (issue 20). Each call runs exactly the code
/// `PadlockClient`'s public API runs, on the environment's thread, with a completion instead of `async`; the
/// environment (clock, timers, connections, randomness) is the caller's.
package final class ClientCoreDriver {
    private let core: ClientCore
    private var nextCall: UInt64 = 0
    /// The watch streams started through the driver, by id.
    private var watchQueues: [UInt64: WatchQueue] = [:]
    private var nextWatch: UInt64 = 0

    /// A core over `environment`, connecting to `endpoints` (numeric `host:port`), with `owner` as the
    /// default owner label.
    package init(
        environment: any ClientEnvironment, endpoints: [String], owner: String,
        configuration: PadlockClient.Configuration
    ) {
        let addresses = endpoints.map { text -> EndpointAddress in
            guard let address = EndpointAddress(text) else { preconditionFailure("\(text) is not a numeric host:port") }
            return address
        }
        core = ClientCore(
            environment: environment, endpoints: addresses, owner: owner,
            handshake: Handshake(role: .client, cluster: ClusterID(0), node: NodeID(0)), configuration: configuration,
            logger: Logger(label: "padlock.client", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// Called with every mutating request as it is numbered (not for a retry: it carries the same number).
    package var onRequestNumbered: ((ClientOperation) -> Void)? {
        get { core.onRequestNumbered }
        set { core.onRequestNumbered = newValue }
    }

    /// Called with the fate of a mutating request once the client knows it (`settled`).
    package var onRequestSettled: ((RequestID, Resolution) -> Void)? {
        get { core.onRequestSettled }
        set { core.onRequestSettled = newValue }
    }

    private func ticket() -> CallTicket {
        nextCall += 1
        return CallTicket(id: nextCall, cancellable: true)
    }

    package func acquire(
        _ key: LockKey, owner: String, mode: LockMode, wait: Duration, note: String,
        completion: @escaping (Result<Lock, PadlockError>) -> Void
    ) {
        let spec = AcquireSpec(key: key, owner: owner, mode: mode, waitMilliseconds: wait.wholeMilliseconds, note: note)
        core.acquire(spec, ticket: ticket(), completion: completion)
    }

    /// Acquires `keys` all or nothing (one key with no roles is a plain acquire), claiming `roles` for holds.
    package func acquire(
        keys: [LockKey], owner: String, mode: LockMode, roles: [String], wait: Duration, note: String,
        completion: @escaping (Result<[Lock], PadlockError>) -> Void
    ) {
        guard let first = keys.first else { return completion(.failure(.invalid("no key"))) }
        var spec = AcquireSpec(
            key: first, owner: owner, mode: mode, waitMilliseconds: wait.wholeMilliseconds, note: note)
        spec.roles = roles
        spec.batch = keys.count > 1 ? keys : nil
        core.acquireKeys(spec, ticket: ticket(), completion: completion)
    }

    /// Upgrades (`.exclusive`) or downgrades (`.shared`) `lock`, as `Lock.upgrade` and `Lock.downgrade` do.
    package func changeMode(
        _ lock: Lock, to mode: LockMode, wait: Duration, roles: [String],
        completion: @escaping (Result<Void, PadlockError>) -> Void
    ) {
        let spec = ModeChangeSpec(mode: mode, waitMilliseconds: wait.wholeMilliseconds, roles: roles)
        core.changeMode(lock, spec, ticket: ticket(), completion: completion)
    }

    package func placeHold(_ placement: HoldPlacement, completion: @escaping (Result<HoldPlaced, PadlockError>) -> Void)
    {
        core.placeHold(placement, ticket: ticket(), completion: completion)
    }

    package func liftHold(
        _ key: LockKey, rule: String?, reason: String, completion: @escaping (Result<[Hold], PadlockError>) -> Void
    ) {
        core.liftHold(key, rule: rule, reason: reason, ticket: ticket(), completion: completion)
    }

    package func release(_ lock: Lock, completion: @escaping (Result<Void, PadlockError>) -> Void) {
        core.release(lock, ticket: CallTicket(id: 0, cancellable: false), completion: completion)
    }

    package func forceUnlock(
        _ key: LockKey, reason: String, completion: @escaping (Result<[Holder], PadlockError>) -> Void
    ) {
        core.forceUnlock(key, reason: reason, ticket: ticket(), completion: completion)
    }

    package func revokeSession(
        _ session: SessionID, reason: String, completion: @escaping (Result<Void, PadlockError>) -> Void
    ) {
        core.revokeSession(session, reason: reason, ticket: ticket(), completion: completion)
    }

    /// Signs `owner` out: closes its sessions, releasing their locks.
    package func releaseAll(owner: String, completion: @escaping (Result<Int, PadlockError>) -> Void) {
        core.releaseAll(owner: owner, ticket: CallTicket(id: 0, cancellable: false), completion: completion)
    }

    package func checkFence(
        _ key: LockKey, _ fence: FenceToken, completion: @escaping (Result<FenceCheck, PadlockError>) -> Void
    ) {
        core.read(.checkFence(key: key, fence: fence), label: "checkFence", ticket: ticket()) { result in
            completion(
                result.flatMap { answer in
                    if case .fenceChecked(let check) = answer { return .success(check) }
                    return .failure(PadlockClient.unexpected(answer, "checkFence"))
                })
        }
    }

    /// Starts following `key` (every key at or under it when `prefix`) as `PadlockClient.watch(_:)` and
    /// `watch(prefix:)` do, through the same subscription; returns the watch's id for `watchStates(_:)`.
    package func watch(_ key: LockKey, prefix: Bool) -> UInt64 {
        nextWatch += 1
        let queue = WatchQueue(keyLimit: 1_000) {}
        watchQueues[nextWatch] = queue
        core.watch(nextWatch, prefix ? .prefix(key) : .key(key), queue)
        return nextWatch
    }

    /// Stops watch `id`, as a consumer that leaves its stream does.
    package func unwatch(_ id: UInt64) {
        watchQueues[id] = nil
        core.unwatch(id)
    }

    /// The states watch `id` yielded since the last call, in the order its stream would hand them over (the
    /// latest per key), whether the stream ended, and the error it ended with.
    package func watchStates(_ id: UInt64) -> (states: [KeyState], finished: Bool, failure: PadlockError?) {
        watchQueues[id]?.drain() ?? ([], true, nil)
    }

    /// The subscription in a line, for the simulator's reports: where it is in force, the last index seen,
    /// and what is still to be sent.
    package var subscriptionSummary: String {
        let events = core.events
        return
            "subscribed on \(events.endpoint.map { "endpoint \($0)" } ?? "nothing") up to index \(events.lastIndex); "
            + "\(events.confirmedKeys.count) keys and \(events.confirmedPrefixes.count) prefixes confirmed, "
            + "\(events.unconfirmedKeys.count + events.unconfirmedPrefixes.count) unconfirmed, "
            + "\(events.pending.count) sessions pending; \(events.exchange == nil ? "no" : "a") request in flight, "
            + "\(events.retryTimer == nil ? "no" : "a") retry due"
    }

    /// The sessions the client holds open, in id order.
    package var openSessions: [SessionID] {
        core.sessionsByID.filter { $0.value.state == .open }.keys.sorted()
    }

    /// Until when the client believes `session` alive (its lease not lost), or nil when it does not.
    package func believedUntil(_ session: SessionID) -> ContinuousClock.Instant? {
        guard let pooled = core.sessionsByID[session], pooled.state == .open, let lease = pooled.lease,
            lease.currentState != .lost
        else { return nil }
        return lease.nextChange(after: .atRisk)
    }

    /// No call in progress and no session busy (a request being settled in the background keeps its session
    /// busy).
    package var isIdle: Bool { core.cancellers.isEmpty && !core.sessions.contains(where: \.isBusy) }
}

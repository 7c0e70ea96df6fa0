import LockHistory
import PadlockClient
import PadlockTypes
import Wire

/// A simulated CRM app server: `PadlockClient`'s own core (through `ClientCoreDriver`) on a simulated host,
/// serving two reps. It loops: lock a record (or a field, or a shared hold) for one of its reps, edit it in
/// the fenced store, release it; now and then it checks a fence or signs a rep out, and the administrator
/// (client 0) force-unlocks keys and revokes other app servers' sessions. Some pause while holding a lock,
/// past its lease. Every mutating request the core numbers goes into the history with the fate it settles on.
final class SimClient {
    let index: Int
    let host: ClientHost
    let driver: ClientCoreDriver
    /// The reps it serves: each has its own sessions in the core's pool.
    let owners: [String]
    /// The TTL its sessions ask for, in milliseconds.
    let ttl: UInt64
    let isAdministrator: Bool
    unowned let simulation: Simulation
    var random: SimRandom
    /// Locks it believes it holds and acts on, until it releases them.
    var held: [Lock] = []
    /// The history record of each mutating request not settled yet.
    private var records: [RequestID: [(index: Int, action: LockAction, part: HistoryRecorder.Part)]] = [:]
    /// One operation at a time (the core renews, retries and settles in the background meanwhile).
    var busy = false
    /// Paused (a long GC pause, a frozen VM): its events wait until this true time.
    var pausedUntil: UInt64 = 0
    /// Events that reached it while paused, handed over in order when it resumes (`Simulation.resumeClient`).
    var deferred: [SimEvent] = []
    var replaying = false
    /// The liveness phase: finish what is in flight, start nothing new.
    var draining = false
    var drained = false
    private var probeSucceeded = false
    /// The watch streams it follows (front ends 1 and 2 watch a record and a prefix).
    var watches: [SimWatch] = []
    /// Every lock it was granted, those not yet ended for good, and each one's record by lock.
    var granted: [TrackedLock] = []
    var unsettled: [TrackedLock] = []
    private var tracked: [ObjectIdentifier: TrackedLock] = [:]
    /// The holds it placed and has not lifted yet (clients 0 and 3), by key and rule.
    var placedHolds: [(key: LockKey, rule: String)] = []
    /// Locks it asked to downgrade: it gave up editing when it asked, so they count as shared from then on.
    var downgrading: Set<ObjectIdentifier> = []

    var endpoint: Int { host.endpoint }
    var owner: String { owners[0] }

    init(index: Int, host: ClientHost, random: SimRandom, ttl: UInt64, simulation: Simulation) {
        self.index = index
        self.host = host
        self.random = random
        self.ttl = ttl
        self.simulation = simulation
        owners = ["crm-\(index)@frontend-\(index % 3)", "crm-\(index)b@frontend-\(index % 3)"]
        isAdministrator = index == 0
        var configuration = PadlockClient.Configuration(
            callDeadline: .seconds(3), attemptTimeout: .milliseconds(400), connectTimeout: .milliseconds(300),
            backoffBase: .milliseconds(5), backoffCap: .milliseconds(80), sessionTTL: .milliseconds(Int64(ttl)))
        configuration.maximumConcurrentSessions = 4
        driver = ClientCoreDriver(
            environment: host, endpoints: ClientHost.endpoints(nodeCount: simulation.nodes.count), owner: owners[0],
            configuration: configuration)
        driver.onRequestNumbered = { [unowned self] operation in self.numbered(operation) }
        driver.onRequestSettled = { [unowned self] request, resolution in self.settled(request, resolution) }
    }

    func start() {
        if simulation.options.watchers && (index == 1 || index == 2) {
            startWatch(prefix: false)
            startWatch(prefix: true)
        }
        after(milliseconds: Double(random.below(50))) { $0.think() }
    }

    /// Runs `body` after `milliseconds` on the client's own clock.
    func after(milliseconds: Double, _ body: @escaping (SimClient) -> Void) {
        _ = host.schedule(after: .microseconds(milliseconds * 1000)) { [unowned self] in body(self) }
    }

    // MARK: The history

    private func numbered(_ operation: ClientOperation) {
        guard let request = operation.requestID else { return }
        let parts = HistoryRecorder.actions(of: operation)
        guard !parts.isEmpty else { return }
        records[request] = parts.map {
            (simulation.history.begin(client: index, action: $0.action, at: simulation.now), $0.action, $0.part)
        }
    }

    private func settled(_ request: RequestID, _ resolution: Resolution) {
        for record in records.removeValue(forKey: request) ?? [] {
            guard let outcome = HistoryRecorder.outcome(of: resolution, for: record.action, part: record.part)
            else { continue }
            simulation.history.complete(record.index, outcome: outcome, at: simulation.now)
        }
    }

    // MARK: Watching and tracking

    /// Watches a record or field key, or a prefix: a record, or all of them.
    private func startWatch(prefix: Bool) {
        let key =
            prefix
            ? simulatorKey(
                random.chance(0.5)
                    ? "crm/contacts" : "crm/contacts/\(random.below(UInt64(simulation.options.recordCount)))")
            : simulation.randomKey(&random)
        watches.append(SimWatch(id: driver.watch(key, prefix: prefix), key: key, isPrefix: prefix))
    }

    /// Now and then a watcher drops one of its watches and starts another like it.
    private func churnWatches() {
        guard !watches.isEmpty, !draining, random.chance(0.03) else { return }
        let dropped = watches.remove(at: Int(random.below(UInt64(watches.count))))
        driver.unwatch(dropped.id)
        startWatch(prefix: dropped.isPrefix)
    }

    /// The client asked to change `lock`'s mode (see ``TrackedLock/modeChangeAsked``).
    func noteModeChangeAsked(_ lock: Lock) { tracked[ObjectIdentifier(lock)]?.modeChangeAsked = true }

    func track(_ lock: Lock) {
        let record = TrackedLock(lock)
        granted.append(record)
        unsettled.append(record)
        tracked[ObjectIdentifier(lock)] = record
    }

    // MARK: Choosing what to do

    func think() {
        guard !busy else { return }
        if draining { return finishDraining() }
        busy = true
        churnWatches()
        let roll = random.below(100)
        if isAdministrator && roll < 6 {
            administer()
        } else if placesHolds && roll >= 94 {
            administerHolds()
        } else if roll < 12 {
            checkFence()
        } else if roll < 14 {
            let owner = random.pick(owners)
            for record in unsettled where record.lock.holder.owner == owner { record.releaseAsked = true }
            driver.releaseAll(owner: owner) { [unowned self] _ in self.done() }
        } else if simulation.options.holds && roll >= 88 {
            acquireBatch()
        } else {
            acquire()
        }
    }

    /// The operation ended: think again after a moment.
    func done() {
        busy = false
        after(milliseconds: Double(random.below(60))) { $0.think() }
    }

    private func administer() {
        if random.chance(0.6) {
            driver.forceUnlock(simulation.randomKey(&random), reason: "unlock stuck record") { [unowned self] _ in
                self.done()
            }
        } else if let target = simulation.randomOpenSession(&random, excluding: self) {
            driver.revokeSession(target, reason: "log the user out") { [unowned self] _ in self.done() }
        } else {
            done()
        }
    }

    /// Asks whether a fence is current: one of its own locks' (usually) or a random one. A read is not
    /// numbered, so it is recorded here.
    private func checkFence() {
        let (key, fence) =
            if let lock = held.first, random.chance(0.7) { (lock.key, lock.fence) } else {
                (simulation.randomKey(&random), FenceToken(random.between(1...200)))
            }
        let record = simulation.history.begin(
            client: index, action: .checkFence(key: key, fence: fence), at: simulation.now)
        driver.checkFence(key, fence) { [unowned self] result in
            if case .success(let check) = result {
                self.simulation.history.complete(
                    record, outcome: .fenceCurrent(check.isCurrent), at: self.simulation.now)
            }
            self.done()
        }
    }

    private func acquire() {
        let key = simulation.randomKey(&random)
        let mode: LockMode = random.chance(0.2) ? .shared : .exclusive
        let wait: UInt64 = random.chance(0.5) ? 0 : random.between(100...1500)
        let note = "editing \(key.segments.last ?? "")"
        let roles = claimedRoles()
        let granted: (Result<Lock, PadlockError>) -> Void = { [unowned self] result in
            guard case .success(let lock) = result, lock.state != .lost else { return self.done() }
            self.simulation.checkGrant(lock, to: self)
            self.track(lock)
            self.held.append(lock)
            self.changeModeMaybe(lock, roles: roles) { $0.startEdit(lock) }
        }
        let owner = random.pick(owners)
        guard !roles.isEmpty else {
            return driver.acquire(
                key, owner: owner, mode: mode, wait: .milliseconds(Int64(wait)), note: note, completion: granted)
        }
        driver.acquire(
            keys: [key], owner: owner, mode: mode, roles: roles, wait: .milliseconds(Int64(wait)), note: note
        ) { [unowned self] result in
            switch result {
            case .success(let locks) where locks.count == 1: granted(.success(locks[0]))
            case .success:
                self.simulation.violation("\(self.owner) asked for \(key) and was granted another number of locks")
                self.done()
            case .failure(let error): granted(.failure(error))
            }
        }
    }

    // MARK: Editing under the lock

    /// Reads the record under the lock, works on it for a while (sometimes pausing past the lease), then
    /// writes it back with the fence: only while it believes the lock held, unless it is naive.
    private func startEdit(_ lock: Lock) {
        let value =
            lock.holder.mode == .exclusive
            ? simulation.store.read(lock.key, fence: lock.fence, session: lock.holder.session) : nil
        let naive = random.chance(0.3)
        var editTime = Double(random.between(5...150))
        if simulation.options.clientPauses && random.chance(0.03) {
            // A long pause while holding the lock: the lease runs out meanwhile.
            pausedUntil = simulation.now + ttl * 1300
            simulation.note("\(owner) pauses while holding \(lock.key)")
            editTime = 1
        }
        after(milliseconds: editTime) { client in client.finishEdit(lock, value: value, naive: naive) }
    }

    private func finishEdit(_ lock: Lock, value: UInt64?, naive: Bool) {
        finish(lock, value: value, naive: naive) { $0.done() }
    }

    /// Writes the record back (while it believes the lock held, unless naive) and releases the lock; `then`
    /// runs once that is done.
    func finish(_ lock: Lock, value: UInt64?, naive: Bool, then: @escaping (SimClient) -> Void) {
        let believed = lock.state == .safe || lock.state == .atRisk
        if let value, believed || naive {
            simulation.store.write(
                lock.key, fence: lock.fence, session: lock.holder.session, value: value + 1, at: simulation.now)
        }
        held.removeAll { $0 === lock }
        guard believed else { return then(self) }
        tracked[ObjectIdentifier(lock)]?.releaseAsked = true
        driver.release(lock) { [unowned self] _ in then(self) }
    }

    // MARK: The liveness phase

    /// Drained once a leader has answered a read and the core has nothing left in flight.
    private func finishDraining() {
        guard !drained else { return }
        if !probeSucceeded {
            busy = true
            driver.checkFence(simulatorKey("crm/probe"), FenceToken(1)) { [unowned self] result in
                if case .success = result { self.probeSucceeded = true }
                self.done()
            }
        } else if !driver.isIdle {
            after(milliseconds: 20) { $0.think() }
        } else {
            drained = true
        }
    }

    /// Whether the client believes `session` alive now, and until when (true time).
    func believedDeadline(of session: SessionID) -> UInt64? {
        driver.believedUntil(session).map(host.trueTime(of:))
    }
}

import Wire

// The subscription to the cluster's events (protocol v2, `docs/events.md`, `docs/client.md` "Events"): which
// sessions and watches are subscribed with which leader, resubscribing after every break, and what the events
// do to locks. Only applied entries make events, so an event that ends a lock is never wrong; the client ends
// a lock only for such an event, a resync that lists the session's locks, an answer of the cluster, or its own
// lease arithmetic.

/// What one subscribe request carried, to confirm or send again.
struct SubscriptionBatch {
    var sessions: [SessionID: UInt64?] = [:]
    var keys: [LockKey] = []
    var prefixes: [LockKey] = []
    var isEmpty: Bool { sessions.isEmpty && keys.isEmpty && prefixes.isEmpty }
}

extension ClientCore {
    /// Routes the transport's events and connection news here. Called once, by `init`.
    func startEvents() {
        transport.onEvent = { [weak self] event, link in self?.received(event, on: link) }
        transport.onLinkClosed = { [weak self] link in
            guard let self, link === self.events.link else { return }
            self.subscriptionBroke("the connection to \(link.address) closed")
        }
        transport.onLeaderChanged = { [weak self] leader in
            guard let self, self.events.link != nil, leader != self.events.endpoint else { return }
            self.subscriptionBroke("another node answers as leader")
        }
    }

    /// Subscribes `session` (it holds a lock or waits): its lock losses after `after` are replayed (nil: none
    /// before now). A session already subscribed is sent again only when it needs an earlier replay point.
    func wantEvents(for session: SessionID, after: UInt64?) {
        guard !isClosing else { return }
        let events = self.events
        events.sessions.insert(session)
        if let pending = events.pending[session] {
            events.pending[session] = EventSubscription.stricter(pending, after)
        } else if let since = events.confirmedAt[session] {
            if let after, after < since { events.pending[session] = after }
        } else {
            events.pending[session] = after
        }
        syncSubscription()
    }

    /// Forgets `session`'s events (it ended). Nothing is sent: the node ignores an ended session.
    func dropEvents(for session: SessionID) {
        events.sessions.remove(session)
        events.pending[session] = nil
        events.confirmedAt[session] = nil
    }

    /// Sends what the subscription lacks, one request at a time: sessions and keys, then each prefix alone (so
    /// that a prefix refused as too wide fails only its own watches), then removals.
    func syncSubscription() {
        let events = self.events
        guard !isClosing, events.exchange == nil, events.retryTimer == nil else { return }
        var batch = SubscriptionBatch()
        for session in events.pending.keys.sorted().prefix(WireLimits.subscriptionSessionsMax) {
            batch.sessions[session] = events.pending.removeValue(forKey: session)
        }
        batch.keys = Array(events.unconfirmedKeys.sorted().prefix(WireLimits.subscriptionKeysMax))
        events.unconfirmedKeys.subtract(batch.keys)
        if batch.isEmpty, let prefix = events.unconfirmedPrefixes.min() {
            events.unconfirmedPrefixes.remove(prefix)
            batch.prefixes = [prefix]
        }
        if !batch.isEmpty {
            let after = batch.sessions.values.reduce(UInt64?.none) { EventSubscription.stricter($0, $1) }
            let subscription = Subscription(
                sessions: batch.sessions.keys.sorted(), keys: batch.keys, prefixes: batch.prefixes, after: after)
            return send(.subscribe(subscription)) { [weak self] outcome, endpoint in
                self?.subscribed(batch, outcome, endpoint: endpoint)
            }
        }
        guard events.link != nil, !events.unwantedKeys.isEmpty || !events.unwantedPrefixes.isEmpty else { return }
        let keys = Array(events.unwantedKeys.sorted().prefix(WireLimits.subscriptionKeysMax))
        let prefixes = Array(events.unwantedPrefixes.sorted().prefix(WireLimits.subscriptionKeysMax))
        events.unwantedKeys.subtract(keys)
        events.unwantedPrefixes.subtract(prefixes)
        events.confirmedKeys.subtract(keys)
        events.confirmedPrefixes.subtract(prefixes)
        send(.unsubscribe(Subscription(keys: keys, prefixes: prefixes))) { [weak self] _, _ in
            guard let self else { return }
            // Watched again meanwhile: subscribe again (the removal may have been applied after the watch).
            for key in keys where self.events.watchesOfKey[key] != nil { self.events.unconfirmedKeys.insert(key) }
            for prefix in prefixes where self.events.watchesOfPrefix[prefix] != nil {
                self.events.unconfirmedPrefixes.insert(prefix)
            }
            self.syncSubscription()
        }
    }

    private func send(_ operation: ClientOperation, _ done: @escaping (ExchangeOutcome, Int?) -> Void) {
        let exchange = Exchange(
            operation, kind: .read, label: "subscribe", deadline: callDeadline(),
            attemptTimeout: configuration.attemptTimeout, transport: transport)
        events.exchange = exchange
        exchange.start { [weak self] outcome in
            self?.events.exchange = nil
            done(outcome, exchange.answeredBy)
        }
    }

    /// The leader's answer to a subscribe: confirms the batch on the connection it came on (a new connection
    /// first breaks the old subscription), or puts the batch back and tries again later.
    private func subscribed(_ batch: SubscriptionBatch, _ outcome: ExchangeOutcome, endpoint: Int?) {
        let events = self.events
        switch outcome {
        case .answered(.success(.subscribed(let index)), _, _):
            guard let endpoint, let link = transport.link(at: endpoint) else {
                return retrySubscription(batch, Problem("the connection closed as the subscription was answered"))
            }
            if link !== events.link {
                if events.link != nil { subscriptionBroke("the subscription moved to \(link.address)", sync: false) }
                events.link = link
                events.endpoint = endpoint
                events.lastIndex = index
                logger.debug("subscribed to events", metadata: ["endpoint": "\(link.address)", "index": "\(index)"])
            } else {
                events.lastIndex = max(events.lastIndex, index)
            }
            events.failures = 0
            confirm(batch, at: index)
            syncSubscription()
        case .answered(.failure(let failure), _, _):
            let error = self.error(for: failure, in: "subscribe")
            logger.warning("subscription refused", metadata: ["error": "\(error)"])
            // A watch the cluster refuses (a prefix over its key limit, a namespace the client may not read)
            // ends with the cluster's reason; the sessions are asked for again later.
            for key in batch.keys { endWatches(of: .key(key), error) }
            for prefix in batch.prefixes { endWatches(of: .prefix(prefix), error) }
            retrySubscription(SubscriptionBatch(sessions: batch.sessions), Problem(error.message))
        case .answered(.success(let other), _, _):
            retrySubscription(batch, Problem("the cluster answered a subscribe with \(other)"))
        case .gaveUp(_, let problem) where problem.isOverload && !(batch.keys.isEmpty && batch.prefixes.isEmpty):
            // The node's watch limit (`limits.watches-per-connection`) refused the keys until the deadline:
            // those watches end, naming the limit; the sessions are asked for again later.
            let error = PadlockError.unavailable("the cluster would not watch more keys: \(problem)")
            for key in batch.keys { endWatches(of: .key(key), error) }
            for prefix in batch.prefixes { endWatches(of: .prefix(prefix), error) }
            retrySubscription(SubscriptionBatch(sessions: batch.sessions), problem)
        case .gaveUp(_, let problem):
            retrySubscription(batch, problem)
        case .refused(let error):
            retrySubscription(batch, Problem(error.message))
        }
    }

    private func confirm(_ batch: SubscriptionBatch, at index: UInt64) {
        let events = self.events
        for (session, after) in batch.sessions where events.sessions.contains(session) {
            events.confirmedAt[session] = min(after ?? index, index)
        }
        for key in batch.keys {
            if events.watchesOfKey[key] != nil {
                events.confirmedKeys.insert(key)
            } else {
                events.unwantedKeys.insert(key)
            }
        }
        for prefix in batch.prefixes {
            guard events.watchesOfPrefix[prefix] != nil else {
                events.unwantedPrefixes.insert(prefix)
                continue
            }
            events.confirmedPrefixes.insert(prefix)
            // The leader sends the keys under the prefix that are not quiet; a key that went quiet while the
            // client was not subscribed gets nothing, so each one the client still believes busy is re-read.
            for key in events.known.keys.sorted() where prefix.covers(key) && events.known[key]?.state.isQuiet == false
            {
                reread(key)
            }
        }
    }

    /// Puts `batch` back and sends it again after a pause that grows with each failure in a row.
    private func retrySubscription(_ batch: SubscriptionBatch, _ problem: Problem) {
        let events = self.events
        for (session, after) in batch.sessions where events.sessions.contains(session) {
            events.pending[session] = EventSubscription.stricter(events.pending[session] ?? after, after)
        }
        for key in batch.keys where events.watchesOfKey[key] != nil { events.unconfirmedKeys.insert(key) }
        for prefix in batch.prefixes where events.watchesOfPrefix[prefix] != nil {
            events.unconfirmedPrefixes.insert(prefix)
        }
        guard !isClosing else { return }
        events.failures += 1
        let delay = max(configuration.backoffCap * min(events.failures, 10), problem.retryAfter ?? .zero)
        logger.debug("subscribing again later", metadata: ["problem": "\(problem)", "delay": "\(delay)"])
        events.retryTimer = environment.schedule(after: delay) { [weak self] in
            self?.events.retryTimer = nil
            self?.syncSubscription()
        }
    }

    /// The subscription no longer holds (its connection closed, the leader changed, the node ended it):
    /// everything it had is wanted again, each session replayed after the last index seen.
    func subscriptionBroke(_ reason: String, sync: Bool = true) {
        let events = self.events
        guard events.link != nil else { return }
        logger.debug("resubscribing to events", metadata: ["reason": "\(reason)", "after": "\(events.lastIndex)"])
        for session in events.confirmedAt.keys {
            events.pending[session] = EventSubscription.stricter(events.pending[session] ?? nil, events.lastIndex)
        }
        events.confirmedAt = [:]
        events.unconfirmedKeys.formUnion(events.confirmedKeys)
        events.unconfirmedPrefixes.formUnion(events.confirmedPrefixes)
        events.confirmedKeys = []
        events.confirmedPrefixes = []
        events.unwantedKeys = []
        events.unwantedPrefixes = []
        events.link = nil
        events.endpoint = nil
        if sync { syncSubscription() }
    }

    /// An event arrived on `link`. Lock losses and resyncs are facts about committed entries whichever
    /// connection brings them; positions and key states count only from the current subscription's
    /// connection (an old one may lag behind it).
    func received(_ event: ClientEvent, on link: Link) {
        let isCurrent = link === events.link
        if isCurrent { events.lastIndex = max(events.lastIndex, event.index) }
        switch event.body {
        case .lockLost(let key, let holder, let loss):
            lockLost(key, holder, loss)
        case .resync(let session, let isOpen, let fences):
            resync(session, isOpen: isOpen, fences: Set(fences), index: event.index)
        case .waiterPosition(let request, _, let position):
            guard isCurrent else { return }
            // A resubscription repeats the current position: each one is told once.
            guard let follower = events.positions[request], follower.last != Int(clamping: position) else { return }
            events.positions[request]?.last = Int(clamping: position)
            follower.tell(Int(clamping: position))
        case .keyState(let inspection):
            guard isCurrent else { return }
            keyStateArrived(inspection, index: event.index)
        case .subscriptionEnded(let reason, let leader):
            guard isCurrent else { return }
            subscriptionBroke("the node ended the subscription: \(reason)", sync: false)
            if let leader, let index = transport.endpointIndex(for: leader.address) { transport.leader = index }
            syncSubscription()
        }
    }

    /// A committed entry ended this client's lock on `key` under `holder`'s fence, for `loss`. An event that
    /// names no lock the client holds (an older fence, a lock already gone) changes nothing. A newer fence of
    /// the same session and key is the lock after a mode change whose answer has not arrived yet: the lock
    /// ended in whichever mode the cluster last gave it.
    private func lockLost(_ key: LockKey, _ holder: Holder, _ loss: LockLoss) {
        guard let session = sessionsByID[holder.session], session.state == .open, let lock = session.locks[key],
            lock.fence == holder.fence || (session.changingMode == key && holder.fence > lock.fence)
        else { return }
        if holder.fence > lock.fence { lock.changed(to: holder) }
        logger.warning("lock lost", metadata: ["key": "\(key)", "fence": "\(holder.fence)", "reason": "\(loss)"])
        forget(lock, in: session, as: .lost, reason: .cluster(loss))
        reportLocksAtRisk()
        switch loss {
        case .sessionRevoked, .expired:
            // The session itself ended in that entry: every lock of it went with it.
            markLost(session, reason: loss.description, loss: .cluster(loss))
        case .forceUnlocked, .takenOver:
            break
        }
    }

    /// The leader could not replay what the session missed: `fences` are the locks it holds at `index`. A lock
    /// granted at or before `index` (its fence is its grant's index) and not listed has ended.
    private func resync(_ id: SessionID, isOpen: Bool, fences: Set<FenceToken>, index: UInt64) {
        guard let session = sessionsByID[id], session.state == .open else { return }
        guard isOpen else {
            return markLost(
                session, reason: "the cluster ended it while this client was not subscribed", loss: .endedWithoutNotice)
        }
        let ended = session.locks.values.filter { lock in
            lock.fence.rawValue <= index && !fences.contains(lock.fence) && session.changingMode != lock.key
        }
        for lock in ended.sorted(by: { $0.key < $1.key }) {
            logger.warning("lock lost while unsubscribed", metadata: ["key": "\(lock.key)", "fence": "\(lock.fence)"])
            forget(lock, in: session, as: .lost, reason: .endedWithoutNotice)
        }
        if !ended.isEmpty { reportLocksAtRisk() }
    }

    /// Stops the subscription for good (the client is closing): every watch ends `cancelled`.
    func stopEvents() {
        let events = self.events
        _ = events.exchange?.cancel()
        events.exchange = nil
        events.retryTimer?.cancel()
        events.retryTimer = nil
        for timer in events.rereadTimers.values { timer.cancel() }
        events.rereadTimers = [:]
        let watches = events.watches.values
        events.watches = [:]
        events.watchesOfKey = [:]
        events.watchesOfPrefix = [:]
        for watch in watches { watch.queue.finish(.clientClosed) }
        events.positions = [:]
    }
}

import Wire

// Watch streams (`PadlockClient.watch(_:)`, `watch(prefix:)`): what the subscription's key states do to them,
// and the re-reads the client makes itself (a lock-delay ends without an entry, so without an event).

extension ClientCore {
    /// How long after a lock-delay's end (on the leader's clock, read against this machine's) the key is
    /// re-read, so that the re-read does not come just before the end because of the clocks' skew.
    static let lockDelayRereadSlack = Duration.milliseconds(50)

    /// Starts feeding `queue` the states of `target`: at once what is known, then every change.
    func watch(_ id: UInt64, _ target: WatchTarget, _ queue: WatchQueue) {
        let events = self.events
        guard !isClosing else { return queue.finish(.clientClosed) }
        guard events.watches.count < configuration.maximumWatches else {
            return queue.finish(
                .unavailable(
                    "this client already has \(events.watches.count) watches, its limit "
                        + "(configuration.maximumWatches); end one before starting another"))
        }
        events.watches[id] = WatchEntry(target: target, queue: queue)
        switch target {
        case .key(let key):
            if events.watchesOfKey[key] == nil {
                events.unwantedKeys.remove(key)
                if !events.confirmedKeys.contains(key) { events.unconfirmedKeys.insert(key) }
            }
            events.watchesOfKey[key, default: []].insert(id)
            if let known = events.known[key], !queue.push(known.state) { return overflowed(id) }
        case .prefix(let prefix):
            if events.watchesOfPrefix[prefix] == nil {
                events.unwantedPrefixes.remove(prefix)
                if !events.confirmedPrefixes.contains(prefix) { events.unconfirmedPrefixes.insert(prefix) }
            }
            events.watchesOfPrefix[prefix, default: []].insert(id)
            for key in events.known.keys.sorted() where prefix.covers(key) {
                guard let known = events.known[key], !known.state.isQuiet else { continue }
                if !queue.push(known.state) { return overflowed(id) }
            }
        }
        syncSubscription()
    }

    /// Stops feeding watch `id` (its consumer left, or it ended); unsubscribes what nobody watches any more.
    func unwatch(_ id: UInt64) {
        let events = self.events
        guard let entry = events.watches.removeValue(forKey: id) else { return }
        entry.queue.finish()
        switch entry.target {
        case .key(let key):
            events.watchesOfKey[key]?.remove(id)
            if events.watchesOfKey[key]?.isEmpty == true {
                events.watchesOfKey[key] = nil
                events.unconfirmedKeys.remove(key)
                if events.confirmedKeys.remove(key) != nil { events.unwantedKeys.insert(key) }
            }
        case .prefix(let prefix):
            events.watchesOfPrefix[prefix]?.remove(id)
            if events.watchesOfPrefix[prefix]?.isEmpty == true {
                events.watchesOfPrefix[prefix] = nil
                events.unconfirmedPrefixes.remove(prefix)
                if events.confirmedPrefixes.remove(prefix) != nil { events.unwantedPrefixes.insert(prefix) }
            }
        }
        for key in events.known.keys where !events.isWatched(key) {
            events.known[key] = nil
            events.rereadTimers.removeValue(forKey: key)?.cancel()
        }
        syncSubscription()
    }

    /// Ends every watch of `target` with `error` (the cluster refused to watch it).
    func endWatches(of target: WatchTarget, _ error: PadlockError) {
        let ids: Set<UInt64>
        switch target {
        case .key(let key): ids = events.watchesOfKey[key] ?? []
        case .prefix(let prefix): ids = events.watchesOfPrefix[prefix] ?? []
        }
        for id in ids.sorted() {
            events.watches[id]?.queue.finish(error)
            unwatch(id)
        }
    }

    private func overflowed(_ id: UInt64) {
        guard let entry = events.watches[id] else { return }
        let limit = entry.queue.keyLimit
        entry.queue.finish(
            .unavailable("the watch fell more than \(limit) unread keys behind its changes; read faster or watch again")
        )
        unwatch(id)
    }

    /// A key state from the subscription, read at `index`.
    func keyStateArrived(_ inspection: KeyInspection, index: UInt64) {
        let events = self.events
        guard events.isWatched(inspection.key) else { return }
        if let known = events.known[inspection.key], known.state.index > index { return }
        publish(KeyState(inspection, index: index))
    }

    /// Records `state` as the key's latest and hands it to every watch that covers the key when it says
    /// something new; arms the re-read that ends a lock-delay.
    private func publish(_ state: KeyState) {
        let events = self.events
        let key = state.key
        let previous = events.known[key]
        events.known[key] = KnownKeyState(state: state, generation: (previous?.generation ?? 0) + 1)
        events.rereadTimers.removeValue(forKey: key)?.cancel()
        if previous.map({ $0.state.holders != state.holders || $0.state.waiters != state.waiters }) ?? true
            || previous?.state.lockDelayedUntil != state.lockDelayedUntil
        {
            for watch in events.watches(covering: key) where !watch.queue.push(state) {
                for (id, entry) in events.watches where entry === watch { overflowed(id) }
            }
        }
        if state.holders.isEmpty, let until = state.lockDelayedUntil {
            scheduleReread(key, until: until)
        } else if state.isQuiet && events.watchesOfKey[key] == nil {
            // A key only a prefix covers is remembered only while something happens on it.
            events.known[key] = nil
        }
    }

    /// Re-reads `key` once its lock-delay is over on the leader's clock (read against this machine's wall
    /// clock, plus a little slack); a re-read that still finds it delayed is tried again a little later.
    private func scheduleReread(_ key: LockKey, until: Timestamp) {
        let now = environment.wallTime()
        let delay =
            until > now
            ? .milliseconds(Int64(min(until.rawValue - now.rawValue, 3_600_000))) + Self.lockDelayRereadSlack
            : configuration.backoffCap
        events.rereadTimers[key] = environment.schedule(after: delay) { [weak self] in
            self?.events.rereadTimers[key] = nil
            self?.reread(key)
        }
    }

    /// Reads `key` linearizably (`inspect`) and publishes the answer, unless a newer state arrived meanwhile.
    func reread(_ key: LockKey) {
        let events = self.events
        guard !isClosing, events.isWatched(key) else { return }
        // Asked again while a read is in flight (a resubscribed prefix): that read may answer from before what
        // asked, or be dropped for a newer state, so another follows it.
        guard events.rereading.insert(key).inserted else {
            events.rereadAgain.insert(key)
            return
        }
        let generation = events.known[key]?.generation ?? 0
        let exchange = Exchange(
            .inspect(key), kind: .read, label: "watch", deadline: callDeadline(),
            attemptTimeout: configuration.attemptTimeout, transport: transport)
        exchange.start { [weak self] outcome in
            guard let self else { return }
            let events = self.events
            events.rereading.remove(key)
            if events.rereadAgain.remove(key) != nil { return self.reread(key) }
            guard events.isWatched(key), (events.known[key]?.generation ?? 0) == generation else { return }
            // The answer is labelled with the last index the subscription saw. That is only true when it came
            // on the subscription's own connection, which follows the key: every change up to the read's index
            // then came first (a connection keeps its order) and moved the index. Otherwise read again later.
            guard case .answered(.success(.inspected(let inspection)), _, _) = outcome,
                let endpoint = exchange.answeredBy, endpoint == events.endpoint,
                let link = events.link, self.transport.link(at: endpoint) === link, events.isConfirmed(key)
            else {
                events.rereadTimers[key] = self.environment.schedule(after: self.configuration.backoffCap) {
                    [weak self] in
                    self?.events.rereadTimers[key] = nil
                    self?.reread(key)
                }
                return
            }
            let index = max(events.known[key]?.state.index ?? 0, events.lastIndex)
            self.publish(KeyState(inspection, index: index))
        }
    }
}

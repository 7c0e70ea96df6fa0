import LockTable
import PadlockTypes
import Raft
import Wire

/// Events: what the leader tells subscribed connections unasked, derived from applied entries only
/// (`docs/events.md`). A notice a user acts on is sent after the entry that caused it is committed and applied
/// here, never from a proposal.
extension Node {
    /// Most locked keys one prefix watch starts with; a prefix covering more is refused.
    static var prefixWatchKeysMax: Int { 1_000 }

    /// Adds to the connection's subscription, answers with the applied index it starts from, then sends what
    /// the subscriber missed or needs first: replayed losses (or a resync), queue positions, watch states.
    func subscribe(_ subscription: Subscription, _ reply: ReplyTarget) {
        guard leadership?.isReady == true else {
            let reason = "this node has just become leader and is catching up; retry"
            return respond(reply, .failure(.unavailable(reason: reason, retryAfterMilliseconds: 50)))
        }
        let follows = subscriptions.follows(reply.client)
        let adding =
            Set(subscription.keys).subtracting(follows.keys).count
            + Set(subscription.prefixes).subtracting(follows.prefixes).count
        guard follows.watchCount + adding <= configuration.watchesPerConnectionMax else {
            let reason =
                "a connection may watch at most \(configuration.watchesPerConnectionMax) keys and prefixes "
                + "(limits.watches-per-connection); it watches \(follows.watchCount); unwatch some or open another"
            return respond(reply, .failure(.overloaded(reason: reason)))
        }
        var prefixStates: [PadlockTypes.KeyInspection] = []
        for prefix in subscription.prefixes {
            guard let states = lockedKeyStates(under: prefix) else {
                let message =
                    "more than \(Self.prefixWatchKeysMax) keys are locked under \(prefix); watch a narrower prefix"
                return respond(reply, .failure(.invalidArgument(message: message)))
            }
            prefixStates += states
        }
        // An ended session is told so at once and not followed: nothing more can happen to it.
        var following = subscription
        following.sessions = subscription.sessions.filter { table.session($0) != nil }
        subscriptions.add(following, for: reply.client)
        let index = applied.rawValue
        respond(reply, .success(.subscribed(index: index)))
        for session in subscription.sessions where table.session(session) == nil {
            notify(reply.client, .resync(session: session, isOpen: false, fences: []), index: index)
        }
        for session in following.sessions { catchUp(session, after: subscription.after, on: reply.client) }
        for key in subscription.keys { notify(reply.client, .keyState(inspection(of: key)), index: index) }
        for state in prefixStates { notify(reply.client, .keyState(state), index: index) }
    }

    /// Removes from the connection's subscription; answered like `subscribe`.
    func unsubscribe(_ subscription: Subscription, _ reply: ReplyTarget) {
        guard leadership != nil else { return respond(reply, .failure(.notLeader(leaderHint))) }
        subscriptions.remove(subscription, for: reply.client)
        respond(reply, .success(.subscribed(index: applied.rawValue)))
    }

    /// Tells every subscribed connection that this node no longer serves it (it stopped leading).
    func endSubscriptions() {
        let clients = subscriptions.dropAll()
        let ended = EventBody.subscriptionEnded(reason: "this node is no longer the leader", leader: leaderHint)
        for client in clients { notify(client, ended, index: applied.rawValue) }
    }

    /// Records the losses an applied entry caused (every node) and, on the leader, tells the connections
    /// that follow the sessions and keys it changed.
    func publishEvents(of result: LockTable.Applied, command: Command?, at index: LogIndex) {
        var changed: [LockKey] = []
        if let keys = command?.requestedKeys { changed += keys }
        for event in result.events {
            switch event {
            case .lockReleased(let key, let previous, let reason):
                changed.append(key)
                guard case .lost(let loss) = reason else { continue }
                let lost = LossRing.Loss(index: index.rawValue, key: key, holder: previous, loss: loss)
                lossRing.append(lost)
                if let client = subscriptions.connection(for: previous.session) {
                    notify(client, .lockLost(key: key, holder: previous, loss: loss), index: index.rawValue)
                }
            case .waiterGranted(let request, let key, _), .waiterTimedOut(let request, let key, _),
                .waiterDropped(let request, let key, _):
                changed.append(key)
                subscriptions.positionsSent[request] = nil
            case .waiterGrantedKeys(let request, let keys, _):
                changed += keys
                subscriptions.positionsSent[request] = nil
            case .modeChanged(let key, _, _), .keyChanged(let key):
                changed.append(key)
            case .sessionEnded(let session, _):
                subscriptions.forget(session)
            }
        }
        guard !subscriptions.isEmpty, !changed.isEmpty else { return }
        publishChanges(Set(changed), at: index.rawValue)
    }

    /// Sends each changed key's state to its watchers and the new queue positions of followed waiters.
    private func publishChanges(_ changed: Set<LockKey>, at index: UInt64) {
        var states: [LockKey: Set<ClientID>] = [:]
        let keys = changed.sorted()
        if subscriptions.hasWatches {
            for key in keys {
                for (watched, clients) in subscriptions.watchers(of: key) {
                    states[watched, default: []].formUnion(clients)
                }
            }
        }
        sendPositions(on: keys, at: index)
        for (key, clients) in states.sorted(by: { $0.key < $1.key }) {
            let state = EventBody.keyState(inspection(of: key))
            for client in clients.sorted(by: { $0.rawValue < $1.rawValue }) { notify(client, state, index: index) }
        }
    }

    /// Sends the position of every followed waiter queued on one of `keys` whose position changed since it
    /// was last told.
    private func sendPositions(on keys: [LockKey], at index: UInt64) {
        for place in queuePlaces(on: keys, of: nil) {
            guard let client = subscriptions.connection(for: place.request.session),
                subscriptions.positionsSent[place.request] != place.position
            else { continue }
            subscriptions.positionsSent[place.request] = place.position
            let event = EventBody.waiterPosition(request: place.request, key: place.key, position: place.position)
            notify(client, event, index: index)
        }
    }

    /// The place in line of each followed waiter queued on one of `keys` (only those of `session` when it is
    /// given), in key order then queue order. A waiter of an all-or-nothing acquire stands in the queue of each
    /// of its keys: its place is the farthest back of those, on the first key where it is that far back, so
    /// it is told one position that changes only when that does.
    private func queuePlaces(on keys: [LockKey], of session: SessionID?) -> [QueuePlace] {
        var places: [QueuePlace] = []
        var found: [RequestID: Int] = [:]
        func note(_ request: RequestID, _ key: LockKey, _ position: UInt64) {
            guard let at = found[request] else {
                found[request] = places.count
                places.append(QueuePlace(request: request, key: key, position: position))
                return
            }
            if position > places[at].position {
                places[at] = QueuePlace(request: request, key: key, position: position)
            }
        }
        for key in keys {
            for (offset, request) in table.queuedRequests(on: key).enumerated() {
                guard session.map({ $0 == request.session }) ?? true,
                    subscriptions.connection(for: request.session) != nil
                else { continue }
                note(request, key, UInt64(offset + 1))
            }
        }
        // A session waiting on several keys may have one waiter on several of them: look at its other keys.
        let inKeys = Set(keys)
        for place in places {
            let waiting = table.waitingKeys(of: place.request.session)
            guard waiting.count > 1 else { continue }
            for key in waiting.sorted() where !inKeys.contains(key) {
                guard let offset = table.queuedRequests(on: key).firstIndex(of: place.request) else { continue }
                note(place.request, key, UInt64(offset + 1))
            }
        }
        return places
    }

    /// Brings a newly followed session up to date: its losses after `after` (or a resync when they are no
    /// longer kept), then the positions of its queued acquires.
    private func catchUp(_ session: SessionID, after: UInt64?, on client: ClientID) {
        let index = applied.rawValue
        if let after {
            if let losses = lossRing.losses(after: after, of: [session]) {
                for lost in losses {
                    notify(client, .lockLost(key: lost.key, holder: lost.holder, loss: lost.loss), index: lost.index)
                }
            } else {
                let resync = EventBody.resync(
                    session: session, isOpen: table.session(session) != nil, fences: table.heldFences(of: session))
                notify(client, resync, index: index)
            }
        }
        for place in queuePlaces(on: table.waitingKeys(of: session).sorted(), of: session) {
            subscriptions.positionsSent[place.request] = place.position
            let event = EventBody.waiterPosition(request: place.request, key: place.key, position: place.position)
            notify(client, event, index: index)
        }
    }

    /// The states of the keys at or under `prefix` that are locked now, one per key; nil when there are more
    /// than `prefixWatchKeysMax`.
    private func lockedKeyStates(under prefix: LockKey) -> [PadlockTypes.KeyInspection]? {
        var keys: [LockKey] = []
        var after: LockKey?
        repeat {
            let page = table.list(prefix: prefix, after: after, limit: Self.prefixWatchKeysMax + 1)
            for lock in page.locks where keys.last != lock.key { keys.append(lock.key) }
            guard keys.count <= Self.prefixWatchKeysMax else { return nil }
            after = page.nextAfter
        } while after != nil
        return keys.map { inspection(of: $0) }
    }

    /// The self-test's `notifiesLossesOnProposal` bug: tells the holders a proposed force-unlock would end that
    /// their locks are lost, before the entry is committed (it may never be).
    func announceProposedLosses(_ command: Command, at index: LogIndex) {
        guard case .forceUnlock(_, let key, let reason, let admin) = command else { return }
        for info in table.inspect(key).holders {
            guard let client = subscriptions.connection(for: info.holder.session) else { continue }
            let loss = LockLoss.forceUnlocked(by: admin, reason: reason)
            notify(client, .lockLost(key: key, holder: info.holder, loss: loss), index: index.rawValue)
        }
    }

    private func notify(_ client: ClientID, _ body: EventBody, index: UInt64) {
        counters.eventsSent += 1
        environment.notify(ClientEvent(index: index, body: body), to: client)
    }
}

/// Where a followed waiter stands in line: `position` (1: next) on `key`.
struct QueuePlace {
    var request: RequestID
    var key: LockKey
    var position: UInt64
}

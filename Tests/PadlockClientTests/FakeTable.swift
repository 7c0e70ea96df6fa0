import EventLoop
import Foundation
import PadlockTypes
import Wire

/// A small lock table with the semantics the client relies on (docs/locktable.md): one kept answer per
/// session with exactly-once retries, resolve, FIFO waiters, cancelWait, subtree conflicts, reentrancy.
/// Loop thread only.
final class FakeTable {
    struct Session {
        var owner: String
        var nonce: UInt64
        var lastSequence: UInt64 = 0
        /// The answer to `lastSequence`; nil while that request is a queued acquire.
        var lastAnswer: Result<ClientResult, ClientFailure>?
        var ended = false
    }

    final class Waiter {
        let request: RequestID
        let key: LockKey
        let mode: LockMode
        let note: String
        var replies: [ReplyTarget]
        var timer: LoopTimer?

        init(request: RequestID, key: LockKey, mode: LockMode, note: String, replies: [ReplyTarget]) {
            self.request = request
            self.key = key
            self.mode = mode
            self.note = note
            self.replies = replies
        }
    }

    let loop: EventLoop
    var nextIndex: UInt64 = 100
    var sessions: [SessionID: Session] = [:]
    var holders: [LockKey: [Holder]] = [:]
    var waiters: [Waiter] = []
    /// Every release applied (clean, by close, by force), as key and fence.
    var releases: [(key: LockKey, fence: FenceToken)] = []
    /// Every grant applied, with its request.
    var grants: [(request: RequestID, holder: Holder)] = []
    /// Every takeover applied: its request, its reason, and the holders it ended.
    var takeovers: [(request: RequestID, reason: String, ended: [Holder])] = []
    /// Every lock that ended without its holder releasing it, with the index of the entry that ended it.
    var losses: [(index: UInt64, key: LockKey, holder: Holder, loss: LockLoss)] = []
    /// Lock-delays by key, on the wall clock: `inspect` reports one until it passes.
    var lockDelays: [LockKey: Timestamp] = [:]
    /// Called when a waiter's wait runs out (a change no request made).
    var onChange: (() -> Void)?
    /// Holds in place, by key, in rule order.
    var holds: [LockKey: [Hold]] = [:]
    /// Most holds a listing page carries, so that tests see the client page.
    var holdPageSize = 2

    init(loop: EventLoop) { self.loop = loop }

    private func index() -> UInt64 {
        nextIndex += 1
        return nextIndex
    }

    func stopTimers() { for waiter in waiters { waiter.timer?.cancel() } }

    /// Applies `operation`; nil when the answer comes later (a queued acquire answers `reply` then).
    func apply(_ operation: ClientOperation, reply: ReplyTarget?) -> Result<ClientResult, ClientFailure>? {
        switch operation {
        case .openSession(let owner, let nonce, let ttl):
            if let (id, _) = sessions.first(where: {
                $0.value.owner == owner && $0.value.nonce == nonce && !$0.value.ended
            }) {
                return .success(
                    .sessionOpened(
                        SessionGrant(session: id, ttlMilliseconds: ttl, renewalDeadline: Timestamp(rawValue: 0))))
            }
            let id = SessionID(index())
            sessions[id] = Session(owner: owner, nonce: nonce)
            return .success(
                .sessionOpened(SessionGrant(session: id, ttlMilliseconds: ttl, renewalDeadline: Timestamp(rawValue: 0)))
            )
        case .renewSession(let id):
            guard let session = sessions[id], !session.ended else { return .failure(.sessionExpired) }
            return .success(
                .sessionRenewed(SessionGrant(session: id, ttlMilliseconds: 0, renewalDeadline: Timestamp(rawValue: 0))))
        case .renewSessions(let ids):
            return .success(
                .sessionsRenewed(
                    ids.map { id in
                        guard let session = sessions[id], !session.ended else {
                            return SessionRenewal(session: id, outcome: .failure(.sessionExpired))
                        }
                        let grant = SessionGrant(
                            session: id, ttlMilliseconds: 0, renewalDeadline: Timestamp(rawValue: 0))
                        return SessionRenewal(session: id, outcome: .success(grant))
                    }))
        case .resolve(let id):
            return resolve(id, reply: reply)
        case .inspect(let key):
            return .success(.inspected(inspect(key)))
        case .list:
            let locks = holders.keys.sorted().flatMap { key in
                holders[key]!.map { LockInfo(key: key, holder: $0, leaseDeadline: Timestamp(rawValue: 0)) }
            }
            return .success(.listed(ListPage(locks: locks, next: nil)))
        case .checkFence(let key, let fence):
            let current = holders[key]?.last?.fence
            return .success(
                .fenceChecked(
                    FenceCheck(isCurrent: holders[key]?.contains { $0.fence == fence } ?? false, currentFence: current))
            )
        case .audit:
            return .success(.audited(AuditPage(records: [], next: nil, oldestKept: 0)))
        case .members:
            return .success(.members([]))
        case .holds(let prefix, let after, let limit):
            let all = holds.keys.filter { key in prefix.map { $0.covers(key) } ?? true }.sorted()
                .filter { key in after.map { key > $0 } ?? true }
            let page = Array(all.prefix(min(limit, holdPageSize)))
            let next = all.count > page.count ? page.last : nil
            return .success(.holdsListed(HoldPage(holds: page.flatMap { holds[$0] ?? [] }, next: next)))
        default:
            guard let id = operation.requestID else { return .failure(.invalidArgument(message: "unsupported")) }
            return deduplicated(id, reply: reply) { self.applyMutation(operation, reply: reply) }
        }
    }

    /// Exactly-once: the stored answer for a repeat, `superseded` for an older sequence, else `body`.
    private func deduplicated(
        _ id: RequestID, reply: ReplyTarget?, _ body: () -> Result<ClientResult, ClientFailure>?
    ) -> Result<ClientResult, ClientFailure>? {
        guard let session = sessions[id.session], !session.ended else { return .failure(.sessionExpired) }
        if id.sequence == session.lastSequence {
            if session.lastAnswer == nil, let reply { waiter(for: id)?.replies.append(reply) }
            return session.lastAnswer
        }
        if id.sequence < session.lastSequence { return .failure(.superseded) }
        let answer = body()
        sessions[id.session]?.lastSequence = id.sequence
        sessions[id.session]?.lastAnswer = answer
        return answer
    }

    private func resolve(_ id: RequestID, reply: ReplyTarget?) -> Result<ClientResult, ClientFailure>? {
        guard let session = sessions[id.session], !session.ended else { return .failure(.sessionExpired) }
        if id.sequence == session.lastSequence {
            if session.lastAnswer == nil, let reply { waiter(for: id)?.replies.append(reply) }
            return session.lastAnswer
        }
        if id.sequence < session.lastSequence { return .failure(.superseded) }
        sessions[id.session]?.lastSequence = id.sequence
        sessions[id.session]?.lastAnswer = .failure(.unknownRequest)
        return .failure(.unknownRequest)
    }

    private func waiter(for id: RequestID) -> Waiter? { waiters.first { $0.request == id } }

    private func applyMutation(
        _ operation: ClientOperation, reply: ReplyTarget?
    ) -> Result<ClientResult, ClientFailure>? {
        switch operation {
        case .acquire(let id, let acquisition):
            return acquire(id, acquisition, reply: reply)
        case .release(let id, let key, let fence):
            guard let index = holders[key]?.firstIndex(where: { $0.session == id.session && $0.fence == fence }) else {
                return .failure(.notHeld)
            }
            holders[key]!.remove(at: index)
            if holders[key]!.isEmpty { holders[key] = nil }
            releases.append((key, fence))
            promote()
            return .success(.released)
        case .cancelWait(let id, let key):
            guard let index = waiters.firstIndex(where: { $0.request.session == id.session && $0.key == key }) else {
                return .failure(.notWaiting)
            }
            let waiter = waiters.remove(at: index)
            finish(waiter, .failure(.timedOut))
            return .success(.waitCancelled)
        case .closeSession(let id):
            end(id.session)
            return .success(.sessionClosed)
        case .forceUnlock(_, let key, let reason):
            return forceUnlock(key, reason: reason)
        case .takeover(let id, let acquisition, let reason):
            return takeover(id, acquisition, reason: reason)
        case .acquireKeys(let id, let keys, let acquisition, let roles):
            return acquireKeys(id, keys, acquisition, roles: roles)
        case .changeMode(let id, let key, let fence, let mode, _, let roles):
            return changeMode(id, key, fence, mode, roles: roles)
        case .placeHold(let id, let placement):
            return placeHold(id, placement)
        case .liftHold(_, let key, let rule, _):
            let lifted = (holds[key] ?? []).filter { rule == nil || $0.rule == rule }
            guard !lifted.isEmpty else { return .failure(.noHold) }
            holds[key]?.removeAll { rule == nil || $0.rule == rule }
            if holds[key]?.isEmpty == true { holds[key] = nil }
            return .success(.holdsLifted(lifted))
        case .revokeSession(_, let target, let reason):
            guard let session = sessions[target], !session.ended else { return .failure(.sessionExpired) }
            let released = end(target, loss: .sessionRevoked(by: Self.administrator, reason: reason))
            return .success(.sessionRevoked(releasedLockCount: UInt64(released)))
        default:
            return .failure(.invalidArgument(message: "unsupported"))
        }
    }

    /// Ends every conflicting holder and grants at once, as the table's takeover does.
    private func takeover(
        _ id: RequestID, _ acquisition: Acquisition, reason: String
    ) -> Result<ClientResult, ClientFailure> {
        let ended = conflicts(acquisition.key, acquisition.mode)
        for lock in ended {
            holders[lock.key]!.removeAll { $0 == lock.holder }
            if holders[lock.key]!.isEmpty { holders[lock.key] = nil }
            releases.append((lock.key, lock.holder.fence))
        }
        let holder = grant(id, acquisition.key, acquisition.mode, acquisition.note)
        for lock in ended {
            losses.append((holder.fence.rawValue, lock.key, lock.holder, .takenOver(by: holder, reason: reason)))
        }
        takeovers.append((id, reason, ended.map(\.holder)))
        return .success(.granted(holder))
    }

    /// The actor the fake audits administrative changes under.
    static let administrator = "admin@ops"

    /// Releases every hold on `key`, as an administrator's force-unlock does.
    func forceUnlock(
        _ key: LockKey, reason: String = "forgot to exit the record"
    ) -> Result<ClientResult, ClientFailure> {
        guard let previous = holders.removeValue(forKey: key) else { return .failure(.notHeld) }
        let at = index()
        for holder in previous {
            releases.append((key, holder.fence))
            losses.append((at, key, holder, .forceUnlocked(by: Self.administrator, reason: reason)))
        }
        promote()
        return .success(.forceUnlocked(previous: previous))
    }

    /// Ends a session: releases its locks, drops its waiters. Returns the locks released.
    @discardableResult
    func end(_ session: SessionID, loss: LockLoss? = nil) -> Int {
        sessions[session]?.ended = true
        var released = 0
        let at = index()
        for key in holders.keys.sorted() {
            for holder in holders[key]! where holder.session == session {
                releases.append((key, holder.fence))
                if let loss { losses.append((at, key, holder, loss)) }
                released += 1
            }
            holders[key]!.removeAll { $0.session == session }
            if holders[key]!.isEmpty { holders[key] = nil }
        }
        for waiter in waiters where waiter.request.session == session { finish(waiter, .failure(.sessionExpired)) }
        waiters.removeAll { $0.request.session == session }
        promote()
        return released
    }

    /// Every conflicting holder with its key, in key order, as the cluster's `held` answer names them.
    private func conflicts(_ key: LockKey, _ mode: LockMode) -> [LockInfo] {
        holders.keys.filter { $0.overlaps(key) }.sorted().flatMap { held in
            holders[held]!.filter { !$0.mode.isCompatible(with: mode) }.map {
                LockInfo(key: held, holder: $0, leaseDeadline: Timestamp(rawValue: 0))
            }
        }
    }

    private func conflict(_ key: LockKey, _ mode: LockMode, session: SessionID) -> Holder? {
        conflicts(key, mode).first?.holder
    }

    private func held(_ key: LockKey, _ mode: LockMode, waiterCount: Int) -> ClientFailure? {
        let all = conflicts(key, mode)
        guard !all.isEmpty else { return nil }
        let limit = WireLimits.heldHoldersMax
        return .held(by: Array(all.prefix(limit)), truncated: all.count > limit, waiterCount: UInt64(waiterCount))
    }

    private func acquire(
        _ id: RequestID, _ acquisition: Acquisition, reply: ReplyTarget?
    ) -> Result<ClientResult, ClientFailure>? {
        let key = acquisition.key
        if let existing = holders[key]?.first(where: { $0.session == id.session && $0.mode == acquisition.mode }) {
            return .success(.granted(existing))
        }
        if let hold = refusingHold(key, acquisition.mode, roles: []) { return .failure(.restricted(by: hold)) }
        let blocked = conflict(key, acquisition.mode, session: id.session)
        let queuedAhead = waiters.contains { $0.key.overlaps(key) }
        if blocked == nil && !queuedAhead {
            return .success(.granted(grant(id, key, acquisition.mode, acquisition.note)))
        }
        guard acquisition.waitMilliseconds > 0 else {
            if blocked != nil, let held = held(key, acquisition.mode, waiterCount: waiters.count) {
                return .failure(held)
            }
            return .failure(.waitersAhead(key: key, waiterCount: UInt64(waiters.count)))
        }
        let waiter = Waiter(
            request: id, key: key, mode: acquisition.mode, note: acquisition.note, replies: reply.map { [$0] } ?? [])
        waiters.append(waiter)
        waiter.timer = loop.schedule(after: .milliseconds(Int64(acquisition.waitMilliseconds))) {
            [weak self, weak waiter] in
            guard let self, let waiter, let index = self.waiters.firstIndex(where: { $0 === waiter }) else { return }
            self.waiters.remove(at: index)
            let answer = self.held(key, acquisition.mode, waiterCount: 0)
            self.finish(waiter, answer.map { .failure($0) } ?? .failure(.timedOut))
            self.onChange?()
        }
        return nil
    }

    private func grant(_ id: RequestID, _ key: LockKey, _ mode: LockMode, _ note: String) -> Holder {
        let owner = sessions[id.session]?.owner ?? "?"
        let holder = Holder(
            session: id.session, owner: owner, mode: mode, fence: FenceToken(index()),
            since: Timestamp(rawValue: 1_000), note: note)
        holders[key, default: []].append(holder)
        grants.append((id, holder))
        return holder
    }

    /// Grants waiters in arrival order while nothing conflicts with them.
    private func promote() {
        var index = 0
        while index < waiters.count {
            let waiter = waiters[index]
            let earlier = waiters[..<index].contains { $0.key.overlaps(waiter.key) }
            guard !earlier, conflict(waiter.key, waiter.mode, session: waiter.request.session) == nil else {
                index += 1
                continue
            }
            waiters.remove(at: index)
            finish(waiter, .success(.granted(grant(waiter.request, waiter.key, waiter.mode, waiter.note))))
        }
    }

    /// Answers a waiter and stores the final answer when it is still its session's last request.
    private func finish(_ waiter: Waiter, _ outcome: Result<ClientResult, ClientFailure>) {
        waiter.timer?.cancel()
        if sessions[waiter.request.session]?.lastSequence == waiter.request.sequence {
            sessions[waiter.request.session]?.lastAnswer = outcome
        }
        for reply in waiter.replies { reply.send(outcome) }
    }

    func inspect(_ key: LockKey) -> KeyInspection {
        let infos = holders.keys.filter { $0.overlaps(key) }.sorted().flatMap { held in
            holders[held]!.map { LockInfo(key: held, holder: $0, leaseDeadline: Timestamp(rawValue: 0)) }
        }
        let queued = waiters.filter { $0.key.overlaps(key) }.map {
            PadlockTypes.Waiter(
                key: $0.key, session: $0.request.session, owner: sessions[$0.request.session]?.owner ?? "",
                mode: $0.mode, since: Timestamp(rawValue: 0))
        }
        let now = Timestamp(millisecondsSinceEpoch: UInt64(Date().timeIntervalSince1970 * 1000))
        let delay = lockDelays.filter { $0.key.overlaps(key) && $0.value > now }.map(\.value).max()
        let covering = holds.keys.filter { $0.overlaps(key) }.sorted().flatMap { holds[$0] ?? [] }
        return KeyInspection(key: key, holders: infos, waiters: queued, lockDelayedUntil: delay, holds: covering)
    }
}

// Holds, all-or-nothing acquires and mode changes, as `docs/holds.md` describes them (no queueing).
extension FakeTable {
    /// The first hold that refuses `mode` on `key` to `roles`, in key order.
    func refusingHold(_ key: LockKey, _ mode: LockMode, roles: [String]) -> Hold? {
        holds.keys.filter { $0.overlaps(key) }.sorted().lazy.compactMap { held in
            self.holds[held]?.first { $0.refuses(key, mode: mode, roles: roles) }
        }.first
    }

    fileprivate func acquireKeys(
        _ id: RequestID, _ keys: [LockKey], _ acquisition: Acquisition, roles: [String]
    ) -> Result<ClientResult, ClientFailure> {
        for key in keys {
            if let hold = refusingHold(key, acquisition.mode, roles: roles) { return .failure(.restricted(by: hold)) }
            if let held = held(key, acquisition.mode, waiterCount: 0) { return .failure(held) }
        }
        let fence = FenceToken(nextIndex + 1)
        nextIndex += 1
        let owner = sessions[id.session]?.owner ?? "?"
        let granted = keys.map { key in
            let holder = Holder(
                session: id.session, owner: owner, mode: acquisition.mode, fence: fence,
                since: Timestamp(rawValue: 1_000), note: acquisition.note)
            holders[key, default: []].append(holder)
            grants.append((id, holder))
            return holder
        }
        return keys.count == 1 ? .success(.granted(granted[0])) : .success(.grantedKeys(granted))
    }

    fileprivate func changeMode(
        _ id: RequestID, _ key: LockKey, _ fence: FenceToken, _ mode: LockMode, roles: [String]
    ) -> Result<ClientResult, ClientFailure> {
        guard let index = holders[key]?.firstIndex(where: { $0.session == id.session && $0.fence == fence }),
            var holder = holders[key]?[index]
        else { return .failure(.notHeld) }
        if mode == .exclusive {
            if let hold = refusingHold(key, mode, roles: roles) { return .failure(.restricted(by: hold)) }
            let others = conflicts(key, mode).filter { $0.holder != holder }
            if !others.isEmpty { return .failure(.held(by: others, truncated: false, waiterCount: 0)) }
        }
        nextIndex += 1
        holder.mode = mode
        holder.fence = FenceToken(nextIndex)
        holders[key]?[index] = holder
        grants.append((id, holder))
        return .success(.granted(holder))
    }

    fileprivate func placeHold(_ id: RequestID, _ placement: HoldPlacement) -> Result<ClientResult, ClientFailure> {
        nextIndex += 1
        let hold = Hold(
            key: placement.key, rule: placement.rule, reason: placement.reason, source: placement.source,
            placedBy: sessions[id.session]?.owner ?? "?", since: Timestamp(rawValue: 1_000),
            fence: FenceToken(nextIndex), restricts: placement.restricts, exemptRoles: placement.exemptRoles,
            editableFields: placement.editableFields)
        holds[placement.key, default: []].removeAll { $0.rule == placement.rule }
        holds[placement.key, default: []].append(hold)
        var ended: [LockInfo] = []
        if placement.endsHolders {
            for key in holders.keys.sorted() where key.overlaps(placement.key) {
                let refused = holders[key]?.filter { hold.refuses(key, mode: $0.mode, roles: []) } ?? []
                for holder in refused {
                    ended.append(LockInfo(key: key, holder: holder, leaseDeadline: Timestamp(rawValue: 0)))
                    let loss = LockLoss.forceUnlocked(by: Self.administrator, reason: "hold '\(hold.rule)'")
                    losses.append((nextIndex, key, holder, loss))
                    releases.append((key, holder.fence))
                }
                holders[key]?.removeAll { refused.contains($0) }
                if holders[key]?.isEmpty == true { holders[key] = nil }
            }
        }
        return .success(.holdPlaced(hold, ended: ended))
    }
}

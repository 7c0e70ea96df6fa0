import Node
import PadlockClient
import PadlockTypes
import Wire

/// One watch stream a simulated front end follows through its core (`ClientCoreDriver.watch`), and the last
/// state it yielded for each key.
final class SimWatch {
    let id: UInt64
    let key: LockKey
    let isPrefix: Bool
    /// The last state yielded per key (a key watch yields only its key).
    var last: [LockKey: KeyState] = [:]

    init(id: UInt64, key: LockKey, isPrefix: Bool) {
        self.id = id
        self.key = key
        self.isPrefix = isPrefix
    }

    var description: String { isPrefix ? "prefix \(key)" : "key \(key)" }
}

/// A lock a client was granted, followed to its end for the loss checks.
final class TrackedLock {
    let lock: Lock
    /// The lock's current grant: an upgrade or downgrade gives it a new fence.
    var grant: EventHistory.Grant { EventHistory.Grant(session: lock.holder.session, fence: lock.fence) }
    /// The client asked to release it (a release, or a sign-out of its owner): any end is then its own doing.
    var releaseAsked = false
    /// The client asked to upgrade or downgrade it: the answer (`notHeld`) may tell it the lock ended before
    /// the notice does, as a release's may.
    var modeChangeAsked = false

    init(_ lock: Lock) {
        self.lock = lock
    }

    /// It ended for good: released, or lost for a reason other than the lease arithmetic (which a later
    /// notice may still replace with the cluster's reason).
    var isSettled: Bool {
        switch lock.lossReason {
        case .leaseRanOut?: false
        case nil: lock.state == .released
        default: true
        }
    }
}

extension Simulation {
    /// After every event a client handled: what its watch streams yielded and what its locks' loss reasons say
    /// must agree with the committed log (docs/simulation.md, "Events").
    func observeEvents(of client: SimClient) {
        for watch in client.watches where violations.isEmpty { drain(watch, of: client) }
        client.unsettled.removeAll { tracked in
            if case .cluster(let loss)? = tracked.lock.lossReason { checkNotice(loss, tracked, client) }
            return tracked.isSettled
        }
    }

    /// Checks every state a watch stream yielded: about the watched key (or one under the watched prefix), never
    /// older than the last one for its key, and listing the holders the committed log had at its index.
    private func drain(_ watch: SimWatch, of client: SimClient) {
        let (states, finished, failure) = client.driver.watchStates(watch.id)
        for state in states {
            note(
                "\(client.owner)'s watch of \(watch.description) yields \(state.key) at \(state.index): \(state.holders.map { "\($0.key) \($0.holder.fence)" })"
            )
            let about = watch.isPrefix ? watch.key.covers(state.key) : watch.key == state.key
            guard about else {
                return violation("\(client.owner)'s watch of \(watch.description) yielded a state of \(state.key)")
            }
            if let previous = watch.last[state.key], previous.index > state.index {
                return violation(
                    "\(client.owner)'s watch of \(watch.description) yielded \(state.key) at index \(state.index) after "
                        + "index \(previous.index): states of one key must only move forward")
            }
            if let problem = observer.eventHistory.problem(
                withState: state.key, holders: state.holders, at: state.index)
            {
                return violation("\(client.owner)'s watch of \(watch.description) yielded \(problem)")
            }
            watch.last[state.key] = state
        }
        if finished {
            violation(
                "\(client.owner)'s watch of \(watch.description) ended (\(failure.map { "\($0)" } ?? "no error")): "
                    + "a watch must survive every fault")
        }
    }

    /// A client ended a lock for a loss the cluster named: the committed log must have ended that lock (session
    /// and fence) for exactly that reason.
    private func checkNotice(_ loss: LockLoss, _ tracked: TrackedLock, _ client: SimClient) {
        let lock = tracked.lock
        guard let ended = observer.eventHistory.loss(of: tracked.grant, on: tracked.lock.key) else {
            return violation(
                "\(client.owner) holds \(lock.key) (\(lock.fence)) as lost for '\(loss)', but no committed entry up to "
                    + "\(observer.eventHistory.lastIndex) ended that lock")
        }
        guard ended.loss == loss, ended.key == lock.key else {
            return violation(
                "\(client.owner) holds \(lock.key) (\(lock.fence)) as lost for '\(loss)', but the committed log ended "
                    + "it at index \(ended.index) on \(ended.key) for '\(ended.loss)'")
        }
    }

    /// A node sent an event: resyncs are remembered, because they excuse a loss the client learns without its
    /// reason.
    func noteSent(_ event: ClientEvent) {
        if case .resync(let session, _, _) = event.body { resyncs[session, default: []].append(event.index) }
    }

    /// After the final heal, once every client has drained: the first way the clients' view of events still
    /// differs from the cluster, or nil when every watcher shows the leader's table and every holder whose lock
    /// the cluster ended has been told. The run waits for nil (within the liveness budget).
    func eventsUnsettled() -> String? {
        guard let leader = nodes.first(where: { $0.state == .up && $0.node?.isLeader == true })?.node else {
            return "no leader"
        }
        for client in clients {
            for watch in client.watches {
                let keys = watch.isPrefix ? self.keys.filter { watch.key.covers($0) } : [watch.key]
                for key in keys {
                    if let problem = disagreement(watch, key, leader.inspection(of: key)) {
                        return
                            "\(client.owner)'s watch of \(watch.description): \(problem) (\(client.driver.subscriptionSummary))"
                    }
                }
            }
            for tracked in client.granted where !tracked.releaseAsked {
                if let problem = untold(tracked) { return "\(client.owner): \(problem)" }
            }
        }
        return nil
    }

    /// How a watch's last state of `key` differs from the leader's: holders (compared without their lease
    /// deadlines, which lease checkpoints move without an event), waiters and lock-delay. A prefix watch is told a
    /// key's state when that key changes, so only the key's own holders and waiters are compared for it.
    private func disagreement(_ watch: SimWatch, _ key: LockKey, _ table: KeyInspection) -> String? {
        let seen = watch.last[key]
        let exactOnly = watch.isPrefix
        func holders(_ list: [LockInfo]) -> [HeldView] {
            list.filter { !exactOnly || $0.key == key }.map { HeldView(key: $0.key, holder: $0.holder) }
        }
        func waiters(_ list: [Waiter]) -> [Waiter] { list.filter { !exactOnly || $0.key == key } }
        let seenHolders = holders(seen?.holders ?? [])
        let tableHolders = holders(table.holders)
        if seenHolders != tableHolders {
            return "last state of \(key) (index \(seen?.index ?? 0)) lists holders \(seenHolders.map(\.text)), the "
                + "leader's table \(tableHolders.map(\.text))"
        }
        if waiters(seen?.waiters ?? []) != waiters(table.waiters) {
            return "last state of \(key) (index \(seen?.index ?? 0)) lists \(waiters(seen?.waiters ?? []).count) "
                + "waiters, the leader's table \(waiters(table.waiters).count)"
        }
        if !exactOnly, seen?.lockDelayedUntil != table.lockDelayedUntil {
            return "last state of \(key) (index \(seen?.index ?? 0)) has lock-delay until "
                + "\(seen?.lockDelayedUntil.map { "\($0.rawValue)" } ?? "none"), the leader's table "
                + "\(table.lockDelayedUntil.map { "\($0.rawValue)" } ?? "none")"
        }
        return nil
    }

    /// Why a lock the committed log ended, which its client did not release itself, does not show the loss
    /// it may show; nil when it does. It must be lost with the cluster's reason (`.cluster`), or with a reason
    /// the client reached on its own before the notice could reach it (its lease ran out, or the session ended
    /// by an answer), or `.endedWithoutNotice` when the leader resynced the session after the loss (the loss
    /// had fallen out of the leader's ring).
    private func untold(_ tracked: TrackedLock) -> String? {
        guard let ended = observer.eventHistory.loss(of: tracked.grant, on: tracked.lock.key) else { return nil }
        let lock = tracked.lock
        switch lock.lossReason {
        case .cluster?, .leaseRanOut?, .sessionEnded?:
            return nil
        case .endedWithoutNotice?:
            if tracked.modeChangeAsked { return nil }
            if resyncs[lock.holder.session, default: []].contains(where: { $0 >= ended.index }) { return nil }
            return "\(lock.key) (\(lock.fence)) ended without notice, but the committed log ended it at index "
                + "\(ended.index) for '\(ended.loss)' and the leader never resynced its session"
        case nil:
            return "\(lock.key) (\(lock.fence)) is still \(lock.state), but the committed log ended it at index "
                + "\(ended.index) for '\(ended.loss)'"
        }
    }
}

/// A holder as a watcher can compare it: key and holder, without the lease deadline.
private struct HeldView: Equatable {
    var key: LockKey
    var holder: Holder

    var text: String { "\(key) \(holder.session) \(holder.fence)" }
}

import LockTable
import PadlockTypes
import Wire

/// The committed history of holders and losses, as the first node to apply each entry saw it: what every
/// event a node sends is checked against (docs/events.md, "How it is checked").
///
/// A lost notice must name a lock that ended in the committed log at the event's index for that reason; a watch
/// state must list, for its key, exactly the holders the committed log had there at its index, and only
/// holders that held at that index for the overlapping keys.
struct EventHistory {
    /// One grant: the session and the fence.
    struct Grant: Hashable {
        var session: SessionID
        var fence: FenceToken
    }

    /// Per key, the holders after each entry that changed them, in index order.
    private var holders: [String: [(index: UInt64, grants: Set<Grant>)]] = [:]
    /// How each lost lock ended, with the index of the entry that ended it, by grant and key (the keys of an
    /// all-or-nothing acquire share one session and fence).
    private var losses: [LostLock: (index: UInt64, key: LockKey, loss: LockLoss)] = [:]

    /// One lock: a grant on a key.
    private struct LostLock: Hashable {
        var grant: Grant
        var key: String
    }
    /// The highest index recorded.
    private(set) var lastIndex: UInt64 = 0

    /// Records an entry applied for the first time, from the table just after it.
    mutating func record(index: UInt64, command: Command?, result: LockTable.Applied, table: LockTable) {
        lastIndex = max(lastIndex, index)
        var changed: Set<LockKey> = []
        changed.formUnion(command?.requestedKeys ?? [])
        for event in result.events {
            switch event {
            case .lockReleased(let key, let previous, let reason):
                changed.insert(key)
                if case .lost(let loss) = reason {
                    let grant = Grant(session: previous.session, fence: previous.fence)
                    losses[LostLock(grant: grant, key: key.string)] = (index, key, loss)
                }
            case .waiterGranted(_, let key, _), .modeChanged(let key, _, _), .keyChanged(let key):
                changed.insert(key)
            case .waiterGrantedKeys(_, let keys, _):
                changed.formUnion(keys)
            case .waiterTimedOut, .waiterDropped, .sessionEnded:
                break
            }
        }
        for key in changed {
            let grants = Set(
                table.inspect(key).holders.map { Grant(session: $0.holder.session, fence: $0.holder.fence) })
            if holders[key.string]?.last?.grants != grants { holders[key.string, default: []].append((index, grants)) }
        }
    }

    /// Records an entry applied for the first time that changed no lock (a no-op, a membership change).
    mutating func noteApplied(index: UInt64) { lastIndex = max(lastIndex, index) }

    /// The grants on exactly `key` after entry `index`.
    func grants(on key: LockKey, at index: UInt64) -> Set<Grant> {
        holders[key.string]?.last { $0.index <= index }?.grants ?? []
    }

    /// What is wrong with `event` sent by a node, or nil when the committed history agrees with it.
    func problem(with event: ClientEvent) -> String? {
        switch event.body {
        case .lockLost(let key, let holder, let loss):
            let grant = Grant(session: holder.session, fence: holder.fence)
            guard let ended = losses[LostLock(grant: grant, key: key.string)] else {
                return "a lost notice for \(key) (\(holder.fence), \(holder.session)) at index \(event.index), but "
                    + "no committed entry up to \(lastIndex) ended that lock"
            }
            guard ended.index == event.index, ended.loss == loss, ended.key == key else {
                return "a lost notice for \(key) (\(holder.fence)) says \(loss) at index \(event.index), but the "
                    + "committed log ended it at \(ended.index): \(ended.loss)"
            }
            return nil
        case .keyState(let state):
            return problem(withState: state.key, holders: state.holders, at: event.index)
        case .waiterPosition, .resync, .subscriptionEnded:
            return nil
        }
    }

    /// What is wrong with a state of `key` listing `holders` at log index `index` (sent by a node or yielded by
    /// a watch stream), or nil when the committed history agrees with it.
    func problem(withState key: LockKey, holders: [LockInfo], at index: UInt64) -> String? {
        guard index <= lastIndex else {
            return "a state of \(key) at index \(index), beyond the last applied entry \(lastIndex)"
        }
        let exact = Set(
            holders.filter { $0.key == key }.map { Grant(session: $0.holder.session, fence: $0.holder.fence) })
        let committed = grants(on: key, at: index)
        guard exact == committed else {
            return "a state of \(key) at index \(index) lists holders \(exact.map(\.fence).sorted()), but the "
                + "committed log has \(committed.map(\.fence).sorted()) there"
        }
        for info in holders
        where !grants(on: info.key, at: index).contains(Grant(session: info.holder.session, fence: info.holder.fence)) {
            return
                "a state of \(key) at index \(index) lists \(info.key) (\(info.holder.fence)), which did not hold there"
        }
        return nil
    }

    /// How the committed log ended `grant`'s lock, and at which index; nil while it has not.
    func loss(of grant: Grant, on key: LockKey) -> (index: UInt64, key: LockKey, loss: LockLoss)? {
        losses[LostLock(grant: grant, key: key.string)]
    }
}

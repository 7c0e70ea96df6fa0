import LockTable
import PadlockTypes

/// The holds checker (issue 22, `docs/holds.md`), on the committed log alone: it keeps the holds in place as
/// the committed `placeHold` and `liftHold` answers say, and checks every grant an entry makes against the
/// holds in place before that entry:
///
/// - no hold refuses it to the roles of the request that asked for it (a queued request's roles are those of
///   the command that queued it);
/// - its fence exceeds the fence of every hold on an overlapping key;
/// - once a hold is placed, no request it refuses is still queued.
///
/// A downgrade is not checked against refusals: it gives up rights the holder already had (the contract
/// checks only upgrades against holds). Its new fence is checked like every other.
package struct HoldChecker {
    /// One grant an entry made.
    struct Grant {
        var key: LockKey
        var holder: Holder
        /// The roles the request claimed; nil when refusals are not checked (a downgrade).
        var roles: [String]?
        /// What made it, for messages: "acquire 3:7", "queued upgrade 4:2".
        var origin: String
    }

    /// A request queued by a committed entry and not yet answered.
    struct Queued {
        var keys: [LockKey]
        var mode: LockMode
        var roles: [String]
    }

    /// The holds in place, by held key's text, as the committed log placed and lifted them.
    private(set) var holds: [String: [Hold]] = [:]
    /// Every key a hold was ever placed on in this run.
    private(set) var keysEverHeld: [LockKey] = []
    /// The roles of every request a committed entry queued, by request id (kept after it is answered: a
    /// request id always names the same command).
    private var queuedRoles: [RequestID: [String]] = [:]
    /// The requests still queued as far as the committed events tell.
    private var queued: [RequestID: Queued] = [:]
    /// How many grants were checked against at least one hold in place.
    package private(set) var grantsUnderHolds = 0
    /// How many holds were placed (first placements and replacements).
    package private(set) var placements = 0

    /// A checker that has seen no entry.
    package init() {}

    /// Checks the entry at `index` (applied for the first time) and records what it changed; returns what is
    /// wrong, in words.
    package mutating func check(
        index: UInt64, command: Command?, applied: LockTable.Applied, table: LockTable
    ) -> [String] {
        var problems: [String] = []
        for grant in grants(index: index, command: command, applied: applied, problems: &problems) {
            problems += check(grant, index: index)
        }
        noteQueues(command: command, applied: applied)
        problems += noteHolds(index: index, applied: applied, table: table)
        return problems
    }

    /// The holds in place on keys overlapping `key`.
    func holds(overlapping key: LockKey) -> [Hold] {
        holds.values.joined().filter { $0.key.overlaps(key) }
    }

    private mutating func check(_ grant: Grant, index: UInt64) -> [String] {
        let covering = holds(overlapping: grant.key)
        guard !covering.isEmpty else { return [] }
        grantsUnderHolds += 1
        var problems: [String] = []
        let who = "\(grant.holder.session) (\(grant.holder.owner))"
        for hold in covering.sorted(by: { $0.fence < $1.fence }) {
            if let roles = grant.roles, hold.refuses(grant.key, mode: grant.holder.mode, roles: roles) {
                let claimed = roles.isEmpty ? "no role" : "roles " + roles.joined(separator: ", ")
                let exempt = hold.exemptRoles.isEmpty ? "none" : hold.exemptRoles.joined(separator: ", ")
                problems.append(
                    "holds: entry \(index) granted \(grant.key) \(grant.holder.mode) to \(who) by its \(grant.origin) "
                        + "claiming \(claimed), but the hold '\(hold.rule)' on \(hold.key) (restricts "
                        + "\(hold.restricts), exempt roles: \(exempt), editable fields: "
                        + "\(hold.editableFields.isEmpty ? "none" : hold.editableFields.joined(separator: ", "))), "
                        + "placed at \(hold.fence), refuses it: the table let a request through a hold")
            }
            if grant.holder.fence <= hold.fence {
                problems.append(
                    "holds: entry \(index) granted \(grant.key) to \(who) with \(grant.holder.fence), not above "
                        + "\(hold.fence) of the hold '\(hold.rule)' on \(hold.key): a fenced store would take "
                        + "its writes as older than the hold")
            }
        }
        return problems
    }
}

extension HoldChecker {
    /// The new grants the entry made: answers and events whose fence is the entry's index. A grant answered
    /// again (a retried request, a reentrant acquire, a takeover of a key already held) carries its older
    /// fence and is not new; a fence above the entry's index is wrong in itself.
    private func grants(
        index: UInt64, command: Command?, applied: LockTable.Applied, problems: inout [String]
    ) -> [Grant] {
        var found = resultGrants(command: command, result: applied.result)
        for event in applied.events {
            switch event {
            case .waiterGranted(let request, let key, let holder):
                found.append(queuedGrant(request, key: key, holder: holder, problems: &problems))
            case .waiterGrantedKeys(let request, let keys, let holders):
                for (key, holder) in zip(keys, holders) {
                    found.append(queuedGrant(request, key: key, holder: holder, problems: &problems))
                }
            case .modeChanged(let key, _, let holder):
                // Refusals are checked on the answer or the waiter grant that goes with it.
                found.append(Grant(key: key, holder: holder, roles: nil, origin: "mode change"))
            default:
                break
            }
        }
        for grant in found where grant.holder.fence.rawValue > index {
            problems.append(
                "holds: entry \(index) granted \(grant.key) to \(grant.holder.session) with \(grant.holder.fence), "
                    + "a fence above its own index")
        }
        return found.filter { $0.holder.fence.rawValue == index }
    }

    private func queuedGrant(
        _ request: RequestID, key: LockKey, holder: Holder, problems: inout [String]
    ) -> Grant {
        if queuedRoles[request] == nil {
            problems.append("holds: waiter \(request) was granted \(key), but no committed entry queued it")
        }
        return Grant(key: key, holder: holder, roles: queuedRoles[request] ?? [], origin: "queued request \(request)")
    }

    private func resultGrants(command: Command?, result: CommandResult) -> [Grant] {
        switch (command, result) {
        case (.acquire(let request, let key, _, _, _)?, .granted(_, let holder)):
            return [Grant(key: key, holder: holder, roles: [], origin: "acquire \(request)")]
        case (.acquireKeys(let request, let keys, _, _, _, let roles)?, .granted(_, let holder)):
            return [Grant(key: keys[0], holder: holder, roles: roles, origin: "acquire \(request)")]
        case (.acquireKeys(let request, let keys, _, _, _, let roles)?, .grantedKeys(_, let holders)):
            return zip(keys, holders).map {
                Grant(key: $0, holder: $1, roles: roles, origin: "all-or-nothing acquire \(request)")
            }
        case (.changeMode(let request, let key, _, let mode, _, let roles)?, .granted(_, let holder)):
            let upgrade = mode == .exclusive
            return [
                Grant(
                    key: key, holder: holder, roles: upgrade ? roles : nil,
                    origin: "\(upgrade ? "upgrade" : "downgrade") \(request)")
            ]
        case (.takeover(let request, let key, _, _, _, _)?, .granted(_, let holder)):
            return [Grant(key: key, holder: holder, roles: [], origin: "takeover \(request)")]
        default:
            return []
        }
    }

    /// Follows the queues: requests queued by this entry's command, and those its events answered.
    private mutating func noteQueues(command: Command?, applied: LockTable.Applied) {
        if case .queued = applied.result {
            switch command {
            case .acquire(let request, let key, let mode, _, _)?:
                queuedRoles[request] = []
                queued[request] = Queued(keys: [key], mode: mode, roles: [])
            case .acquireKeys(let request, let keys, let mode, _, _, let roles)?:
                queuedRoles[request] = roles
                queued[request] = Queued(keys: keys, mode: mode, roles: roles)
            case .changeMode(let request, let key, _, let mode, _, let roles)?:
                queuedRoles[request] = roles
                queued[request] = Queued(keys: [key], mode: mode, roles: roles)
            default:
                break
            }
        }
        for event in applied.events {
            switch event {
            case .waiterGranted(let request, _, _), .waiterGrantedKeys(let request, _, _),
                .waiterTimedOut(let request, _, _), .waiterDropped(let request, _, _):
                queued[request] = nil
            default:
                break
            }
        }
    }

    /// Follows the holds: a placement's hold (a new one: its fence is the entry's index; a retried placement
    /// answered again changes nothing), a lift's holds as they were. Then the holds on the key must be the
    /// table's, and no request the placed hold refuses may still be queued.
    private mutating func noteHolds(index: UInt64, applied: LockTable.Applied, table: LockTable) -> [String] {
        switch applied.result {
        case .holdPlaced(let hold, _) where hold.fence.rawValue == index:
            placements += 1
            var list = holds[hold.key.string] ?? []
            list.removeAll { $0.rule == hold.rule }
            list.append(hold)
            holds[hold.key.string] = list
            if !keysEverHeld.contains(hold.key) { keysEverHeld.append(hold.key) }
            return compare(hold.key, index: index, table: table) + queuedRefused(by: hold, index: index, table: table)
        case .holdsLifted(let lifted):
            var changed: [LockKey] = []
            for hold in lifted where holds[hold.key.string]?.contains(hold) == true {
                holds[hold.key.string]?.removeAll { $0 == hold }
                if holds[hold.key.string]?.isEmpty == true { holds[hold.key.string] = nil }
                if !changed.contains(hold.key) { changed.append(hold.key) }
            }
            return changed.flatMap { compare($0, index: index, table: table) }
        default:
            return []
        }
    }

    /// The holds on `key` the placements and lifts left must be the ones the table shows.
    private func compare(_ key: LockKey, index: UInt64, table: LockTable) -> [String] {
        let expected = Set(holds[key.string] ?? [])
        let shown = Set(table.holds(overlapping: key).filter { $0.key.string == key.string })
        guard expected != shown else { return [] }
        let rules = { (holds: Set<Hold>) in holds.map { "'\($0.rule)' (\($0.fence))" }.sorted().joined(separator: ", ")
        }
        return [
            "holds: after entry \(index) the table shows holds [\(rules(shown))] on \(key), but the committed "
                + "placements and lifts leave [\(rules(expected))]"
        ]
    }

    /// Requests the new hold refuses that the table still has queued: each will be granted against the hold
    /// or wait for nothing.
    private func queuedRefused(by hold: Hold, index: UInt64, table: LockTable) -> [String] {
        var problems: [String] = []
        for (request, waiter) in queued.sorted(by: { "\($0.key)" < "\($1.key)" }) {
            let refused = waiter.keys.contains {
                $0.overlaps(hold.key) && hold.refuses($0, mode: waiter.mode, roles: waiter.roles)
            }
            guard refused else { continue }
            let stillQueued = waiter.keys.contains { key in
                table.inspect(key).waiters.contains { $0.request == request }
            }
            guard stillQueued else { continue }
            problems.append(
                "holds: entry \(index) placed the hold '\(hold.rule)' on \(hold.key), which refuses the queued "
                    + "request \(request) (\(waiter.mode) on \(waiter.keys.map(\.string).joined(separator: ", "))), "
                    + "but it is still queued: it must be answered restricted in the same entry")
        }
        return problems
    }
}

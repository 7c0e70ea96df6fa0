import LockTable
import PadlockTypes

// The table's own audit types, not the client's of the same names in PadlockTypes (a scoped import wins).
import enum LockTable.AuditAction
import struct LockTable.AuditRecord

extension ScriptRunner {
    mutating func query(_ verb: String, _ arguments: inout Arguments) throws -> [String] {
        switch verb {
        case "holds":
            return try holdsQuery(arguments)
        case "inspect":
            let key = try LockKey(try arguments.word(0))
            let inspection = table.inspect(key)
            var lines = inspection.holders.map {
                "holder \(format($0.holder)) owner=\($0.holder.owner) lease-deadline=\($0.leaseDeadline.rawValue)"
            }
            lines += inspection.waiters.map {
                "waiter \(name($0.request)) \($0.mode) owner=\($0.owner) enqueued=\($0.enqueuedAt.rawValue) "
                    + "deadline=\($0.deadline.rawValue)" + (($0.note.isEmpty) ? "" : " note=\"\($0.note)\"")
            }
            if let until = inspection.lockDelayedUntil { lines.append("lock-delayed until=\(until.rawValue)") }
            lines += table.holds(overlapping: key).map(format)
            return lines.isEmpty ? ["free"] : lines
        case "overlaps":
            return try overlaps(&arguments)
        case "list":
            let page = table.list(
                prefix: try arguments.named["prefix"].map { try LockKey($0) }, owner: arguments.named["owner"],
                after: try arguments.named["after"].map { try LockKey($0) },
                limit: Int(try arguments.number("limit", default: 100)))
            return page.locks.map { "\($0.key) \(format($0.holder))" } + [
                "next-after=\(page.nextAfter?.string ?? "none")"
            ]
        case "fence":
            switch table.checkFence(try LockKey(try arguments.word(0)), FenceToken(try arguments.number(1))) {
            case let .current(holder): return ["current \(format(holder))"]
            case let .notCurrent(holders):
                return ["not current; holders: [\(holders.map(format).joined(separator: "; "))]"]
            }
        case "audit":
            let page = table.auditTrail(
                since: try arguments.number("since", default: 0),
                limit: Int(try arguments.number("limit", default: 100)))
            return page.records.map(format) + ["oldest-kept=\(page.oldestKept) next-since=\(page.nextSince)"]
        case "counts":
            let counts = table.counts
            return [
                "sessions=\(counts.sessions) held=\(counts.heldLocks) keys=\(counts.lockedKeys) waiters=\(counts.waiters) "
                    + "lock-delays=\(counts.lockDelays) audit=\(counts.auditRecords)"
            ]
        case "session":
            guard let info = table.session(try session(try arguments.word(0))) else { return ["not open"] }
            return [
                "\(name(info.id)) owner=\(info.owner) ttl=\(info.ttlMilliseconds) opened=\(info.openedAt.rawValue) "
                    + "generation=\(info.renewalGeneration) lease-deadline=\(info.leaseDeadline.rawValue) "
                    + "checkpoint-remaining=\(info.checkpointRemainingMilliseconds) "
                    + "held=\(info.heldLockCount) waiting=\(info.waiterCount)"
            ]
        default:
            return try roundTrip()
        }
    }

    /// `overlaps KEY limit=N`: every holder and waiter overlapping the key, with the truncation flags.
    private func overlaps(_ arguments: inout Arguments) throws -> [String] {
        let inspection = table.inspectOverlapping(
            try LockKey(try arguments.word(0)), limit: Int(try arguments.number("limit", default: 100)))
        var lines = inspection.holders.map {
            "holder \($0.key) \(format($0.holder)) lease-deadline=\($0.leaseDeadline.rawValue)"
        }
        if inspection.holdersTruncated { lines.append("holders truncated") }
        lines += inspection.waiters.map {
            "waiter \($0.key) \(name($0.request)) \($0.mode) owner=\($0.owner) deadline=\($0.deadline.rawValue)"
        }
        if inspection.waitersTruncated { lines.append("waiters truncated") }
        if let until = inspection.lockDelayedUntil { lines.append("lock-delayed until=\(until.rawValue)") }
        return lines.isEmpty ? ["nothing overlaps"] : lines
    }

    /// Replaces the table by its snapshot's restoration and checks the bytes survive unchanged.
    private mutating func roundTrip() throws -> [String] {
        let bytes = table.snapshot()
        var restored = LockTable(configuration: table.configuration)
        try restored.restore(from: bytes)
        guard restored.snapshot() == bytes else { return ["snapshot changed across restore"] }
        table = restored
        return ["restored from a \(bytes.count)-byte snapshot; bytes identical"]
    }

    func name(_ id: SessionID) -> String { namesByID[id] ?? "id:\(id.rawValue)" }
    func name(_ request: RequestID) -> String { "\(name(request.session))#\(request.sequence)" }

    func format(_ holder: Holder) -> String {
        "\(name(holder.session)) \(holder.mode) fence=\(holder.fence.rawValue) since=\(holder.since.rawValue)"
            + (holder.note.isEmpty ? "" : " note=\"\(holder.note)\"")
    }

    func format(_ hold: Hold) -> String {
        "hold \(hold.key) rule=\"\(hold.rule)\" reason=\"\(hold.reason)\" source=\(hold.source) by=\(hold.placedBy) "
            + "since=\(hold.since.rawValue) fence=\(hold.fence.rawValue) restricts=\(hold.restricts)"
            + (hold.exemptRoles.isEmpty ? "" : " exempt=\(hold.exemptRoles.joined(separator: ","))")
            + (hold.editableFields.isEmpty ? "" : " editable=\(hold.editableFields.joined(separator: ","))")
    }

    func format(_ record: AuditRecord) -> String {
        "audit \(record.sequence) entry=\(record.index) time=\(record.time.rawValue) \(record.action) by=\(record.actor) "
            + "session=\(name(record.session))" + (record.key.map { " key=\($0)" } ?? "")
            + (record.previous.map { " previous=[\(format($0))]" } ?? "") + " reason=\"\(record.reason)\""
            + (record.hold.map { " [\(format($0))]" } ?? "")
    }

    func format(_ result: CommandResult) -> String {
        switch result {
        case let .sessionOpened(id, deadline): "session-opened \(name(id)) lease-deadline=\(deadline.rawValue)"
        case .sessionClosed: "session-closed"
        case let .granted(fence, holder): "granted fence=\(fence.rawValue) [\(format(holder))]"
        case let .queued(position): "queued position=\(position)"
        case let .held(holder, key): "held key=\(key) by [\(format(holder))]"
        case let .waitersAhead(key): "waiters-ahead key=\(key)"
        case let .lockDelayed(until): "lock-delayed until=\(until.rawValue)"
        case .released: "released"
        case .notHeld: "not-held"
        case .waitCancelled: "wait-cancelled"
        case .notWaiting: "not-waiting"
        case let .forcedUnlock(previous): "forced-unlock previous=[\(previous.map(format).joined(separator: "; "))]"
        case let .sessionRevoked(id): "session-revoked \(name(id))"
        case let .sessionExpiredNow(id): "session-expired-now \(name(id))"
        case .waiterExpired: "waiter-expired"
        case let .leasesCheckpointed(count): "leases-checkpointed count=\(count)"
        case .quotasSet: "quotas-set"
        case let .skipped(reason): "skipped \(format(reason))"
        case .sessionExpired: "session-expired"
        case .sessionUnknown: "session-unknown"
        case let .stale(last): "stale last-sequence=\(last)"
        case .abandoned: "abandoned"
        case let .invalid(reason): "invalid \(reason)"
        case let .overloaded(limit): "overloaded \(limit)"
        case let .restricted(hold): "restricted by [\(format(hold))]"
        case let .grantedKeys(fence, holders):
            "granted-keys fence=\(fence.rawValue) [\(holders.map(format).joined(separator: "; "))]"
        case let .holdPlaced(hold, ended):
            "hold-placed [\(format(hold))] ended=[\(ended.map { "\($0.key) \(format($0.holder))" }.joined(separator: "; "))]"
        case let .holdsLifted(holds): "holds-lifted [\(holds.map(format).joined(separator: "; "))]"
        case .noHold: "no-hold"
        }
    }

    private func format(_ reason: SkipReason) -> String {
        switch reason {
        case .unknownTarget: "unknown-target"
        case let .renewedSince(generation): "renewed-since generation=\(generation)"
        case let .notDue(until): "not-due until=\(until.rawValue)"
        }
    }

    func format(_ event: Event) -> String {
        switch event {
        case let .waiterGranted(request, key, holder): "waiter-granted \(name(request)) \(key) [\(format(holder))]"
        case let .waiterTimedOut(request, key, answer):
            "waiter-timed-out \(name(request)) \(key) answer: \(format(answer))"
        case let .waiterDropped(request, key, reason): "waiter-dropped \(name(request)) \(key) reason=\(reason)"
        case let .lockReleased(key, previous, reason):
            "lock-released \(key) [\(format(previous))] reason=\(format(reason))"
        case let .sessionEnded(id, reason): "session-ended \(name(id)) reason=\(reason)"
        case let .waiterGrantedKeys(request, keys, holders):
            "waiter-granted-keys \(name(request)) \(keys.map(\.string).joined(separator: ",")) "
                + "[\(holders.map(format).joined(separator: "; "))]"
        case let .modeChanged(key, previous, holder): "mode-changed \(key) [\(format(previous))] -> [\(format(holder))]"
        case let .keyChanged(key): "key-changed \(key)"
        }
    }

    /// The release reason as the golden files spell it: clean, forced, takenOver, revoked or expired.
    func format(_ reason: ReleaseReason) -> String {
        switch reason {
        case .clean: "clean"
        case .lost(.forceUnlocked): "forced"
        case let .lost(.takenOver(by, reason)): "takenOver by=[\(format(by))] why=\"\(reason)\""
        case .lost(.sessionRevoked): "revoked"
        case .lost(.expired): "expired"
        }
    }
}

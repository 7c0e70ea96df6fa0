import LockHistory
import PadlockClient
import Wire

/// Every lock operation of a run, with true-time windows, for the linearizability checker.
struct HistoryRecorder {
    private struct Record {
        var process: Int
        var invoke: UInt64
        var complete: UInt64?
        var action: LockAction
        var outcome: LockOutcome?
    }

    private var records: [Record] = []

    var count: Int { records.count }

    /// Starts an operation; returns its index for `complete`.
    mutating func begin(client: Int, action: LockAction, at time: UInt64) -> Int {
        records.append(Record(process: client, invoke: time, complete: nil, action: action, outcome: nil))
        return records.count - 1
    }

    /// Records an operation's answer. An operation never answered keeps an unknown outcome.
    mutating func complete(_ index: Int, outcome: LockOutcome, at time: UInt64) {
        guard records[index].complete == nil else { return }
        records[index].complete = max(time, records[index].invoke)
        records[index].outcome = outcome
    }

    /// A session ended by expiry, observed when its expiry was first applied anywhere.
    mutating func sessionExpired(_ action: LockAction, at time: UInt64) {
        records.append(Record(process: -1, invoke: time, complete: time, action: action, outcome: .done))
    }

    /// A lock the committed log ended when a hold was placed with `endsHolders`, observed when that entry was
    /// first applied anywhere: to the model, a release of exactly that grant.
    mutating func endedByHold(session: SessionID, key: LockKey, fence: FenceToken, at time: UInt64) {
        records.append(
            Record(
                process: -1, invoke: time, complete: time, action: .release(session: session, key: key, fence: fence),
                outcome: .released))
    }

    /// The history in the checker's terms; times in nanoseconds. A fence check answered "not current" on a key
    /// overlapping one of `heldKeys` is left out: a hold makes older fences stale while their locks are still
    /// held, which the lock model does not know (`docs/simulation.md`, "Holds in the history").
    func operations(heldKeys: [LockKey] = []) -> [LockOperation] {
        records.enumerated().compactMap { index, record in
            if case .checkFence(let key, _) = record.action, record.outcome == .fenceCurrent(false),
                heldKeys.contains(where: { $0.overlaps(key) })
            {
                return nil
            }
            return LockOperation(
                id: index, process: record.process, invoke: record.invoke * 1000,
                complete: record.complete.map { $0 * 1000 },
                action: record.action, outcome: record.outcome)
        }
    }
}

extension HistoryRecorder {
    /// How a part of a request shows in the history: the request itself, one key of an all-or-nothing
    /// acquire, or one half of a mode change (the old grant released, the new one granted, at one point).
    enum Part: Equatable {
        case whole, batchKey, modeRelease, modeAcquire
    }

    /// The history actions of a mutating request the client core numbered: one for most; one acquire per key
    /// for an all-or-nothing acquire (each key a grant with the batch's fence); a release of the old grant and
    /// an acquire of the new one for a mode change. Empty for what the model does not follow (opens,
    /// renewals, withdrawals of queued acquires, holds).
    ///
    /// Splitting is sound: the real execution (every key at once, or the release and the grant at once) is
    /// one of the orders the checker may pick, so a correct history always linearizes; it only checks less.
    static func actions(of operation: ClientOperation) -> [(action: LockAction, part: Part)] {
        switch operation {
        case .acquireKeys(let id, let keys, let acquisition, _):
            return keys.map { (.acquire(session: id.session, key: $0, mode: acquisition.mode), .batchKey) }
        case .changeMode(let id, let key, let fence, let mode, _, _):
            return [
                (.release(session: id.session, key: key, fence: fence), .modeRelease),
                (.acquire(session: id.session, key: key, mode: mode), .modeAcquire),
            ]
        default:
            return action(of: operation).map { [($0, .whole)] } ?? []
        }
    }

    /// The outcome of one part of a request; see ``outcome(of:for:)``.
    static func outcome(of resolution: Resolution, for action: LockAction, part: Part) -> LockOutcome? {
        switch (part, resolution) {
        case (.whole, _): outcome(of: resolution, for: action)
        case (_, .answerNotKept): nil
        case (_, .notApplied), (_, .refused): .failed
        case (.batchKey, .granted(let holder)), (.batchKey, .grantedThenReleased(let holder)),
            (.modeAcquire, .granted(let holder)):
            .granted(holder.fence)
        case (.modeRelease, .granted): .released
        default: nil
        }
    }

    /// The history action of a mutating request the client core numbered; nil for what the model does not
    /// follow (opens, renewals, withdrawals of queued acquires).
    static func action(of operation: ClientOperation) -> LockAction? {
        switch operation {
        case .acquire(let id, let acquisition):
            .acquire(session: id.session, key: acquisition.key, mode: acquisition.mode)
        case .release(let id, let key, let fence): .release(session: id.session, key: key, fence: fence)
        case .closeSession(let id): .endSession(session: id.session)
        case .forceUnlock(_, let key, _): .forceUnlock(key: key)
        case .revokeSession(_, let target, _): .endSession(session: target)
        default: nil
        }
    }

    /// The outcome a request the client settled on shows in the history; nil leaves it unknown (the answer
    /// was not kept, or it is not one the model knows).
    static func outcome(of resolution: Resolution, for action: LockAction) -> LockOutcome? {
        switch (action, resolution) {
        case (_, .answerNotKept): nil
        case (_, .notApplied): .failed
        case (.acquire, .granted(let holder)), (.acquire, .grantedThenReleased(let holder)): .granted(holder.fence)
        case (.acquire, .refused(let error)):
            switch error.code {
            case .held(let holders):
                .refused(holder: holders.first.map { HolderRef(session: $0.session, fence: $0.fence) })
            case .unavailable: .refused(holder: nil)
            default: .failed
            }
        case (.release, .released): .released
        case (.release, .refused(let error)): error.code == .lockLost ? .notHeld : .failed
        case (.endSession, .sessionClosed), (.endSession, .sessionRevoked): .done
        case (.endSession, .refused): .failed
        case (.forceUnlock, .forceUnlocked(let previous)): previous.isEmpty ? .notHeld : .done
        case (.forceUnlock, .refused): .failed
        default: nil
        }
    }
}

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

    /// The history in the checker's terms; times in nanoseconds.
    func operations() -> [LockOperation] {
        records.enumerated().map { index, record in
            LockOperation(
                id: index, process: record.process, invoke: record.invoke * 1000,
                complete: record.complete.map { $0 * 1000 },
                action: record.action, outcome: record.outcome)
        }
    }
}

extension HistoryRecorder {
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

import LockHistory

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
                id: index, process: record.process, invoke: record.invoke * 1000, complete: record.complete.map { $0 * 1000 },
                action: record.action, outcome: record.outcome)
        }
    }
}

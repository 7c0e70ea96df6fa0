import PadlockTypes

extension LockTable {
    /// The fences of the locks `session` holds, in grant order of its keys; empty when it is not open.
    package func heldFences(of session: SessionID) -> [FenceToken] {
        guard let record = sessions[session] else { return [] }
        return record.heldKeys.compactMap { key in holding(key.string)?.grant(of: session)?.fence }
    }

    /// The requests queued on exactly `key`, first in line first; empty (and cheap) when none waits.
    package func queuedRequests(on key: LockKey) -> [RequestID] {
        queues[key.string]?.map(\.request) ?? []
    }

    /// The keys `session` waits for; empty when it is not open.
    package func waitingKeys(of session: SessionID) -> [LockKey] {
        sessions[session]?.waitingKeys ?? []
    }
}

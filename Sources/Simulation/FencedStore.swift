import PadlockTypes

/// The record store the simulated CRM edits: every read and write carries the lock's fence, and anything
/// carrying a fence lower than the highest the record has seen is refused (the resource-side check of
/// DESIGN.md §2.1). Every record counts its accepted edits, so a lost update would show.
struct FencedStore {
    struct Record {
        var value: UInt64 = 0
        var highestFence: FenceToken = FenceToken(0)
        var acceptedWrites = 0
    }

    struct Write {
        var key: LockKey
        var fence: FenceToken
        var session: SessionID
        var accepted: Bool
        var time: UInt64
    }

    private(set) var records: [LockKey: Record] = [:]
    private(set) var writes: [Write] = []
    private(set) var rejectedCount = 0

    /// Reads `key` under `fence`; nil when the fence is stale (a newer holder has been here).
    mutating func read(_ key: LockKey, fence: FenceToken, session: SessionID) -> UInt64? {
        var record = records[key] ?? Record()
        guard fence >= record.highestFence else {
            rejectedCount += 1
            return nil
        }
        record.highestFence = fence
        records[key] = record
        return record.value
    }

    /// Writes `value` under `fence`; returns whether it was accepted.
    @discardableResult
    mutating func write(_ key: LockKey, fence: FenceToken, session: SessionID, value: UInt64, at time: UInt64) -> Bool {
        var record = records[key] ?? Record()
        let accepted = fence >= record.highestFence
        if accepted {
            record.highestFence = fence
            record.value = value
            record.acceptedWrites += 1
            records[key] = record
        } else {
            rejectedCount += 1
        }
        writes.append(Write(key: key, fence: fence, session: session, accepted: accepted, time: time))
        return accepted
    }

    /// Violations of the store's own promises: a record whose value is not its number of accepted edits
    /// (a lost update), or two sessions whose accepted writes to one record share a fence.
    func violations() -> [String] {
        var found: [String] = []
        for key in records.keys.sorted() {
            let record = records[key]!
            if record.value != UInt64(record.acceptedWrites) {
                found.append(
                    "record \(key) holds \(record.value) after \(record.acceptedWrites) accepted edits: a lost update")
            }
        }
        var owners: [String: SessionID] = [:]
        for write in writes where write.accepted {
            let slot = "\(write.key) \(write.fence)"
            if let owner = owners[slot], owner != write.session {
                found.append("\(write.key): \(owner) and \(write.session) both wrote with \(write.fence)")
            }
            owners[slot] = write.session
        }
        return found
    }
}

import PadlockTypes

// What a backup needs of the table (docs/operations.md, "Back up a running cluster" and "Restore a cluster from
// a backup"): figures to describe it, and the one change a restore makes. Pure like the rest of the table: the
// restore time is an argument, never a clock reading.

extension LockTable {
    /// The highest fence the table knows: of any holder or hold. A restored cluster's log starts above the
    /// backup's index, which is at least this, so every later grant's fence is higher.
    package var highestFence: FenceToken {
        var highest = FenceToken(0)
        for grant in exclusiveGrants.values { highest = max(highest, grant.fence) }
        for grants in sharedGrants.values { for grant in grants { highest = max(highest, grant.fence) } }
        for keyHolds in holds.values { for hold in keyHolds { highest = max(highest, hold.fence) } }
        return highest
    }

    /// Holds in place.
    package var holdTotal: Int { holdCount }

    /// Prepares a backup's table to seed a new cluster at `time` (the restore's wall clock): every session
    /// gets its whole TTL again, counted from `time`, as the lease time a new leader grants from its takeover
    /// (`checkpointRemainingMilliseconds`), and the table's own deadline. Nothing else changes: holders,
    /// fences, waiters, holds and the audit trail stay as they were. Entry times continue from `time` (or the
    /// table's latest, if later), so no stamp of the new cluster goes before the restore.
    ///
    /// Why the whole TTL: the old cluster's leader counted each session on its own monotonic clock, which
    /// means nothing to the new cluster's leader; and a holder that renewed at `s` before the backup was
    /// promised at most `s + TTL`, which is before `time + TTL`. So no lease ends before its holder's deadline,
    /// and a holder whose app server is still running has a whole TTL to reach the new cluster and renew.
    package mutating func rebaseLeases(at time: Timestamp) {
        lastTime = max(lastTime, time)
        for (id, var session) in sessions {
            session.checkpointRemainingMilliseconds = session.ttlMilliseconds
            session.leaseDeadline = lastTime.adding(milliseconds: session.ttlMilliseconds)
            sessions[id] = session
        }
    }
}

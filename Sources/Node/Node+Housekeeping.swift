import LockTable
import PadlockTypes
import Raft

extension Node {
    /// The leader's timers, run every tick once it is ready: session expiry, waiter timeouts, the end of
    /// lock-delays, and lease-time decay. Each proposes commands; nothing changes until they are applied.
    func leaderHousekeeping() {
        let now = environment.monotonicMilliseconds
        expireDueSessions(now)
        if let leadership, now >= leadership.lastWaiterScan + 5 * configuration.tickMilliseconds {
            self.leadership?.lastWaiterScan = now
            expireDueWaiters()
        }
        nudgeEndedLockDelay()
        proposeQuotasIfChanged(now)
        if let leadership, now >= leadership.lastDecayScan + configuration.checkpointIntervalMilliseconds {
            self.leadership?.lastDecayScan = now
            decayRecordedLeases(now)
        }
        requestFlush()
    }

    /// Makes the replicated quotas the configured ones: each replica then refuses exactly the same acquires,
    /// whatever its own file says. At most one proposal a second, until the applied quotas match.
    private func proposeQuotasIfChanged(_ now: UInt64) {
        guard let configured = configuration.quotas, configured != table.quotas, let leadership else { return }
        if let last = leadership.lastQuotaProposal, now < last + 1_000 { return }
        self.leadership?.lastQuotaProposal = now
        propose(.setQuotas(configured), .quotas, nil)
    }

    /// Proposes the expiry of every session whose deadline passed on this leader's clock. A checkpoint
    /// recording zero remaining time goes first, so the table's own deadline agrees. From that decision on,
    /// renewals of the session wait for the expiry's outcome: no renewal was received since the deadline was
    /// set, and none is acknowledged while the expiry is in flight, so zero is all a future leader needs.
    private func expireDueSessions(_ now: UInt64) {
        let due = updateLeadership { leadership in
            var due: [(SessionID, SessionLease)] = []
            while let (_, session) = leadership.leaseDeadlines.popDue(by: now) {
                guard let lease = leadership.leases[session], !leadership.expiriesInFlight.contains(session) else {
                    continue
                }
                if lease.deadline > now {
                    leadership.leaseDeadlines.insert(session, deadline: lease.deadline)
                    continue
                }
                due.append((session, lease))
            }
            return due
        }
        if let due, !due.isEmpty {
            let checkpoints = due.map { session, lease in
                LeaseCheckpoint(session: session, renewalGeneration: lease.generation, remainingMilliseconds: 0)
            }
            if propose(.checkpointLeases(checkpoints), .decay, nil) {
                counters.expiriesProposed += UInt64(due.count)
                for (session, lease) in due {
                    self.leadership?.expiriesInFlight.insert(session)
                    self.leadership?.expiriesToPropose.append((session, lease.generation))
                }
            } else {
                for (session, _) in due {
                    self.leadership?.leaseDeadlines.insert(session, deadline: now + 10 * configuration.tickMilliseconds)
                }
            }
        }
        proposeDecidedExpiries()
    }

    /// Proposes the expiries decided so far, in order; one the leader cannot take now is tried next tick.
    private func proposeDecidedExpiries() {
        guard let decided = leadership?.expiriesToPropose, !decided.isEmpty else { return }
        var proposed = 0
        for (session, generation) in decided {
            guard propose(.expireSession(session, renewalGeneration: generation), .expiry(session), nil) else { break }
            proposed += 1
        }
        leadership?.expiriesToPropose.removeFirst(proposed)
    }

    /// Proposes the expiry of every waiter whose wait ran out by the current stamp, once per waiter (a batch
    /// waiter stands in the queue of each of its keys, and the table lists it once per queue).
    private func expireDueWaiters() {
        guard let leadership, table.counts.waiters > 0 else { return }
        var seen: Set<RequestID> = []
        for request in table.waiters(dueBy: Timestamp(rawValue: currentStamp))
        where !leadership.waiterExpiriesInFlight.contains(request) && seen.insert(request).inserted {
            if propose(.expireWaiter(request), .waiterExpiry(request), nil) {
                self.leadership?.waiterExpiriesInFlight.insert(request)
            }
        }
    }

    /// A lock-delay ends only when an entry stamped at or after its end is applied; if waiters may be held
    /// back by it, an empty checkpoint is that entry.
    private func nudgeEndedLockDelay() {
        guard let leadership, let end = table.nextLockDelayEnd, end.rawValue <= currentStamp,
            table.counts.waiters > 0, leadership.nudgedLockDelayEnd != end
        else { return }
        if propose(.checkpointLeases([]), .lockDelayNudge, nil) { self.leadership?.nudgedLockDelayEnd = end }
    }

    /// Brings down the lease time the table records for sessions that stopped renewing, so that a new leader
    /// (which grants the recorded time from its takeover) does not extend them again at every election.
    private func decayRecordedLeases(_ now: UInt64) {
        guard let leadership else { return }
        var checkpoints: [LeaseCheckpoint] = []
        for session in leadership.leases.keys.sorted() {
            let lease = leadership.leases[session]!
            guard now >= lease.lastRenewal + lease.ttl / 2, !leadership.expiriesInFlight.contains(session),
                !leadership.coverageNeeded.contains(session)
            else { continue }
            let needed = lease.neededRemaining(at: now)
            guard lease.recordedRemaining >= needed + max(lease.ttl / 4, 250) else { continue }
            checkpoints.append(
                LeaseCheckpoint(session: session, renewalGeneration: lease.generation, remainingMilliseconds: needed))
        }
        var start = 0
        while start < checkpoints.count {
            let chunk = Array(checkpoints[start..<min(checkpoints.count, start + configuration.checkpointBatchMax)])
            start += chunk.count
            propose(.checkpointLeases(chunk), .decay, nil)
        }
    }
}

import LockTable
import PadlockTypes
import Raft
import Wire

extension Node {
    /// Starts one ReadIndex round for every read that arrived since the last flush.
    func confirmCollectedReads() {
        guard !reads.collecting.isEmpty else { return }
        let batch = reads.collecting
        reads.collecting = []
        let context = reads.nextContext
        reads.nextContext += 1
        switch raft.readIndex(context: Self.contextBytes(context)) {
        case .pending:
            reads.awaitingConfirmation[context] = batch
            counters.readRounds += 1
        case .notLeader:
            for read in batch { respond(read.reply, .failure(.notLeader(leaderHint))) }
        }
    }

    /// A round confirmed leadership: its reads are served once the table has applied `state.index`.
    func confirm(_ state: ReadState) {
        guard let context = Self.context(state.context),
            let batch = reads.awaitingConfirmation.removeValue(forKey: context)
        else { return }
        for read in batch { reads.confirmed.append((state.index, read)) }
    }

    func serveConfirmedReads() {
        var served = 0
        for (index, read) in reads.confirmed {
            guard index <= applied else { break }
            serve(read)
            served += 1
        }
        if served > 0 { reads.confirmed.removeFirst(served) }
    }

    private func serve(_ read: PendingRead) {
        switch read.query {
        case .inspect(let key):
            respond(read.reply, .success(.inspected(inspection(of: key))))
        case .list(let query):
            let page = table.list(prefix: query.prefix, owner: query.owner, after: query.after, limit: query.limit)
            let locks = page.locks.prefix(WireLimits.pageSizeMax).map { Self.lockInfo($0) }
            respond(read.reply, .success(.listed(ListPage(locks: Array(locks), next: page.nextAfter))))
        case .checkFence(let key, let fence):
            let answer: PadlockTypes.FenceCheck
            switch table.checkFence(key, fence) {
            case .current: answer = PadlockTypes.FenceCheck(isCurrent: true, currentFence: fence)
            case .notCurrent(let holders):
                answer = PadlockTypes.FenceCheck(isCurrent: false, currentFence: holders.last?.fence)
            }
            respond(read.reply, .success(.fenceChecked(answer)))
        case .audit(let after, let limit):
            respond(read.reply, .success(.audited(auditPage(after: after, limit: limit))))
        case .holds(let prefix, let after, let limit):
            let page = table.listHolds(prefix: prefix, after: after, limit: min(limit, WireLimits.pageSizeMax))
            respond(read.reply, .success(.holdsListed(HoldPage(holds: page.holds, next: page.next))))
        case .renewal(let session, let receipt):
            serveRenewal(session, receipt: receipt, reply: read.reply)
        case .members:
            respond(read.reply, .success(.members(memberList())))
        case .subscribe(let subscription):
            subscribe(subscription, read.reply)
        case .backup:
            startBackup(read.reply)
        }
    }

    /// A renewal confirmed by a read: renewed if the session is open and covered, else handled again (its
    /// session appeared since) or answered expired.
    private func serveRenewal(_ session: SessionID, receipt: UInt64, reply: ReplyTarget) {
        guard let leadership else {
            respond(reply, .failure(.notLeader(leaderHint)))
            return
        }
        guard table.session(session) != nil, let lease = leadership.leases[session] else {
            respond(reply, .failure(.sessionExpired))
            return
        }
        if receipt < lease.ackUntil && !leadership.expiriesInFlight.contains(session) {
            respond(reply, .success(.sessionRenewed(renewalGrant(session, lease))))
        } else {
            handleRenewal(session, WaitingRenewal(receipt: receipt, reply: reply))
        }
    }

    /// What `inspect` answers for `key`: its holders, waiters, lock-delay and holds, and those of overlapping
    /// keys (at most ``WireLimits/inspectionHoldsMax`` holds, ancestors and the key's own first).
    package func inspection(of key: LockKey) -> PadlockTypes.KeyInspection {
        let found = table.inspectOverlapping(key, limit: WireLimits.inspectionEntriesMax)
        let waiters = found.waiters.map { waiter in
            PadlockTypes.Waiter(
                key: waiter.key, session: waiter.request.session, owner: waiter.owner, mode: waiter.mode,
                since: waiter.enqueuedAt)
        }
        return PadlockTypes.KeyInspection(
            key: key, holders: found.holders.map { Self.lockInfo($0) }, waiters: waiters,
            lockDelayedUntil: found.lockDelayedUntil,
            holds: Array(table.holds(overlapping: key).prefix(WireLimits.inspectionHoldsMax)))
    }

    private func auditPage(after: UInt64?, limit: Int) -> PadlockTypes.AuditPage {
        // `after` comes from the client: the record after the last one saturates instead of overflowing.
        let since = after.map { $0 == .max ? .max : $0 + 1 } ?? 0
        let page = table.auditTrail(since: since, limit: min(limit, WireLimits.pageSizeMax))
        var records = page.records.map { record in
            let action: PadlockTypes.AuditAction =
                switch record.action {
                case .forceUnlock: .forceUnlock
                case .revokeSession: .revokeSession
                case .expireSession: .sessionExpired
                case .takeover: .takeover
                case .holdPlaced: .holdPlaced
                case .holdLifted: .holdLifted
                case .holdBypassed: .holdBypassed
                }
            return PadlockTypes.AuditRecord(
                sequence: record.sequence, index: LogIndex(record.index), time: record.time, action: action,
                session: record.session, key: record.key, previousHolder: record.previous, identity: record.actor,
                reason: record.reason, hold: record.hold)
        }
        // Records with holds are large: a page ends before it would overflow a frame, and `next` resumes there.
        var byteCount = 0
        if let cut = records.firstIndex(where: {
            byteCount += $0.encodedByteCount
            return byteCount > WireLimits.pageByteCountBudget
        }), cut > 0 {
            records.removeSubrange(cut...)
            return PadlockTypes.AuditPage(records: records, next: records.last?.sequence, oldestKept: page.oldestKept)
        }
        let more = table.auditTrail(since: page.nextSince, limit: 1).records.isEmpty == false
        return PadlockTypes.AuditPage(
            records: records, next: more ? records.last?.sequence : nil, oldestKept: page.oldestKept)
    }

    static func lockInfo(_ held: HeldLock) -> LockInfo {
        LockInfo(key: held.key, holder: held.holder, leaseDeadline: held.leaseDeadline)
    }

    static func contextBytes(_ context: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: context >> (8 * UInt64($0))) }
    }

    static func context(_ bytes: [UInt8]) -> UInt64? {
        guard bytes.count == 8 else { return nil }
        return bytes.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }
}

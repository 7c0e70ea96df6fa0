import PadlockTypes

/// One entry of the audit trail: an administrator's action or an expiry, kept with who, what and why.
package struct AuditRecord: Hashable, Sendable {
    /// Position in the trail; strictly increasing, never reused.
    package var sequence: UInt64
    /// The log index of the entry that caused it.
    package var index: UInt64
    /// The leader's stamp on that entry.
    package var time: Timestamp
    /// What happened.
    package var action: AuditAction
    /// The administrator's identity (for a takeover, the taker's), or `leader` for an expiry.
    package var actor: String
    /// The session that lost its lock or ended.
    package var session: SessionID
    /// The key released; nil for the record of the session ending itself.
    package var key: LockKey?
    /// The holder as it was before the release; nil for the record of the session ending itself.
    package var previous: Holder?
    /// The administrator's stated reason, or why the leader acted.
    package var reason: String
    /// The hold placed, lifted or bypassed; nil for the other actions.
    package var hold: Hold?

    /// Creates a record; the table numbers them itself.
    package init(
        sequence: UInt64, index: UInt64, time: Timestamp, action: AuditAction, actor: String, session: SessionID,
        key: LockKey?, previous: Holder?, reason: String, hold: Hold? = nil
    ) {
        self.hold = hold
        self.sequence = sequence
        self.index = index
        self.time = time
        self.action = action
        self.actor = actor
        self.session = session
        self.key = key
        self.previous = previous
        self.reason = reason
    }
}

/// What an audit record is about.
package enum AuditAction: UInt8, Hashable, Sendable {
    case forceUnlock = 1, revokeSession, expireSession
    /// A takeover ended `previous`'s lock on `key`; the taker's grant has the record's `index` as its fence.
    case takeover
    /// A hold was placed (`hold`), by `actor` for `session`.
    case holdPlaced
    /// A hold was lifted (`hold` as it was), with the lifter's `reason`.
    case holdLifted
    /// An exempt role was granted `key` through `hold`; `previous` is the grant.
    case holdBypassed
}

extension LockTable {
    mutating func audit(
        action: AuditAction, actor: String, session: SessionID, key: LockKey?, previous: Holder?, reason: String,
        hold: Hold? = nil
    ) {
        auditRecords.append(
            AuditRecord(
                sequence: nextAuditSequence, index: currentIndex, time: now, action: action, actor: actor,
                session: session, key: key, previous: previous, reason: reason, hold: hold))
        nextAuditSequence += 1
        while auditRecords.count > configuration.auditRecordCountMax { _ = auditRecords.removeFirst() }
    }
}

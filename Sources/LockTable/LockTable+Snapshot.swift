import PadlockTypes

/// Why snapshot bytes could not be restored. The table is left as it was.
package enum SnapshotError: Error, Hashable, Sendable, CustomStringConvertible {
    case malformed(DecodeError)
    case wrongMagic
    case unsupportedVersion(UInt8)
    /// The bytes decode but describe an impossible table, such as a lock held by no session.
    case inconsistent(String)

    /// What went wrong, for logs and operators.
    package var description: String {
        switch self {
        case let .malformed(error): "the lock table snapshot is malformed: \(error)"
        case .wrongMagic: "the bytes are not a lock table snapshot (wrong magic)"
        case let .unsupportedVersion(version): "lock table snapshot version \(version) is not supported"
        case let .inconsistent(reason): "the lock table snapshot is inconsistent: \(reason)"
        }
    }
}

extension LockTable {
    static let snapshotMagic: [UInt8] = Array("PLTS".utf8)
    /// Version 5 added holds, waiters' roles, batches and upgrades, and audit records' holds; version 4 added
    /// each session's client. Versions 3 and 4 still restore (with no holds).
    static let snapshotVersion: UInt8 = 5
    private static let countMax = 1 << 26

    /// The whole state as bytes: the same state always gives the same bytes (every collection is written in
    /// a defined order). Derived indexes are not written; ``restore(from:)`` rebuilds them.
    package func snapshot() -> [UInt8] {
        var writer = ByteWriter(capacity: 1024)
        writer.writeRaw(Self.snapshotMagic)
        writer.writeUInt8(Self.snapshotVersion)
        writer.writeVarint(lastAppliedIndex)
        writer.writeVarint(lastTime.rawValue)
        writer.writeVarint(nextAuditSequence)
        writer.writeArray(sessions.keys.sorted()) { writer, id in
            guard let record = sessions[id] else {
                preconditionFailure(brokenSnapshot("session \(id) is listed without a record"))
            }
            writer.write(record)
        }
        writer.writeArray(Self.sortedInBytes(Array(exclusiveGrants.keys) + Array(sharedGrants.keys))) {
            writer, key in
            guard let holding = holding(key) else {
                preconditionFailure(brokenSnapshot("held key \(key) has no holders"))
            }
            writer.writeString(key)
            writer.writeUInt8(holding.mode.rawValue)
            writer.writeArray(holding.grants) { writer, grant in
                writer.writeVarint(grant.session.rawValue)
                writer.writeVarint(grant.fence.rawValue)
                writer.writeVarint(grant.since.rawValue)
                writer.writeString(grant.note)
            }
        }
        // A batch stands in several queues; it is written once, through its first key.
        let waiters = queues.values.joined().filter { $0.group.isEmpty || $0.key == $0.group[0] }
        writer.writeArray(waiters.sorted { $0.arrival < $1.arrival }) { writer, waiter in
            writer.write(waiter.request)
            writer.write(waiter.key)
            writer.writeUInt8(waiter.mode.rawValue)
            writer.writeString(waiter.note)
            writer.writeVarint(waiter.arrival)
            writer.writeVarint(waiter.enqueuedAt.rawValue)
            writer.writeVarint(waiter.deadline.rawValue)
            writer.writeStrings(waiter.roles)
            writer.writeArray(waiter.group) { $0.write($1) }
            writer.writeUInt8(waiter.isUpgrade ? 1 : 0)
        }
        writer.writeArray(delayOrder) { writer, mark in
            writer.writeString(mark.key)
            writer.writeVarint(mark.until.rawValue)
        }
        writer.writeArray(Array(endedOrder)) { writer, id in
            writer.writeVarint(id.rawValue)
            guard let reason = endedSessions[id] else {
                preconditionFailure(brokenSnapshot("ended session \(id) is listed without a reason"))
            }
            writer.writeUInt8(reason.rawValue)
        }
        writer.writeArray(Array(auditRecords)) { $0.write($1) }
        quotas.encode(into: &writer)
        writer.writeArray(holds.keys.sorted { $0.precedesInBytes($1) }.flatMap { holds[$0] ?? [] }) {
            $0.writeHold($1)
        }
        return writer.bytes
    }

    /// The message of a table that cannot be written out: the table itself disagrees with its indexes.
    private func brokenSnapshot(_ finding: String) -> String {
        "lock table invariant broken writing a snapshot at entry \(lastAppliedIndex): \(finding). Every replica "
            + "taking a snapshot here stops; keep the data directory and report it as a bug."
    }

    /// Replaces the state with the one `bytes` describe, keeping this table's configuration. On any error the
    /// table is unchanged.
    package mutating func restore(from bytes: [UInt8]) throws(SnapshotError) {
        var table = LockTable(configuration: configuration)
        try ByteReader.decodingAll(bytes, malformed: SnapshotError.malformed) { reader in
            guard try reader.readRaw(count: Self.snapshotMagic.count) == Self.snapshotMagic else {
                throw SnapshotError.wrongMagic
            }
            let version = try reader.readUInt8()
            guard (3...Self.snapshotVersion).contains(version) else { throw SnapshotError.unsupportedVersion(version) }
            table.lastAppliedIndex = try reader.readVarint()
            table.lastTime = try reader.readTimestamp()
            table.nextAuditSequence = try reader.readVarint()
            guard table.nextAuditSequence > 0, table.nextAuditSequence < UInt64.max,
                table.lastAppliedIndex < UInt64.max
            else { throw SnapshotError.inconsistent("counters at their limits") }
            try table.restoreSessions(&reader, withClients: version >= 4)
            try table.restoreHoldings(&reader)
            try table.restoreWaiters(&reader, version: version)
            try table.restoreDelays(&reader)
            try table.restoreEnded(&reader)
            try table.restoreAudit(&reader, version: version)
            table.quotas = try NamespaceQuotas.decode(from: &reader)
            if version >= 5 { try table.restoreHolds(&reader) }
            try table.checkWaitersAgainstHolds()
        }
        self = table
    }

    private mutating func restoreSessions(_ reader: inout ByteReader, withClients: Bool) throws {
        let records = try reader.readArray(maxCount: Self.countMax, minimumElementSize: 8) {
            reader throws(DecodeError) in try reader.readSessionRecord(withClient: withClients)
        }
        sessions.reserveCapacity(records.count)
        sessionsByNonce.reserveCapacity(records.count)
        for record in records {
            guard sessions[record.id] == nil, !record.owner.isEmpty, record.id.rawValue <= lastAppliedIndex else {
                throw SnapshotError.inconsistent("session \(record.id) is repeated, ownerless or from the future")
            }
            let ttlRange = InputLimits.sessionTTLMillisecondsMin...InputLimits.sessionTTLMillisecondsMax
            guard ttlRange.contains(record.ttlMilliseconds),
                record.checkpointRemainingMilliseconds <= 2 * record.ttlMilliseconds
            else {
                throw SnapshotError.inconsistent(
                    "session \(record.id) has TTL \(record.ttlMilliseconds) ms and checkpointed remaining time "
                        + "\(record.checkpointRemainingMilliseconds) ms")
            }
            sessions[record.id] = record
            sessionsByNonce[OpenKey(client: record.client, owner: record.owner, nonce: record.nonce)] = record.id
            if let client = record.client { sessionsByClient[client, default: 0] += 1 }
        }
    }

    private mutating func restoreHoldings(_ reader: inout ByteReader) throws {
        let count = try reader.readLength(max: Self.countMax)
        // Grown once rather than doubling its way up (a million holdings rehashed about twenty times). The
        // prefix index is not reserved: it has one node per distinct prefix, far fewer than holdings.
        exclusiveGrants.reserveCapacity(count)
        for _ in 0..<count {
            let key = try reader.readLockKey()
            let mode = try reader.readEnum(LockMode.self)
            // The grants are read and granted one at a time: no array per key (a million of them otherwise).
            let grantCount = try reader.readLength(max: Self.countMax)
            guard grantCount > 0, mode == .shared || grantCount == 1, holding(key.string) == nil else {
                throw SnapshotError.inconsistent("key \(key) has an impossible set of holders")
            }
            var holders: [SessionID] = []
            for _ in 0..<grantCount {
                let grant = Grant(
                    session: SessionID(try reader.readVarint()), fence: FenceToken(try reader.readVarint()),
                    since: try reader.readTimestamp(),
                    note: try reader.readString(maxByteCount: InputLimits.noteByteCountMax))
                // No spelling of this key was held before it (checked above), so a session could hold it twice
                // only through a repeated grant in this list. Checking that, and the session's existence by
                // index, spares a copy of the session record and a scan of its keys per lock.
                guard sessions.index(forKey: grant.session) != nil, !holders.contains(grant.session),
                    firstConflictingHolder(key.string, mode: mode) == nil
                else { throw SnapshotError.inconsistent("grant of \(key) to \(grant.session) is impossible") }
                if grantCount > 1 { holders.append(grant.session) }
                self.grant(grant, key: key, mode: mode)
            }
        }
    }

    private mutating func restoreWaiters(_ reader: inout ByteReader, version: UInt8) throws {
        let count = try reader.readLength(max: Self.countMax)
        var lastArrival: UInt64 = 0
        for _ in 0..<count {
            var waiter = Waiter(
                request: try reader.readRequestID(), key: try reader.readLockKey(),
                mode: try reader.readEnum(LockMode.self),
                note: try reader.readString(maxByteCount: InputLimits.noteByteCountMax),
                arrival: try reader.readVarint(),
                enqueuedAt: try reader.readTimestamp(), deadline: try reader.readTimestamp())
            if version >= 5 {
                waiter.roles = try reader.readStrings(maxCount: HoldLimits.rolesPerRequestMax)
                waiter.group = try reader.readArray(maxCount: HoldLimits.keysPerAcquireMax) {
                    reader throws(DecodeError) in try reader.readLockKey()
                }
                waiter.isUpgrade = try reader.readBool()
            }
            guard waiter.arrival > lastArrival, waiter.arrival <= lastAppliedIndex,
                let session = sessions[waiter.request.session],
                !waiter.keys.contains(where: session.waitingKeys.contains), waiterKeys[waiter.request] == nil,
                waiter.group.isEmpty
                    || (waiter.group.count > 1 && waiter.group[0] == waiter.key
                        && HoldLimits.problem(keys: waiter.group) == nil && !waiter.isUpgrade),
                !waiter.isUpgrade
                    || (waiter.mode == .exclusive && holding(waiter.key.string)?.grant(of: session.id) != nil)
            else { throw SnapshotError.inconsistent("waiter \(waiter.request) on \(waiter.key) is impossible") }
            lastArrival = waiter.arrival
            _ = enqueue(waiter)
        }
    }

    private mutating func restoreHolds(_ reader: inout ByteReader) throws {
        let all = try reader.readArray(maxCount: Self.countMax, minimumElementSize: 10) {
            reader throws(DecodeError) in try reader.readHold()
        }
        for hold in all {
            var list = holds[hold.key.string] ?? []
            guard list.allSatisfy({ $0.rule.utf8.lexicographicallyPrecedes(hold.rule.utf8) }),
                list.count < HoldLimits.holdsPerKeyMax, hold.fence.rawValue <= lastAppliedIndex,
                !hold.rule.isEmpty, !hold.reason.isEmpty
            else { throw SnapshotError.inconsistent("hold '\(hold.rule)' on \(hold.key) is repeated or impossible") }
            if list.isEmpty { indexInsert(hold.key.string, .hold) }
            list.append(hold)
            holds[hold.key.string] = list
            holdCount += 1
            holdsByNamespace[String(hold.key.namespace), default: 0] += 1
        }
    }

    /// No queued request may be one a hold refuses: placing a hold answers them (`docs/holds.md`).
    private func checkWaitersAgainstHolds() throws {
        guard holdCount > 0 else { return }
        for waiter in queues.values.joined()
        where refusingHold(for: waiter.key, mode: waiter.mode, roles: waiter.roles) != nil {
            throw SnapshotError.inconsistent("waiter \(waiter.request) on \(waiter.key) is refused by a hold")
        }
    }

    private mutating func restoreDelays(_ reader: inout ByteReader) throws {
        let count = try reader.readLength(max: Self.countMax)
        for _ in 0..<count {
            let key = try reader.readLockKey().string
            let full = DelayMark(until: try reader.readTimestamp(), key: key)
            guard delays[full.key] == nil, delayOrder.last.map({ $0 < full }) ?? true else {
                throw SnapshotError.inconsistent("lock-delay of \(full.key) is repeated or out of order")
            }
            delays[full.key] = full.until
            delayOrder.append(full)
            indexInsert(full.key, .delay)
        }
    }

    private mutating func restoreEnded(_ reader: inout ByteReader) throws {
        let count = try reader.readLength(max: Self.countMax)
        for _ in 0..<count {
            let id = SessionID(try reader.readVarint())
            let reason = try reader.readEnum(SessionEndReason.self)
            guard endedSessions[id] == nil, sessions[id] == nil else {
                throw SnapshotError.inconsistent("ended \(id) is repeated or still open")
            }
            endedSessions[id] = reason
            endedOrder.append(id)
        }
    }

    private mutating func restoreAudit(_ reader: inout ByteReader, version: UInt8) throws {
        let records = try reader.readArray(maxCount: Self.countMax, minimumElementSize: 8) {
            reader throws(DecodeError) in try reader.readAuditRecord(withHold: version >= 5)
        }
        var previous: UInt64 = 0
        for record in records {
            guard record.sequence > previous, record.sequence < nextAuditSequence else {
                throw SnapshotError.inconsistent("audit record \(record.sequence) is out of order")
            }
            previous = record.sequence
            auditRecords.append(record)
        }
    }
}

extension ByteWriter {
    fileprivate mutating func write(_ record: SessionRecord) {
        writeVarint(record.id.rawValue)
        writeString(record.owner)
        writeString(record.client ?? "")
        writeVarint(record.nonce)
        writeVarint(record.ttlMilliseconds)
        writeVarint(record.openedAt.rawValue)
        writeVarint(record.renewalGeneration)
        writeVarint(record.leaseDeadline.rawValue)
        writeVarint(record.checkpointRemainingMilliseconds)
        writeVarint(record.lastSequence)
        writeOptional(record.lastResult) { writer, result in result.encode(into: &writer) }
    }

    fileprivate mutating func write(_ record: AuditRecord) {
        writeVarint(record.sequence)
        writeVarint(record.index)
        writeVarint(record.time.rawValue)
        writeUInt8(record.action.rawValue)
        writeString(record.actor)
        writeVarint(record.session.rawValue)
        writeOptional(record.key) { $0.write($1) }
        writeOptional(record.previous) { $0.writeHolder($1) }
        writeString(record.reason)
        writeOptional(record.hold) { $0.writeHold($1) }
    }
}

extension ByteReader {
    fileprivate mutating func readSessionRecord(withClient: Bool) throws(DecodeError) -> SessionRecord {
        let id = SessionID(try readVarint())
        let owner = try readString(maxByteCount: InputLimits.ownerByteCountMax)
        let client = withClient ? try readString(maxByteCount: Command.stringByteCountDecodeMax) : ""
        var record = SessionRecord(
            id: id, owner: owner, client: client.isEmpty ? nil : client, nonce: try readVarint(),
            ttlMilliseconds: try readVarint(), openedAt: try readTimestamp(),
            leaseDeadline: Timestamp(rawValue: 0), checkpointRemainingMilliseconds: 0)
        record.renewalGeneration = try readVarint()
        record.leaseDeadline = try readTimestamp()
        record.checkpointRemainingMilliseconds = try readVarint()
        record.lastSequence = try readVarint()
        record.lastResult = try readOptional { reader throws(DecodeError) in try CommandResult.decode(from: &reader) }
        return record
    }

    fileprivate mutating func readAuditRecord(withHold: Bool) throws(DecodeError) -> AuditRecord {
        AuditRecord(
            sequence: try readVarint(), index: try readVarint(), time: try readTimestamp(),
            action: try readEnum(AuditAction.self), actor: try readString(maxByteCount: InputLimits.ownerByteCountMax),
            session: SessionID(try readVarint()),
            key: try readOptional { reader throws(DecodeError) in try reader.readLockKey() },
            previous: try readOptional { reader throws(DecodeError) in try reader.readHolder() },
            reason: try readString(maxByteCount: InputLimits.reasonByteCountMax),
            hold: withHold ? try readOptional { reader throws(DecodeError) in try reader.readHold() } : nil)
    }
}

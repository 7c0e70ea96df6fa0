import PadlockTypes

// Layouts of the structures inside results. Each `read` mirrors its `write` field for field.

extension SessionGrant {
    func write(to writer: inout ByteWriter) {
        writer.writeVarint(session.rawValue)
        writer.writeVarint(ttlMilliseconds)
        writer.writeVarint(renewalDeadline.rawValue)
    }

    static func read(from reader: inout ByteReader) throws -> SessionGrant {
        SessionGrant(
            session: try reader.readSessionID(), ttlMilliseconds: try reader.readVarint(),
            renewalDeadline: try reader.readTimestamp())
    }
}

extension LockInfo {
    /// Key (at least two bytes), holder, deadline.
    static let byteCountMin = 2 + holderByteCountMin + 1

    func write(to writer: inout ByteWriter) {
        writer.writeKey(key)
        writer.writeHolder(holder)
        writer.writeVarint(leaseDeadline.rawValue)
    }

    static func read(from reader: inout ByteReader) throws -> LockInfo {
        LockInfo(key: try reader.readKey(), holder: try reader.readHolder(), leaseDeadline: try reader.readTimestamp())
    }
}

extension Waiter {
    /// Key (at least two bytes), session, owner, mode, since.
    static let byteCountMin = 2 + 4

    func write(to writer: inout ByteWriter) {
        writer.writeKey(key)
        writer.writeVarint(session.rawValue)
        writer.writeString(owner)
        writer.writeUInt8(mode.rawValue)
        writer.writeVarint(since.rawValue)
    }

    static func read(from reader: inout ByteReader) throws -> Waiter {
        Waiter(
            key: try reader.readKey(), session: try reader.readSessionID(),
            owner: try reader.readString(maxByteCount: InputLimits.ownerByteCountMax),
            mode: try reader.readEnum(LockMode.self), since: try reader.readTimestamp())
    }
}

extension KeyInspection {
    /// Key, holders, waiters, lock-delay, then (protocol v3) the holds; an older connection is sent no holds.
    func write(to writer: inout ByteWriter, version: ProtocolVersion = .current) {
        writer.writeKey(key)
        writer.writeElements(holders, maxCount: WireLimits.inspectionEntriesMax) { $1.write(to: &$0) }
        writer.writeElements(waiters, maxCount: WireLimits.inspectionEntriesMax) { $1.write(to: &$0) }
        writer.writeOptional(lockDelayedUntil) { $0.writeVarint($1.rawValue) }
        guard version >= .holds else { return }
        writer.writeElements(holds, maxCount: WireLimits.inspectionHoldsMax) { $0.writeHold($1) }
    }

    static func read(from reader: inout ByteReader, version: ProtocolVersion = .current) throws -> KeyInspection {
        let limit = WireLimits.inspectionEntriesMax
        let key = try reader.readKey()
        let holders = try reader.readElements(maxCount: limit, minimumElementSize: LockInfo.byteCountMin) {
            try LockInfo.read(from: &$0)
        }
        let waiters = try reader.readElements(maxCount: limit, minimumElementSize: Waiter.byteCountMin) {
            try Waiter.read(from: &$0)
        }
        let lockDelayedUntil = try reader.readPresent { try $0.readTimestamp() }
        let holds =
            version >= .holds
            ? try reader.readElements(maxCount: WireLimits.inspectionHoldsMax, minimumElementSize: holdByteCountMin) {
                try $0.readHold()
            } : []
        return KeyInspection(
            key: key, holders: holders, waiters: waiters, lockDelayedUntil: lockDelayedUntil, holds: holds)
    }
}

extension ListPage {
    func write(to writer: inout ByteWriter) {
        writer.writeElements(locks, maxCount: WireLimits.pageSizeMax) { $1.write(to: &$0) }
        writer.writeOptional(next) { $0.writeKey($1) }
    }

    static func read(from reader: inout ByteReader) throws -> ListPage {
        ListPage(
            locks: try reader.readElements(maxCount: WireLimits.pageSizeMax, minimumElementSize: LockInfo.byteCountMin)
            {
                try LockInfo.read(from: &$0)
            },
            next: try reader.readPresent { try $0.readKey() })
    }
}

extension AuditRecord {
    /// Sequence, index, time, action, session, two presence flags, identity, reason.
    static let byteCountMin = 9

    /// Its fields, then (protocol v3) the hold it concerns. Older connections are never sent a hold record
    /// (``AuditPage/downgraded(for:)``).
    func write(to writer: inout ByteWriter, version: ProtocolVersion = .current) {
        writer.writeVarint(sequence)
        writer.writeVarint(index.rawValue)
        writer.writeVarint(time.rawValue)
        writer.writeUInt8(action.rawValue)
        writer.writeVarint(session.rawValue)
        writer.writeOptional(key) { $0.writeKey($1) }
        writer.writeOptional(previousHolder) { $0.writeHolder($1) }
        writer.writeString(identity)
        writer.writeString(reason)
        guard version >= .holds else { return }
        writer.writeOptional(hold) { $0.writeHold($1) }
    }

    static func read(from reader: inout ByteReader, version: ProtocolVersion = .current) throws -> AuditRecord {
        let sequence = try reader.readVarint()
        let index = LogIndex(try reader.readVarint())
        let time = try reader.readTimestamp()
        let actionStart = reader.offset
        let action = try reader.readEnum(AuditAction.self)
        guard version >= .holds || !action.concernsHold else {
            throw DecodeError.unknownTag(
                offset: actionStart, type: String(describing: AuditAction.self), tag: action.rawValue)
        }
        let session = try reader.readSessionID()
        let key = try reader.readPresent { try $0.readKey() }
        let previousHolder = try reader.readPresent { try $0.readHolder() }
        let identity = try reader.readString(maxByteCount: InputLimits.ownerByteCountMax)
        let reason = try reader.readString(maxByteCount: InputLimits.reasonByteCountMax)
        let hold = version >= .holds ? try reader.readPresent { try $0.readHold() } : nil
        return AuditRecord(
            sequence: sequence, index: index, time: time, action: action, session: session, key: key,
            previousHolder: previousHolder, identity: identity, reason: reason, hold: hold)
    }
}

extension AuditRecord {
    /// The bytes the record takes in a current-version audit page.
    package var encodedByteCount: Int {
        var writer = ByteWriter(capacity: 256)
        write(to: &writer)
        return writer.bytes.count
    }
}

extension AuditPage {
    func write(to writer: inout ByteWriter, version: ProtocolVersion = .current) {
        writer.writeElements(records, maxCount: WireLimits.pageSizeMax) { $1.write(to: &$0, version: version) }
        writer.writeOptional(next) { $0.writeVarint($1) }
        writer.writeVarint(oldestKept)
    }

    static func read(from reader: inout ByteReader, version: ProtocolVersion = .current) throws -> AuditPage {
        let records = try reader.readElements(
            maxCount: WireLimits.pageSizeMax, minimumElementSize: AuditRecord.byteCountMin
        ) { try AuditRecord.read(from: &$0, version: version) }
        let next = try reader.readPresent { try $0.readVarint() }
        return AuditPage(records: records, next: next, oldestKept: try reader.readVarint())
    }
}

extension NodeStatus {
    func write(to writer: inout ByteWriter) {
        writer.writeVarint(node.rawValue)
        writer.writeUInt8(role.rawValue)
        writer.writeVarint(term.rawValue)
        writer.writeOptional(leader) { $0.writeVarint($1.rawValue) }
        writer.writeVarint(commitIndex.rawValue)
        writer.writeVarint(appliedIndex.rawValue)
        writer.writeVarint(lastIndex.rawValue)
        writer.writeVarint(snapshotIndex.rawValue)
        writer.writeVarint(sessionCount)
        writer.writeVarint(lockCount)
        writer.writeVarint(waiterCount)
        let membersMax = WireLimits.clusterMembersMax
        writer.writeElements(members, maxCount: membersMax) { $0.writeVarint($1.rawValue) }
        writer.writeElements(learners, maxCount: membersMax) { $0.writeVarint($1.rawValue) }
        writer.writeElements(peers, maxCount: membersMax) { $1.write(to: &$0) }
        writer.writeBool(canCommit)
        writer.writeElements(problems, maxCount: membersMax) { $0.writeString($1) }
    }

    static func read(from reader: inout ByteReader) throws -> NodeStatus {
        let node = NodeID(try reader.readVarint())
        let role = try reader.readEnum(NodeRole.self)
        let term = Term(try reader.readVarint())
        let leader = try reader.readPresent { NodeID(try $0.readVarint()) }
        let commitIndex = LogIndex(try reader.readVarint())
        let appliedIndex = LogIndex(try reader.readVarint())
        let lastIndex = LogIndex(try reader.readVarint())
        let snapshotIndex = LogIndex(try reader.readVarint())
        let sessionCount = try reader.readVarint()
        let lockCount = try reader.readVarint()
        let waiterCount = try reader.readVarint()
        let membersMax = WireLimits.clusterMembersMax
        // A node id is one varint, so at least one byte.
        let members = try reader.readElements(maxCount: membersMax, minimumElementSize: 1) {
            NodeID(try $0.readVarint())
        }
        let learners = try reader.readElements(maxCount: membersMax, minimumElementSize: 1) {
            NodeID(try $0.readVarint())
        }
        let peers = try reader.readElements(maxCount: membersMax, minimumElementSize: PeerProgress.byteCountMin) {
            try PeerProgress.read(from: &$0)
        }
        let canCommit = try reader.readBool()
        // A string is at least its one-byte length.
        let problems = try reader.readElements(maxCount: membersMax, minimumElementSize: 1) {
            try $0.readString(maxByteCount: WireLimits.messageByteCountMax)
        }
        return NodeStatus(
            node: node, role: role, term: term, leader: leader, commitIndex: commitIndex, appliedIndex: appliedIndex,
            lastIndex: lastIndex, snapshotIndex: snapshotIndex, sessionCount: sessionCount, lockCount: lockCount,
            waiterCount: waiterCount, members: members, learners: learners, peers: peers, canCommit: canCommit,
            problems: problems)
    }
}

extension PeerProgress {
    /// Node, match index, two flags.
    static let byteCountMin = 4

    func write(to writer: inout ByteWriter) {
        writer.writeVarint(node.rawValue)
        writer.writeVarint(matchIndex.rawValue)
        writer.writeBool(isLearner)
        writer.writeBool(isReachable)
    }

    static func read(from reader: inout ByteReader) throws -> PeerProgress {
        PeerProgress(
            node: NodeID(try reader.readVarint()), matchIndex: LogIndex(try reader.readVarint()),
            isLearner: try reader.readBool(), isReachable: try reader.readBool())
    }
}

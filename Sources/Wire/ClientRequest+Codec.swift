import PadlockTypes

/// The one-byte tag of each ``ClientOperation`` case.
package enum OperationTag: UInt8, CaseIterable {
    case openSession = 1
    case renewSession = 2
    case closeSession = 3
    case acquire = 4
    case release = 5
    case inspect = 6
    case list = 7
    case checkFence = 8
    case forceUnlock = 9
    case revokeSession = 10
    case audit = 11
    case status = 12
    case resolve = 13
    case cancelWait = 14
    case addMember = 15
    case promoteMember = 16
    case removeMember = 17
    case members = 18
    case renewSessions = 19
    case subscribe = 20
    case unsubscribe = 21
    case takeover = 22
    case acquireKeys = 23
    case changeMode = 24
    case placeHold = 25
    case liftHold = 26
    case holds = 27
    case backup = 28
    case backupChunk = 29
}

extension ClientRequest: WireBody {
    package static var kind: MessageKind { .clientRequest }

    package func write(to writer: inout ByteWriter) {
        writer.writeVarint(correlation.rawValue)
        operation.write(to: &writer)
        trace?.write(to: &writer)
    }

    /// The trace context is an optional tail: present only when the byte after the operation is its tag, so
    /// a request without one is exactly the bytes it was before the field existed.
    package static func read(from reader: inout ByteReader) throws -> ClientRequest {
        let correlation = CorrelationID(try reader.readVarint())
        let operation = try ClientOperation.read(from: &reader)
        var probe = reader
        guard reader.remainingCount > 0, (try? probe.readUInt8()) == TraceContext.tag else {
            return ClientRequest(correlation: correlation, operation: operation)
        }
        reader = probe
        return ClientRequest(
            correlation: correlation, operation: operation, trace: try TraceContext.read(from: &reader))
    }
}

extension ClientOperation {
    func write(to writer: inout ByteWriter) {
        switch self {
        case .openSession(let owner, let nonce, let ttl):
            writer.writeUInt8(OperationTag.openSession.rawValue)
            writer.writeString(owner)
            writer.writeVarint(nonce)
            writer.writeVarint(ttl)
        case .renewSession(let session):
            writer.writeUInt8(OperationTag.renewSession.rawValue)
            writer.writeVarint(session.rawValue)
        case .closeSession(let id):
            writer.writeUInt8(OperationTag.closeSession.rawValue)
            writer.writeRequestID(id)
        case .acquire(let id, let acquisition):
            writer.writeUInt8(OperationTag.acquire.rawValue)
            writer.writeRequestID(id)
            writer.writeKey(acquisition.key)
            writer.writeUInt8(acquisition.mode.rawValue)
            writer.writeVarint(acquisition.waitMilliseconds)
            writer.writeString(acquisition.note)
        case .release(let id, let key, let fence):
            writer.writeUInt8(OperationTag.release.rawValue)
            writer.writeRequestID(id)
            writer.writeKey(key)
            writer.writeVarint(fence.rawValue)
        case .cancelWait(let id, let key):
            writer.writeUInt8(OperationTag.cancelWait.rawValue)
            writer.writeRequestID(id)
            writer.writeKey(key)
        case .inspect(let key):
            writer.writeUInt8(OperationTag.inspect.rawValue)
            writer.writeKey(key)
        case .list(let query):
            writer.writeUInt8(OperationTag.list.rawValue)
            query.write(to: &writer)
        default:
            writeAdministrative(to: &writer)
        }
    }

    /// Writes the fence check, admin, audit, status and resolve operations.
    private func writeAdministrative(to writer: inout ByteWriter) {
        switch self {
        case .checkFence(let key, let fence):
            writer.writeUInt8(OperationTag.checkFence.rawValue)
            writer.writeKey(key)
            writer.writeVarint(fence.rawValue)
        case .forceUnlock(let id, let key, let reason):
            writer.writeUInt8(OperationTag.forceUnlock.rawValue)
            writer.writeRequestID(id)
            writer.writeKey(key)
            writer.writeString(reason)
        case .revokeSession(let id, let target, let reason):
            writer.writeUInt8(OperationTag.revokeSession.rawValue)
            writer.writeRequestID(id)
            writer.writeVarint(target.rawValue)
            writer.writeString(reason)
        case .audit(let after, let limit):
            writer.writeUInt8(OperationTag.audit.rawValue)
            precondition(limit >= 0, "an audit request's limit must not be negative, got \(limit)")
            writer.writeOptional(after) { $0.writeVarint($1) }
            writer.writeVarint(UInt64(limit))
        case .status:
            writer.writeUInt8(OperationTag.status.rawValue)
        case .resolve(let id):
            writer.writeUInt8(OperationTag.resolve.rawValue)
            writer.writeRequestID(id)
        case .addMember(let node, let peerAddress, let clientAddress):
            writer.writeUInt8(OperationTag.addMember.rawValue)
            writer.writeVarint(node.rawValue)
            writer.writeString(peerAddress)
            writer.writeString(clientAddress)
        case .promoteMember(let node):
            writer.writeUInt8(OperationTag.promoteMember.rawValue)
            writer.writeVarint(node.rawValue)
        case .removeMember(let node):
            writer.writeUInt8(OperationTag.removeMember.rawValue)
            writer.writeVarint(node.rawValue)
        case .members:
            writer.writeUInt8(OperationTag.members.rawValue)
        case .renewSessions(let sessions):
            writer.writeUInt8(OperationTag.renewSessions.rawValue)
            writer.writeElements(sessions, maxCount: WireLimits.renewalBatchCountMax) { $0.writeVarint($1.rawValue) }
        case .subscribe(let subscription):
            writer.writeUInt8(OperationTag.subscribe.rawValue)
            subscription.write(to: &writer)
        case .unsubscribe(let subscription):
            writer.writeUInt8(OperationTag.unsubscribe.rawValue)
            subscription.write(to: &writer)
        case .takeover(let id, let acquisition, let reason):
            writer.writeUInt8(OperationTag.takeover.rawValue)
            precondition(acquisition.waitMilliseconds == 0, "a takeover never waits; its wait must be 0")
            writer.writeRequestID(id)
            writer.writeKey(acquisition.key)
            writer.writeUInt8(acquisition.mode.rawValue)
            writer.writeString(acquisition.note)
            writer.writeString(reason)
        case .acquireKeys, .changeMode, .placeHold, .liftHold, .holds:
            writeHoldOperation(to: &writer)
        case .backup, .backupChunk:
            writeBackupOperation(to: &writer)
        case .openSession, .renewSession, .closeSession, .acquire, .release, .cancelWait, .inspect, .list:
            preconditionFailure("ClientOperation.write handles \(self) itself")
        }
    }

    static func read(from reader: inout ByteReader) throws -> ClientOperation {
        let tag = try reader.readEnum(OperationTag.self)
        switch tag {
        case .openSession:
            let owner = try reader.readString(maxByteCount: InputLimits.ownerByteCountMax)
            let nonce = try reader.readVarint()
            return .openSession(owner: owner, nonce: nonce, ttlMilliseconds: try reader.readVarint())
        case .renewSession:
            return .renewSession(try reader.readSessionID())
        case .closeSession:
            return .closeSession(try reader.readRequestID())
        case .acquire:
            let id = try reader.readRequestID()
            let key = try reader.readKey()
            let mode = try reader.readEnum(LockMode.self)
            let wait = try reader.readVarint()
            let note = try reader.readString(maxByteCount: InputLimits.noteByteCountMax)
            return .acquire(id, Acquisition(key: key, mode: mode, waitMilliseconds: wait, note: note))
        case .release:
            let id = try reader.readRequestID()
            return .release(id, key: try reader.readKey(), fence: try reader.readFence())
        case .cancelWait:
            let id = try reader.readRequestID()
            return .cancelWait(id, key: try reader.readKey())
        case .inspect:
            return .inspect(try reader.readKey())
        case .list:
            return .list(try ListQuery.read(from: &reader))
        case .checkFence:
            return .checkFence(key: try reader.readKey(), fence: try reader.readFence())
        case .forceUnlock:
            let id = try reader.readRequestID()
            let key = try reader.readKey()
            return .forceUnlock(
                id, key: key, reason: try reader.readString(maxByteCount: InputLimits.reasonByteCountMax))
        case .revokeSession:
            let id = try reader.readRequestID()
            let target = try reader.readSessionID()
            let reason = try reader.readString(maxByteCount: InputLimits.reasonByteCountMax)
            return .revokeSession(id, target: target, reason: reason)
        case .audit:
            let after = try reader.readPresent { try $0.readVarint() }
            return .audit(after: after, limit: try reader.readLength(max: WireLimits.pageSizeMax))
        case .status:
            return .status
        case .resolve:
            return .resolve(try reader.readRequestID())
        case .addMember, .promoteMember, .removeMember, .members:
            return try readMembership(tag, from: &reader)
        case .renewSessions:
            return .renewSessions(
                try reader.readElements(maxCount: WireLimits.renewalBatchCountMax, minimumElementSize: 1) {
                    try $0.readSessionID()
                })
        case .subscribe:
            return .subscribe(try Subscription.read(from: &reader))
        case .unsubscribe:
            return .unsubscribe(try Subscription.read(from: &reader))
        case .takeover:
            return try readTakeover(from: &reader)
        case .acquireKeys, .changeMode, .placeHold, .liftHold, .holds:
            return try readHoldOperation(tag, from: &reader)
        case .backup, .backupChunk:
            return try readBackupOperation(tag, from: &reader)
        }
    }

    /// A membership operation's fields after its tag.
    private static func readMembership(_ tag: OperationTag, from reader: inout ByteReader) throws -> ClientOperation {
        switch tag {
        case .addMember:
            let node = NodeID(try reader.readVarint())
            let peerAddress = try reader.readString(maxByteCount: WireLimits.addressByteCountMax)
            let clientAddress = try reader.readString(maxByteCount: WireLimits.addressByteCountMax)
            return .addMember(node: node, peerAddress: peerAddress, clientAddress: clientAddress)
        case .promoteMember:
            return .promoteMember(NodeID(try reader.readVarint()))
        case .removeMember:
            return .removeMember(NodeID(try reader.readVarint()))
        default:
            return .members
        }
    }

    /// A takeover's fields after its tag; it has no wait (it never queues), so its acquisition's wait is 0.
    private static func readTakeover(from reader: inout ByteReader) throws -> ClientOperation {
        let id = try reader.readRequestID()
        let key = try reader.readKey()
        let mode = try reader.readEnum(LockMode.self)
        let note = try reader.readString(maxByteCount: InputLimits.noteByteCountMax)
        let reason = try reader.readString(maxByteCount: InputLimits.reasonByteCountMax)
        return .takeover(id, Acquisition(key: key, mode: mode, waitMilliseconds: 0, note: note), reason: reason)
    }
}

extension ListQuery {
    func write(to writer: inout ByteWriter) {
        writer.writeOptional(prefix) { $0.writeKey($1) }
        writer.writeOptional(owner) { $0.writeString($1) }
        writer.writeOptional(after) { $0.writeKey($1) }
        precondition(limit >= 0, "a list request's limit must not be negative, got \(limit)")
        writer.writeVarint(UInt64(limit))
    }

    static func read(from reader: inout ByteReader) throws -> ListQuery {
        ListQuery(
            prefix: try reader.readPresent { try $0.readKey() },
            owner: try reader.readPresent { try $0.readString(maxByteCount: InputLimits.ownerByteCountMax) },
            after: try reader.readPresent { try $0.readKey() },
            limit: try reader.readLength(max: WireLimits.pageSizeMax)
        )
    }
}

import PadlockTypes

/// The one-byte tag saying whether a response carries a result or a failure.
enum OutcomeTag: UInt8 {
    case result = 0
    case failure = 1
}

/// The one-byte tag of each ``ClientResult`` case.
package enum ResultTag: UInt8, CaseIterable {
    case sessionOpened = 1
    case sessionRenewed = 2
    case sessionClosed = 3
    case granted = 4
    case released = 5
    case inspected = 6
    case listed = 7
    case fenceChecked = 8
    case forceUnlocked = 9
    case sessionRevoked = 10
    case audited = 11
    case status = 12
    case waitCancelled = 13
    case members = 14
    case sessionsRenewed = 15
    case subscribed = 16
    case grantedKeys = 17
    case holdPlaced = 18
    case holdsLifted = 19
    case holdsListed = 20
    case backupStarted = 21
    case backupChunk = 22
}

/// The one-byte tag of each ``ClientFailure`` case.
package enum FailureTag: UInt8, CaseIterable {
    case invalidArgument = 1
    case permissionDenied = 2
    case held = 3
    case notLeader = 4
    case unavailable = 5
    case overloaded = 6
    case sessionExpired = 7
    case notHeld = 8
    case lockLost = 9
    case timedOut = 10
    case unknownRequest = 11
    case lockDelayed = 12
    case waitersAhead = 13
    case notWaiting = 14
    case superseded = 15
    case restricted = 16
    case noHold = 17
}

extension ClientResponse: WireBody {
    package static var kind: MessageKind { .clientResponse }

    package func write(to writer: inout ByteWriter) {
        write(to: &writer, version: .current)
    }

    /// Writes the response in the layouts of `version`; the caller has downgraded it (``downgraded(for:)``).
    func write(to writer: inout ByteWriter, version: ProtocolVersion) {
        writer.writeVarint(correlation.rawValue)
        switch outcome {
        case .success(let result):
            writer.writeUInt8(OutcomeTag.result.rawValue)
            result.write(to: &writer, version: version)
        case .failure(let failure):
            writer.writeUInt8(OutcomeTag.failure.rawValue)
            failure.write(to: &writer)
        }
    }

    package static func read(from reader: inout ByteReader) throws -> ClientResponse {
        try read(from: &reader, version: .current)
    }

    /// Reads a response in the layouts of `version`: a tag added by a later version is unknown.
    static func read(from reader: inout ByteReader, version: ProtocolVersion) throws -> ClientResponse {
        let correlation = CorrelationID(try reader.readVarint())
        switch try reader.readEnum(OutcomeTag.self) {
        case .result:
            let result = try ClientResult.read(from: &reader, version: version)
            return ClientResponse(correlation: correlation, outcome: .success(result))
        case .failure:
            let failure = try ClientFailure.read(from: &reader, version: version)
            return ClientResponse(correlation: correlation, outcome: .failure(failure))
        }
    }
}

extension ClientResult {
    func write(to writer: inout ByteWriter, version: ProtocolVersion = .current) {
        switch self {
        case .sessionOpened(let grant):
            writer.writeUInt8(ResultTag.sessionOpened.rawValue)
            grant.write(to: &writer)
        case .sessionRenewed(let grant):
            writer.writeUInt8(ResultTag.sessionRenewed.rawValue)
            grant.write(to: &writer)
        case .sessionClosed:
            writer.writeUInt8(ResultTag.sessionClosed.rawValue)
        case .granted(let holder):
            writer.writeUInt8(ResultTag.granted.rawValue)
            writer.writeHolder(holder)
        case .released:
            writer.writeUInt8(ResultTag.released.rawValue)
        case .waitCancelled:
            writer.writeUInt8(ResultTag.waitCancelled.rawValue)
        case .inspected(let inspection):
            writer.writeUInt8(ResultTag.inspected.rawValue)
            inspection.write(to: &writer, version: version)
        case .listed(let page):
            writer.writeUInt8(ResultTag.listed.rawValue)
            page.write(to: &writer)
        case .fenceChecked(let check):
            writer.writeUInt8(ResultTag.fenceChecked.rawValue)
            writer.writeBool(check.isCurrent)
            writer.writeOptional(check.currentFence) { $0.writeVarint($1.rawValue) }
        case .forceUnlocked(let previous):
            writer.writeUInt8(ResultTag.forceUnlocked.rawValue)
            writer.writeElements(previous, maxCount: WireLimits.inspectionEntriesMax) { $0.writeHolder($1) }
        case .sessionRevoked(let count):
            writer.writeUInt8(ResultTag.sessionRevoked.rawValue)
            writer.writeVarint(count)
        case .audited(let page):
            writer.writeUInt8(ResultTag.audited.rawValue)
            page.write(to: &writer, version: version)
        case .status(let status):
            writer.writeUInt8(ResultTag.status.rawValue)
            status.write(to: &writer)
        case .members(let members):
            writer.writeUInt8(ResultTag.members.rawValue)
            writer.writeElements(members, maxCount: WireLimits.clusterMembersMax) { writer, member in
                writer.writeVarint(member.node.rawValue)
                writer.writeString(member.peerAddress)
                writer.writeString(member.clientAddress)
                writer.writeBool(member.isVoter)
            }
        case .sessionsRenewed(let renewals):
            writer.writeUInt8(ResultTag.sessionsRenewed.rawValue)
            writer.writeElements(renewals, maxCount: WireLimits.renewalBatchCountMax) { $1.write(to: &$0) }
        case .subscribed(let index):
            writer.writeUInt8(ResultTag.subscribed.rawValue)
            writer.writeVarint(index)
        case .grantedKeys(let holders):
            writer.writeUInt8(ResultTag.grantedKeys.rawValue)
            writer.writeElements(holders, maxCount: HoldLimits.keysPerAcquireMax) { $0.writeHolder($1) }
        case .holdPlaced(let hold, let ended):
            writer.writeUInt8(ResultTag.holdPlaced.rawValue)
            writer.writeHold(hold)
            writer.writeElements(ended, maxCount: WireLimits.inspectionEntriesMax) { $1.write(to: &$0) }
        case .holdsLifted(let holds):
            writer.writeUInt8(ResultTag.holdsLifted.rawValue)
            writer.writeElements(holds, maxCount: HoldLimits.holdsPerKeyMax) { $0.writeHold($1) }
        case .holdsListed(let page):
            writer.writeUInt8(ResultTag.holdsListed.rawValue)
            writer.writeElements(page.holds, maxCount: WireLimits.pageSizeMax) { $0.writeHold($1) }
            writer.writeOptional(page.next) { $0.writeKey($1) }
        case .backupStarted, .backupChunk: writeBackupResult(to: &writer)
        }
    }

    static func read(from reader: inout ByteReader, version: ProtocolVersion = .current) throws -> ClientResult {
        switch try reader.readTag(ResultTag.self, version: version) {
        case .sessionOpened: .sessionOpened(try SessionGrant.read(from: &reader))
        case .sessionRenewed: .sessionRenewed(try SessionGrant.read(from: &reader))
        case .sessionClosed: .sessionClosed
        case .granted: .granted(try reader.readHolder())
        case .released: .released
        case .waitCancelled: .waitCancelled
        case .inspected: .inspected(try KeyInspection.read(from: &reader, version: version))
        case .listed: .listed(try ListPage.read(from: &reader))
        case .fenceChecked:
            .fenceChecked(
                FenceCheck(
                    isCurrent: try reader.readBool(), currentFence: try reader.readPresent { try $0.readFence() })
            )
        case .forceUnlocked:
            .forceUnlocked(
                previous: try reader.readElements(
                    maxCount: WireLimits.inspectionEntriesMax, minimumElementSize: holderByteCountMin
                ) { try $0.readHolder() })
        case .sessionRevoked: .sessionRevoked(releasedLockCount: try reader.readVarint())
        case .audited: .audited(try AuditPage.read(from: &reader, version: version))
        case .status: .status(try NodeStatus.read(from: &reader))
        case .members:
            .members(
                try reader.readElements(maxCount: WireLimits.clusterMembersMax, minimumElementSize: 4) { reader in
                    MemberInfo(
                        node: NodeID(try reader.readVarint()),
                        peerAddress: try reader.readString(maxByteCount: WireLimits.addressByteCountMax),
                        clientAddress: try reader.readString(maxByteCount: WireLimits.addressByteCountMax),
                        isVoter: try reader.readBool())
                })
        case .sessionsRenewed:
            .sessionsRenewed(
                try reader.readElements(maxCount: WireLimits.renewalBatchCountMax, minimumElementSize: 2) {
                    try SessionRenewal.read(from: &$0, version: version)
                })
        case .subscribed: .subscribed(index: try reader.readVarint())
        case .grantedKeys:
            .grantedKeys(
                try reader.readElements(
                    maxCount: HoldLimits.keysPerAcquireMax, minimumElementSize: holderByteCountMin
                ) { try $0.readHolder() })
        case .holdPlaced:
            .holdPlaced(
                try reader.readHold(),
                ended: try reader.readElements(
                    maxCount: WireLimits.inspectionEntriesMax, minimumElementSize: LockInfo.byteCountMin
                ) { try LockInfo.read(from: &$0) })
        case .holdsLifted:
            .holdsLifted(
                try reader.readElements(maxCount: HoldLimits.holdsPerKeyMax, minimumElementSize: holdByteCountMin) {
                    try $0.readHold()
                })
        case .holdsListed:
            .holdsListed(
                HoldPage(
                    holds: try reader.readElements(
                        maxCount: WireLimits.pageSizeMax, minimumElementSize: holdByteCountMin
                    ) { try $0.readHold() }, next: try reader.readPresent { try $0.readKey() }))
        case .backupStarted: .backupStarted(try BackupInfo.read(from: &reader))
        case .backupChunk: .backupChunk(try BackupChunk.read(from: &reader))
        }
    }
}

/// The fewest bytes a hold takes: an empty key, rule, reason, placed-by and lists, one-byte numbers.
let holdByteCountMin = 10

extension SessionRenewal {
    /// The session, then the outcome tag, then the grant's TTL and deadline (its session is the entry's) or the
    /// failure.
    func write(to writer: inout ByteWriter) {
        writer.writeVarint(session.rawValue)
        switch outcome {
        case .success(let grant):
            writer.writeUInt8(OutcomeTag.result.rawValue)
            writer.writeVarint(grant.ttlMilliseconds)
            writer.writeVarint(grant.renewalDeadline.rawValue)
        case .failure(let failure):
            writer.writeUInt8(OutcomeTag.failure.rawValue)
            failure.write(to: &writer)
        }
    }

    static func read(from reader: inout ByteReader, version: ProtocolVersion) throws -> SessionRenewal {
        let session = try reader.readSessionID()
        switch try reader.readEnum(OutcomeTag.self) {
        case .result:
            let ttl = try reader.readVarint()
            let grant = SessionGrant(
                session: session, ttlMilliseconds: ttl, renewalDeadline: try reader.readTimestamp())
            return SessionRenewal(session: session, outcome: .success(grant))
        case .failure:
            let failure = try ClientFailure.read(from: &reader, version: version)
            return SessionRenewal(session: session, outcome: .failure(failure))
        }
    }
}

extension ClientFailure {
    func write(to writer: inout ByteWriter) {
        switch self {
        case .invalidArgument(let message):
            writer.writeUInt8(FailureTag.invalidArgument.rawValue)
            writer.writeString(message)
        case .permissionDenied(let reason):
            writer.writeUInt8(FailureTag.permissionDenied.rawValue)
            writer.writeString(reason)
        case .held(let holders, let truncated, let waiterCount):
            writer.writeUInt8(FailureTag.held.rawValue)
            writer.writeArray(Array(holders.prefix(WireLimits.heldHoldersMax))) { $1.write(to: &$0) }
            writer.writeBool(truncated || holders.count > WireLimits.heldHoldersMax)
            writer.writeVarint(waiterCount)
        case .notLeader(let hint):
            writer.writeUInt8(FailureTag.notLeader.rawValue)
            writer.writeLeaderHint(hint)
        case .unavailable(let reason, let retryAfter):
            writer.writeUInt8(FailureTag.unavailable.rawValue)
            writer.writeString(reason)
            writer.writeVarint(retryAfter)
        case .overloaded(let reason):
            writer.writeUInt8(FailureTag.overloaded.rawValue)
            writer.writeString(reason)
        case .sessionExpired: writer.writeUInt8(FailureTag.sessionExpired.rawValue)
        case .notHeld: writer.writeUInt8(FailureTag.notHeld.rawValue)
        case .lockLost: writer.writeUInt8(FailureTag.lockLost.rawValue)
        case .timedOut: writer.writeUInt8(FailureTag.timedOut.rawValue)
        case .unknownRequest: writer.writeUInt8(FailureTag.unknownRequest.rawValue)
        case .lockDelayed(let until):
            writer.writeUInt8(FailureTag.lockDelayed.rawValue)
            writer.writeVarint(until.rawValue)
        case .waitersAhead(let key, let waiterCount):
            writer.writeUInt8(FailureTag.waitersAhead.rawValue)
            writer.writeKey(key)
            writer.writeVarint(waiterCount)
        case .notWaiting: writer.writeUInt8(FailureTag.notWaiting.rawValue)
        case .superseded: writer.writeUInt8(FailureTag.superseded.rawValue)
        case .restricted(let hold):
            writer.writeUInt8(FailureTag.restricted.rawValue)
            writer.writeHold(hold)
        case .noHold: writer.writeUInt8(FailureTag.noHold.rawValue)
        }
    }

    static func read(from reader: inout ByteReader, version: ProtocolVersion = .current) throws -> ClientFailure {
        let messageMax = WireLimits.messageByteCountMax
        switch try reader.readTag(FailureTag.self, version: version) {
        case .invalidArgument:
            return .invalidArgument(message: try reader.readString(maxByteCount: messageMax))
        case .permissionDenied:
            return .permissionDenied(reason: try reader.readString(maxByteCount: messageMax))
        case .held:
            let start = reader.offset
            let holders = try reader.readElements(
                maxCount: WireLimits.heldHoldersMax, minimumElementSize: LockInfo.byteCountMin
            ) { try LockInfo.read(from: &$0) }
            guard !holders.isEmpty else {
                throw DecodeError.invalidValue(offset: start, reason: "a held failure names no holder")
            }
            return .held(by: holders, truncated: try reader.readBool(), waiterCount: try reader.readVarint())
        case .notLeader:
            return .notLeader(try reader.readLeaderHint())
        case .unavailable:
            let reason = try reader.readString(maxByteCount: messageMax)
            return .unavailable(reason: reason, retryAfterMilliseconds: try reader.readVarint())
        case .overloaded:
            return .overloaded(reason: try reader.readString(maxByteCount: messageMax))
        case .sessionExpired: return .sessionExpired
        case .notHeld: return .notHeld
        case .lockLost: return .lockLost
        case .timedOut: return .timedOut
        case .unknownRequest: return .unknownRequest
        case .lockDelayed: return .lockDelayed(until: try reader.readTimestamp())
        case .waitersAhead:
            let key = try reader.readKey()
            return .waitersAhead(key: key, waiterCount: try reader.readVarint())
        case .notWaiting: return .notWaiting
        case .superseded: return .superseded
        case .restricted: return .restricted(by: try reader.readHold())
        case .noHold: return .noHold
        }
    }
}

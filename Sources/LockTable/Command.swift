import PadlockTypes

/// One state change applied from a committed log entry.
///
/// Client commands carry the `RequestID` that makes them exactly-once. Open session is the exception: the
/// session does not exist yet, so a retried open is recognised by the client-chosen `(owner, nonce)` pair.
/// The leader's housekeeping commands (expire session, expire waiter, lease checkpoint) carry what they need.
package enum Command: Hashable, Sendable {
    /// Opens a session for `owner` (such as `alice@frontend-2`) with a lock lease of `ttlMilliseconds`.
    case openSession(owner: String, nonce: UInt64, ttlMilliseconds: UInt64)
    /// Opens a session as `openSession` does, for the authenticated client named `client`, which may have at
    /// most `sessionsMax` sessions open (0: no bound). The session remembers its client on every replica,
    /// so that only that client may act for it, whichever node leads.
    case openClientSession(owner: String, nonce: UInt64, ttlMilliseconds: UInt64, client: String, sessionsMax: UInt64)
    /// Closes the requesting session, cleanly releasing its locks and dropping its waiters.
    case closeSession(RequestID)
    /// Acquires `key` in `mode`, queueing for up to `waitMilliseconds` (0 = try once).
    case acquire(RequestID, key: LockKey, mode: LockMode, waitMilliseconds: UInt64, note: String)
    /// Releases the requesting session's lock on `key` granted with `fence`.
    case release(RequestID, key: LockKey, fence: FenceToken)
    /// Withdraws the requesting session's waiter on `key`.
    case cancelWait(RequestID, key: LockKey)
    /// An administrator releases every holder of `key`; audited, followed by lock-delay.
    case forceUnlock(RequestID, key: LockKey, reason: String, admin: String)
    /// An administrator ends `session` ("log the user out"); audited, followed by lock-delay.
    case revokeSession(RequestID, session: SessionID, reason: String, admin: String)
    /// The leader decided `session` expired when its renewal generation was `renewalGeneration`.
    case expireSession(SessionID, renewalGeneration: UInt64)
    /// The leader decided the waiter queued by `request` has waited long enough.
    case expireWaiter(RequestID)
    /// The leader records sessions' renewal generations and sets their remaining lock-lease time.
    case checkpointLeases([LeaseCheckpoint])
    /// Settles request `RequestID`, whose outcome its client does not know, exactly once: a request that was
    /// applied is answered with its stored answer, one that was not is recorded as answered `.abandoned` so
    /// that it can never be applied afterwards.
    case resolve(RequestID)
    /// The leader sets the per-namespace quotas to its configured ones (they differed from the applied ones).
    case setQuotas(NamespaceQuotas)
    /// Grants `key` in `mode` to the requesting session at once, ending every holder whose lock conflicts
    /// with it (on the key, an ancestor or a descendant), whatever lock-delay or waiters there are; audited
    /// under `admin` with `reason`, and no lock-delay follows (the taker holds the key, its fence above theirs).
    case takeover(RequestID, key: LockKey, mode: LockMode, note: String, reason: String, admin: String)
    /// Acquires every one of `keys` in `mode` in this one entry, with one fence, or none of them, for a requester
    /// claiming `roles` (checked against holds, `docs/holds.md`); queues as one waiter for up to
    /// `waitMilliseconds`. Keys must not overlap; at most ``HoldLimits/keysPerAcquireMax``. One key with no
    /// roles is encoded as ``acquire(_:key:mode:waitMilliseconds:note:)``, which it equals in effect.
    case acquireKeys(
        RequestID, keys: [LockKey], mode: LockMode, waitMilliseconds: UInt64, note: String, roles: [String])
    /// Changes the mode of the requesting session's lock on `key` granted with `fence`: shared to exclusive (an
    /// upgrade, which waits up to `waitMilliseconds` for other holders, ahead of later arrivals) or exclusive
    /// to shared (a downgrade, granted at once). The fence advances either way.
    case changeMode(
        RequestID, key: LockKey, fence: FenceToken, mode: LockMode, waitMilliseconds: UInt64, roles: [String])
    /// Places a hold as `actor` (audited); replaces a hold of the same rule on the same key.
    case placeHold(RequestID, HoldPlacement, actor: String)
    /// Lifts the hold of `rule` on `key` (every hold on it when `rule` is nil) as `actor`, with `reason`
    /// (audited).
    case liftHold(RequestID, key: LockKey, rule: String?, reason: String, actor: String)
}

/// One session's lease state as the leader knew it when it proposed a checkpoint.
package struct LeaseCheckpoint: Hashable, Sendable {
    /// The session checkpointed.
    package var session: SessionID
    /// The leader's count of renewals of this session; it only grows.
    package var renewalGeneration: UInt64
    /// The safe remaining lock-lease time the leader computed for the session, including time for renewals
    /// it may still acknowledge. The table sets the session's deadline to the entry's time plus this, bounded
    /// by twice the TTL.
    package var remainingMilliseconds: UInt64

    /// Creates a checkpoint for one session.
    package init(session: SessionID, renewalGeneration: UInt64, remainingMilliseconds: UInt64) {
        self.session = session
        self.renewalGeneration = renewalGeneration
        self.remainingMilliseconds = remainingMilliseconds
    }
}

extension Command {
    /// Longest owner, note, reason or admin string the decoder accepts; `apply` enforces the real limits
    /// from `InputLimits` with a typed `.invalid` answer, so a long string never makes an entry undecodable.
    static let stringByteCountDecodeMax = 65_536
    /// Most checkpoints one command may carry.
    package static let checkpointCountMax = 1_000_000

    fileprivate enum Tag: UInt8 {
        case openSession = 1, closeSession, acquire, release, cancelWait, forceUnlock, revokeSession
        case expireSession, expireWaiter, checkpointLeases, resolve, setQuotas, openClientSession
        case takeover, acquireKeys, changeMode, placeHold, liftHold
    }

    /// The command's deterministic encoding, as carried by a log entry.
    package func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        encode(into: &writer)
        return writer.bytes
    }

    /// Appends the command's encoding to `writer`.
    package func encode(into writer: inout ByteWriter) {
        switch self {
        case let .openSession(owner, nonce, ttl):
            writer.writeUInt8(Tag.openSession.rawValue)
            writer.writeString(owner)
            writer.writeVarint(nonce)
            writer.writeVarint(ttl)
        case let .openClientSession(owner, nonce, ttl, client, sessionsMax):
            writer.writeUInt8(Tag.openClientSession.rawValue)
            writer.writeString(owner)
            writer.writeVarint(nonce)
            writer.writeVarint(ttl)
            writer.writeString(client)
            writer.writeVarint(sessionsMax)
        case let .closeSession(request):
            writer.writeUInt8(Tag.closeSession.rawValue)
            writer.write(request)
        case let .acquire(request, key, mode, wait, note):
            writer.writeUInt8(Tag.acquire.rawValue)
            writer.write(request)
            writer.write(key)
            writer.writeUInt8(mode.rawValue)
            writer.writeVarint(wait)
            writer.writeString(note)
        case let .release(request, key, fence):
            writer.writeUInt8(Tag.release.rawValue)
            writer.write(request)
            writer.write(key)
            writer.writeVarint(fence.rawValue)
        case let .cancelWait(request, key):
            writer.writeUInt8(Tag.cancelWait.rawValue)
            writer.write(request)
            writer.write(key)
        case let .resolve(request):
            writer.writeUInt8(Tag.resolve.rawValue)
            writer.write(request)
        default:
            encodeAdministrative(into: &writer)
        }
    }

    private func encodeAdministrative(into writer: inout ByteWriter) {
        switch self {
        case let .forceUnlock(request, key, reason, admin):
            writer.writeUInt8(Tag.forceUnlock.rawValue)
            writer.write(request)
            writer.write(key)
            writer.writeString(reason)
            writer.writeString(admin)
        case let .revokeSession(request, session, reason, admin):
            writer.writeUInt8(Tag.revokeSession.rawValue)
            writer.write(request)
            writer.writeVarint(session.rawValue)
            writer.writeString(reason)
            writer.writeString(admin)
        case let .expireSession(session, generation):
            writer.writeUInt8(Tag.expireSession.rawValue)
            writer.writeVarint(session.rawValue)
            writer.writeVarint(generation)
        case let .expireWaiter(request):
            writer.writeUInt8(Tag.expireWaiter.rawValue)
            writer.write(request)
        case let .checkpointLeases(checkpoints):
            writer.writeUInt8(Tag.checkpointLeases.rawValue)
            writer.writeArray(checkpoints) { writer, checkpoint in
                writer.writeVarint(checkpoint.session.rawValue)
                writer.writeVarint(checkpoint.renewalGeneration)
                writer.writeVarint(checkpoint.remainingMilliseconds)
            }
        case let .setQuotas(quotas):
            writer.writeUInt8(Tag.setQuotas.rawValue)
            quotas.encode(into: &writer)
        case let .takeover(request, key, mode, note, reason, admin):
            writer.writeUInt8(Tag.takeover.rawValue)
            writer.write(request)
            writer.write(key)
            writer.writeUInt8(mode.rawValue)
            writer.writeString(note)
            writer.writeString(reason)
            writer.writeString(admin)
        default:
            encodeHoldCommand(into: &writer)
        }
    }

    private func encodeHoldCommand(into writer: inout ByteWriter) {
        switch self {
        case let .acquireKeys(request, keys, mode, wait, note, roles):
            writer.writeUInt8(Tag.acquireKeys.rawValue)
            writer.write(request)
            writer.writeArray(keys) { writer, key in writer.write(key) }
            writer.writeUInt8(mode.rawValue)
            writer.writeVarint(wait)
            writer.writeString(note)
            writer.writeStrings(roles)
        case let .changeMode(request, key, fence, mode, wait, roles):
            writer.writeUInt8(Tag.changeMode.rawValue)
            writer.write(request)
            writer.write(key)
            writer.writeVarint(fence.rawValue)
            writer.writeUInt8(mode.rawValue)
            writer.writeVarint(wait)
            writer.writeStrings(roles)
        case let .placeHold(request, placement, actor):
            writer.writeUInt8(Tag.placeHold.rawValue)
            writer.write(request)
            placement.encode(into: &writer)
            writer.writeString(actor)
        case let .liftHold(request, key, rule, reason, actor):
            writer.writeUInt8(Tag.liftHold.rawValue)
            writer.write(request)
            writer.write(key)
            writer.writeStrings(rule.map { [$0] } ?? [])
            writer.writeString(reason)
            writer.writeString(actor)
        default:
            preconditionFailure("client command \(self) reached the hold encoder")
        }
    }

    /// Decodes a command from a whole log entry's bytes; any malformed input is a ``DecodeError``.
    package static func decode(_ bytes: [UInt8]) throws(DecodeError) -> Command {
        var reader = ByteReader(bytes)
        let command = try decode(from: &reader)
        try reader.expectEnd()
        return command
    }

    /// Decodes one command from `reader`.
    package static func decode(from reader: inout ByteReader) throws(DecodeError) -> Command {
        let maxString = stringByteCountDecodeMax
        let tag = try reader.readEnum(Tag.self)
        switch tag {
        case .openSession:
            return .openSession(
                owner: try reader.readString(maxByteCount: maxString), nonce: try reader.readVarint(),
                ttlMilliseconds: try reader.readVarint())
        case .openClientSession:
            return .openClientSession(
                owner: try reader.readString(maxByteCount: maxString), nonce: try reader.readVarint(),
                ttlMilliseconds: try reader.readVarint(), client: try reader.readString(maxByteCount: maxString),
                sessionsMax: try reader.readVarint())
        case .closeSession:
            return .closeSession(try reader.readRequestID())
        case .acquire:
            return .acquire(
                try reader.readRequestID(), key: try reader.readLockKey(), mode: try reader.readEnum(LockMode.self),
                waitMilliseconds: try reader.readVarint(), note: try reader.readString(maxByteCount: maxString))
        case .release:
            return .release(
                try reader.readRequestID(), key: try reader.readLockKey(), fence: FenceToken(try reader.readVarint()))
        case .cancelWait:
            return .cancelWait(try reader.readRequestID(), key: try reader.readLockKey())
        case .forceUnlock:
            return .forceUnlock(
                try reader.readRequestID(), key: try reader.readLockKey(),
                reason: try reader.readString(maxByteCount: maxString),
                admin: try reader.readString(maxByteCount: maxString))
        case .revokeSession:
            return .revokeSession(
                try reader.readRequestID(), session: SessionID(try reader.readVarint()),
                reason: try reader.readString(maxByteCount: maxString),
                admin: try reader.readString(maxByteCount: maxString))
        case .expireSession:
            return .expireSession(SessionID(try reader.readVarint()), renewalGeneration: try reader.readVarint())
        case .expireWaiter:
            return .expireWaiter(try reader.readRequestID())
        case .checkpointLeases:
            let checkpoints = try reader.readArray(maxCount: checkpointCountMax, minimumElementSize: 3) {
                reader throws(DecodeError) in
                LeaseCheckpoint(
                    session: SessionID(try reader.readVarint()), renewalGeneration: try reader.readVarint(),
                    remainingMilliseconds: try reader.readVarint())
            }
            return .checkpointLeases(checkpoints)
        case .resolve:
            return .resolve(try reader.readRequestID())
        case .setQuotas:
            return .setQuotas(try NamespaceQuotas.decode(from: &reader))
        case .takeover:
            return .takeover(
                try reader.readRequestID(), key: try reader.readLockKey(), mode: try reader.readEnum(LockMode.self),
                note: try reader.readString(maxByteCount: maxString),
                reason: try reader.readString(maxByteCount: maxString),
                admin: try reader.readString(maxByteCount: maxString))
        case .acquireKeys, .changeMode, .placeHold, .liftHold:
            return try decodeHoldCommand(tag, from: &reader)
        }
    }
}

extension Command {
    /// Decodes the commands of holds, batches and mode changes after their tag.
    private static func decodeHoldCommand(_ tag: Tag, from reader: inout ByteReader) throws(DecodeError) -> Command {
        let maxString = stringByteCountDecodeMax
        switch tag {
        case .acquireKeys:
            return .acquireKeys(
                try reader.readRequestID(),
                keys: try reader.readArray(maxCount: HoldLimits.keysPerAcquireMax, minimumElementSize: 1) {
                    reader throws(DecodeError) in try reader.readLockKey()
                }, mode: try reader.readEnum(LockMode.self), waitMilliseconds: try reader.readVarint(),
                note: try reader.readString(maxByteCount: maxString), roles: try reader.readLooseStrings())
        case .changeMode:
            return .changeMode(
                try reader.readRequestID(), key: try reader.readLockKey(), fence: FenceToken(try reader.readVarint()),
                mode: try reader.readEnum(LockMode.self), waitMilliseconds: try reader.readVarint(),
                roles: try reader.readLooseStrings())
        case .placeHold:
            return .placeHold(
                try reader.readRequestID(), try HoldPlacement.decode(from: &reader),
                actor: try reader.readString(maxByteCount: maxString))
        case .liftHold:
            return .liftHold(
                try reader.readRequestID(), key: try reader.readLockKey(), rule: try reader.readOptionalRule(),
                reason: try reader.readString(maxByteCount: maxString),
                actor: try reader.readString(maxByteCount: maxString))
        default:
            preconditionFailure("decodeHoldCommand does not decode \(tag)")
        }
    }
}

extension ByteWriter {
    mutating func write(_ request: RequestID) {
        writeVarint(request.session.rawValue)
        writeVarint(request.sequence)
    }

    mutating func write(_ key: LockKey) {
        writeString(key.string)
    }
}

extension ByteReader {
    mutating func readRequestID() throws(DecodeError) -> RequestID {
        RequestID(session: SessionID(try readVarint()), sequence: try readVarint())
    }

    /// Reads a key and validates it, so a decoded command never carries a malformed key.
    mutating func readLockKey() throws(DecodeError) -> LockKey { try readValidKey() }
}

extension ByteReader {
    /// Reads an optional rule name, written as a list of zero or one string.
    mutating func readOptionalRule() throws(DecodeError) -> String? {
        let start = offset
        let rules = try readArray(maxCount: 1) { reader throws(DecodeError) in
            try reader.readString(maxByteCount: Command.stringByteCountDecodeMax)
        }
        guard rules.count <= 1 else { throw .invalidValue(offset: start, reason: "more than one rule") }
        return rules.first
    }
}

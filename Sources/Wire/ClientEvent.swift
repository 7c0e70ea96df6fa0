import PadlockTypes

/// A frame a leader sends to a client connection without being asked (protocol v2, `docs/events.md`): what an
/// applied entry changed for the sessions and keys the connection subscribed to.
///
/// `index` is the log index of the applied entry that caused it, so a client that reconnects resumes after the
/// last index it saw; for a resync or an initial watch state it is the index the state was read at.
package struct ClientEvent: Hashable, Sendable {
    /// The log index the event describes the table at.
    package var index: UInt64
    /// What happened.
    package var body: EventBody

    /// Creates an event.
    package init(index: UInt64, body: EventBody) {
        self.index = index
        self.body = body
    }
}

/// What one event says.
package enum EventBody: Hashable, Sendable {
    /// A subscribed session lost its lock on `key` (granted to it as `holder`) in a committed entry, for
    /// `loss`. Never sent for a release the holder made itself.
    case lockLost(key: LockKey, holder: Holder, loss: LockLoss)
    /// A subscribed session's queued acquire `request` on `key` is now `position` in line (1: next).
    case waiterPosition(request: RequestID, key: LockKey, position: UInt64)
    /// A watched key's state after the entry: its holders, waiters and lock-delay, as `inspect` shows them.
    case keyState(KeyInspection)
    /// The leader could not replay what a resumed subscription missed (the events are older than it keeps):
    /// the locks `session` holds now, by fence, and whether it is still open. A lock the client believes
    /// it holds under another fence has ended; the audit trail says how.
    case resync(session: SessionID, isOpen: Bool, fences: [FenceToken])
    /// The node no longer serves this subscription (it stopped leading); subscribe again with the leader.
    case subscriptionEnded(reason: String, leader: LeaderHint?)
}

/// What a `subscribe` or `unsubscribe` request names.
package struct Subscription: Hashable, Sendable {
    /// Sessions whose lock losses and queue positions the connection receives; only the session's own client
    /// may subscribe for it.
    package var sessions: [SessionID]
    /// Keys the connection watches: their state now, then every change.
    package var keys: [LockKey]
    /// Prefixes the connection watches: the state of each locked key at or under one now, then every change
    /// to a key at or under it.
    package var prefixes: [LockKey]
    /// For `sessions`: replay their lock losses after this log index (the last index the client saw), or
    /// send a resync when the leader no longer keeps them. `nil`: nothing before now.
    package var after: UInt64?

    /// Creates a subscription.
    package init(sessions: [SessionID] = [], keys: [LockKey] = [], prefixes: [LockKey] = [], after: UInt64? = nil) {
        self.sessions = sessions
        self.keys = keys
        self.prefixes = prefixes
        self.after = after
    }

    /// Whether it names nothing.
    package var isEmpty: Bool { sessions.isEmpty && keys.isEmpty && prefixes.isEmpty }
}

/// The one-byte tag of each ``EventBody`` case.
package enum EventTag: UInt8, CaseIterable {
    case lockLost = 1
    case waiterPosition = 2
    case keyState = 3
    case resync = 4
    case subscriptionEnded = 5
}

/// The one-byte tag of each ``PadlockTypes/LockLoss`` case.
enum LockLossTag: UInt8 {
    case forceUnlocked = 1
    case takenOver = 2
    case sessionRevoked = 3
    case expired = 4
}

extension ClientEvent: WireBody {
    package static var kind: MessageKind { .clientEvent }

    package func write(to writer: inout ByteWriter) {
        write(to: &writer, version: .current)
    }

    /// Writes the event in the layouts of `version` (a watched key's state has no holds before v3).
    func write(to writer: inout ByteWriter, version: ProtocolVersion) {
        writer.writeVarint(index)
        switch body {
        case .lockLost(let key, let holder, let loss):
            writer.writeUInt8(EventTag.lockLost.rawValue)
            writer.writeKey(key)
            writer.writeHolder(holder)
            loss.write(to: &writer)
        case .waiterPosition(let request, let key, let position):
            writer.writeUInt8(EventTag.waiterPosition.rawValue)
            writer.writeRequestID(request)
            writer.writeKey(key)
            writer.writeVarint(position)
        case .keyState(let inspection):
            writer.writeUInt8(EventTag.keyState.rawValue)
            inspection.write(to: &writer, version: version)
        case .resync(let session, let isOpen, let fences):
            writer.writeUInt8(EventTag.resync.rawValue)
            writer.writeVarint(session.rawValue)
            writer.writeBool(isOpen)
            writer.writeElements(fences, maxCount: WireLimits.resyncFencesMax) { $0.writeVarint($1.rawValue) }
        case .subscriptionEnded(let reason, let leader):
            writer.writeUInt8(EventTag.subscriptionEnded.rawValue)
            writer.writeString(reason)
            writer.writeLeaderHint(leader)
        }
    }

    package static func read(from reader: inout ByteReader) throws -> ClientEvent {
        try read(from: &reader, version: .current)
    }

    /// Reads an event in the layouts of `version`.
    static func read(from reader: inout ByteReader, version: ProtocolVersion) throws -> ClientEvent {
        let index = try reader.readVarint()
        let body: EventBody
        switch try reader.readEnum(EventTag.self) {
        case .lockLost:
            let key = try reader.readKey()
            let holder = try reader.readHolder()
            body = .lockLost(key: key, holder: holder, loss: try LockLoss.read(from: &reader))
        case .waiterPosition:
            let request = try reader.readRequestID()
            let key = try reader.readKey()
            body = .waiterPosition(request: request, key: key, position: try reader.readVarint())
        case .keyState:
            body = .keyState(try KeyInspection.read(from: &reader, version: version))
        case .resync:
            let session = try reader.readSessionID()
            let isOpen = try reader.readBool()
            let fences = try reader.readElements(maxCount: WireLimits.resyncFencesMax, minimumElementSize: 1) {
                try $0.readFence()
            }
            body = .resync(session: session, isOpen: isOpen, fences: fences)
        case .subscriptionEnded:
            let reason = try reader.readString(maxByteCount: WireLimits.messageByteCountMax)
            body = .subscriptionEnded(reason: reason, leader: try reader.readLeaderHint())
        }
        return ClientEvent(index: index, body: body)
    }
}

extension LockLoss {
    func write(to writer: inout ByteWriter) {
        switch self {
        case .forceUnlocked(let by, let reason):
            writer.writeUInt8(LockLossTag.forceUnlocked.rawValue)
            writer.writeString(by)
            writer.writeString(reason)
        case .takenOver(let by, let reason):
            writer.writeUInt8(LockLossTag.takenOver.rawValue)
            writer.writeHolder(by)
            writer.writeString(reason)
        case .sessionRevoked(let by, let reason):
            writer.writeUInt8(LockLossTag.sessionRevoked.rawValue)
            writer.writeString(by)
            writer.writeString(reason)
        case .expired:
            writer.writeUInt8(LockLossTag.expired.rawValue)
        }
    }

    static func read(from reader: inout ByteReader) throws -> LockLoss {
        let actorMax = InputLimits.ownerByteCountMax
        let reasonMax = InputLimits.reasonByteCountMax
        switch try reader.readEnum(LockLossTag.self) {
        case .forceUnlocked:
            let by = try reader.readString(maxByteCount: actorMax)
            return .forceUnlocked(by: by, reason: try reader.readString(maxByteCount: reasonMax))
        case .takenOver:
            let by = try reader.readHolder()
            return .takenOver(by: by, reason: try reader.readString(maxByteCount: reasonMax))
        case .sessionRevoked:
            let by = try reader.readString(maxByteCount: actorMax)
            return .sessionRevoked(by: by, reason: try reader.readString(maxByteCount: reasonMax))
        case .expired:
            return .expired
        }
    }
}

extension Subscription {
    func write(to writer: inout ByteWriter) {
        writer.writeElements(sessions, maxCount: WireLimits.subscriptionSessionsMax) { $0.writeVarint($1.rawValue) }
        writer.writeElements(keys, maxCount: WireLimits.subscriptionKeysMax) { $0.writeKey($1) }
        writer.writeElements(prefixes, maxCount: WireLimits.subscriptionKeysMax) { $0.writeKey($1) }
        writer.writeOptional(after) { $0.writeVarint($1) }
    }

    static func read(from reader: inout ByteReader) throws -> Subscription {
        let sessions = try reader.readElements(maxCount: WireLimits.subscriptionSessionsMax, minimumElementSize: 1) {
            try $0.readSessionID()
        }
        let keys = try reader.readElements(maxCount: WireLimits.subscriptionKeysMax, minimumElementSize: 1) {
            try $0.readKey()
        }
        let prefixes = try reader.readElements(maxCount: WireLimits.subscriptionKeysMax, minimumElementSize: 1) {
            try $0.readKey()
        }
        let after = try reader.readPresent { try $0.readVarint() }
        return Subscription(sessions: sessions, keys: keys, prefixes: prefixes, after: after)
    }
}

extension ByteWriter {
    /// Writes an optional leader hint: presence, then the node and its client address.
    mutating func writeLeaderHint(_ hint: LeaderHint?) {
        writeOptional(hint) { writer, hint in
            writer.writeVarint(hint.node.rawValue)
            writer.writeString(hint.address)
        }
    }
}

extension ByteReader {
    /// Reads an optional leader hint written by `writeLeaderHint`.
    mutating func readLeaderHint() throws -> LeaderHint? {
        try readPresent { reader in
            LeaderHint(
                node: NodeID(try reader.readVarint()),
                address: try reader.readString(maxByteCount: WireLimits.addressByteCountMax))
        }
    }
}

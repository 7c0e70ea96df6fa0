import PadlockTypes

// Results are stored in snapshots (each session's last answer), so they have a deterministic encoding too.
extension CommandResult {
    private enum Tag: UInt8 {
        case sessionOpened = 1, sessionClosed, granted, queued, held, waitersAhead, lockDelayed, released, notHeld
        case waitCancelled, notWaiting, forcedUnlock, sessionRevoked, sessionExpiredNow, waiterExpired
        case leasesCheckpointed, skipped, sessionExpired, sessionUnknown, stale, invalid, overloaded, abandoned
        case quotasSet, restricted, grantedKeys, holdPlaced, holdsLifted, noHold
    }

    /// Appends the result's encoding to `writer`.
    package func encode(into writer: inout ByteWriter) {
        switch self {
        case let .sessionOpened(id, deadline):
            writer.writeUInt8(Tag.sessionOpened.rawValue)
            writer.writeVarint(id.rawValue)
            writer.writeVarint(deadline.rawValue)
        case .sessionClosed: writer.writeUInt8(Tag.sessionClosed.rawValue)
        case let .granted(fence, holder):
            writer.writeUInt8(Tag.granted.rawValue)
            writer.writeVarint(fence.rawValue)
            writer.writeHolder(holder)
        case let .queued(position):
            writer.writeUInt8(Tag.queued.rawValue)
            writer.writeVarint(UInt64(position))
        case let .held(holder, key):
            writer.writeUInt8(Tag.held.rawValue)
            writer.writeHolder(holder)
            writer.write(key)
        case let .waitersAhead(key):
            writer.writeUInt8(Tag.waitersAhead.rawValue)
            writer.write(key)
        case let .lockDelayed(until):
            writer.writeUInt8(Tag.lockDelayed.rawValue)
            writer.writeVarint(until.rawValue)
        case .released: writer.writeUInt8(Tag.released.rawValue)
        case .notHeld: writer.writeUInt8(Tag.notHeld.rawValue)
        case .waitCancelled: writer.writeUInt8(Tag.waitCancelled.rawValue)
        case .notWaiting: writer.writeUInt8(Tag.notWaiting.rawValue)
        default: encodeRest(into: &writer)
        }
    }

    private func encodeRest(into writer: inout ByteWriter) {
        switch self {
        case let .forcedUnlock(previous):
            writer.writeUInt8(Tag.forcedUnlock.rawValue)
            writer.writeArray(previous) { $0.writeHolder($1) }
        case let .sessionRevoked(id):
            writer.writeUInt8(Tag.sessionRevoked.rawValue)
            writer.writeVarint(id.rawValue)
        case let .sessionExpiredNow(id):
            writer.writeUInt8(Tag.sessionExpiredNow.rawValue)
            writer.writeVarint(id.rawValue)
        case .waiterExpired: writer.writeUInt8(Tag.waiterExpired.rawValue)
        case let .leasesCheckpointed(count):
            writer.writeUInt8(Tag.leasesCheckpointed.rawValue)
            writer.writeVarint(UInt64(count))
        case let .skipped(reason):
            writer.writeUInt8(Tag.skipped.rawValue)
            switch reason {
            case .unknownTarget: writer.writeUInt8(1)
            case let .renewedSince(generation):
                writer.writeUInt8(2)
                writer.writeVarint(generation)
            case let .notDue(until):
                writer.writeUInt8(3)
                writer.writeVarint(until.rawValue)
            }
        case .sessionExpired: writer.writeUInt8(Tag.sessionExpired.rawValue)
        case .sessionUnknown: writer.writeUInt8(Tag.sessionUnknown.rawValue)
        case let .stale(last):
            writer.writeUInt8(Tag.stale.rawValue)
            writer.writeVarint(last)
        case let .invalid(reason):
            writer.writeUInt8(Tag.invalid.rawValue)
            writer.writeUInt8(reason.rawValue)
        case let .overloaded(limit):
            writer.writeUInt8(Tag.overloaded.rawValue)
            writer.writeUInt8(limit.rawValue)
        case .abandoned: writer.writeUInt8(Tag.abandoned.rawValue)
        case .quotasSet: writer.writeUInt8(Tag.quotasSet.rawValue)
        default: encodeHoldResult(into: &writer)
        }
    }

    private func encodeHoldResult(into writer: inout ByteWriter) {
        switch self {
        case let .restricted(hold):
            writer.writeUInt8(Tag.restricted.rawValue)
            writer.writeHold(hold)
        case let .grantedKeys(fence, holders):
            writer.writeUInt8(Tag.grantedKeys.rawValue)
            writer.writeVarint(fence.rawValue)
            writer.writeArray(holders) { $0.writeHolder($1) }
        case let .holdPlaced(hold, ended):
            writer.writeUInt8(Tag.holdPlaced.rawValue)
            writer.writeHold(hold)
            writer.writeArray(ended) { writer, lock in
                writer.write(lock.key)
                writer.writeHolder(lock.holder)
                writer.writeVarint(lock.leaseDeadline.rawValue)
            }
        case let .holdsLifted(holds):
            writer.writeUInt8(Tag.holdsLifted.rawValue)
            writer.writeArray(holds) { $0.writeHold($1) }
        case .noHold: writer.writeUInt8(Tag.noHold.rawValue)
        default:
            preconditionFailure("result \(self) reached the hold encoder")
        }
    }

    /// Decodes one result from `reader`.
    package static func decode(from reader: inout ByteReader) throws(DecodeError) -> CommandResult {
        switch try reader.readEnum(Tag.self) {
        case .sessionOpened:
            return .sessionOpened(SessionID(try reader.readVarint()), leaseDeadline: try reader.readTimestamp())
        case .sessionClosed: return .sessionClosed
        case .granted: return .granted(FenceToken(try reader.readVarint()), try reader.readHolder())
        case .queued: return .queued(position: try reader.readLength(max: Int(Int32.max)))
        case .held: return .held(by: try reader.readHolder(), key: try reader.readLockKey())
        case .waitersAhead: return .waitersAhead(key: try reader.readLockKey())
        case .lockDelayed: return .lockDelayed(until: try reader.readTimestamp())
        case .released: return .released
        case .notHeld: return .notHeld
        case .waitCancelled: return .waitCancelled
        case .notWaiting: return .notWaiting
        case .forcedUnlock:
            return .forcedUnlock(
                previous: try reader.readArray(maxCount: 1 << 20, minimumElementSize: 6) {
                    reader throws(DecodeError) in try reader.readHolder()
                })
        case .sessionRevoked: return .sessionRevoked(SessionID(try reader.readVarint()))
        case .sessionExpiredNow: return .sessionExpiredNow(SessionID(try reader.readVarint()))
        case .waiterExpired: return .waiterExpired
        case .leasesCheckpointed: return .leasesCheckpointed(count: try reader.readLength(max: Int(Int32.max)))
        case .skipped: return .skipped(try readSkipReason(from: &reader))
        case .sessionExpired: return .sessionExpired
        case .sessionUnknown: return .sessionUnknown
        case .stale: return .stale(lastSequence: try reader.readVarint())
        case .invalid: return .invalid(try reader.readEnum(InvalidReason.self))
        case .overloaded: return .overloaded(try reader.readEnum(Limit.self))
        case .abandoned: return .abandoned
        case .quotasSet: return .quotasSet
        case .restricted: return .restricted(by: try reader.readHold())
        case .grantedKeys:
            return .grantedKeys(
                FenceToken(try reader.readVarint()),
                try reader.readArray(maxCount: HoldLimits.keysPerAcquireMax, minimumElementSize: 6) {
                    reader throws(DecodeError) in try reader.readHolder()
                })
        case .holdPlaced:
            let hold = try reader.readHold()
            let ended = try reader.readArray(maxCount: 1 << 20, minimumElementSize: 8) {
                reader throws(DecodeError) in
                HeldLock(
                    key: try reader.readLockKey(), holder: try reader.readHolder(),
                    leaseDeadline: try reader.readTimestamp())
            }
            return .holdPlaced(hold, ended: ended)
        case .holdsLifted:
            return .holdsLifted(
                try reader.readArray(maxCount: HoldLimits.holdsPerKeyMax, minimumElementSize: 10) {
                    reader throws(DecodeError) in try reader.readHold()
                })
        case .noHold: return .noHold
        }
    }

    private static func readSkipReason(from reader: inout ByteReader) throws(DecodeError) -> SkipReason {
        let start = reader.offset
        switch try reader.readUInt8() {
        case 1: return .unknownTarget
        case 2: return .renewedSince(generation: try reader.readVarint())
        case 3: return .notDue(until: try reader.readTimestamp())
        case let tag: throw .unknownTag(offset: start, type: "SkipReason", tag: tag)
        }
    }
}

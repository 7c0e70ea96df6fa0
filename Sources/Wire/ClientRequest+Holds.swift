import PadlockTypes

// The protocol v3 operations: all-or-nothing acquires with roles, mode changes, and holds (docs/wire.md).

extension ClientOperation {
    /// Writes the v3 operations.
    func writeHoldOperation(to writer: inout ByteWriter) {
        switch self {
        case .acquireKeys(let id, let keys, let acquisition, let roles):
            writer.writeUInt8(OperationTag.acquireKeys.rawValue)
            writer.writeRequestID(id)
            writer.writeElements(keys, maxCount: HoldLimits.keysPerAcquireMax) { $0.writeKey($1) }
            writer.writeUInt8(acquisition.mode.rawValue)
            writer.writeVarint(acquisition.waitMilliseconds)
            writer.writeString(acquisition.note)
            writer.writeStrings(roles)
        case .changeMode(let id, let key, let fence, let mode, let wait, let roles):
            writer.writeUInt8(OperationTag.changeMode.rawValue)
            writer.writeRequestID(id)
            writer.writeKey(key)
            writer.writeVarint(fence.rawValue)
            writer.writeUInt8(mode.rawValue)
            writer.writeVarint(wait)
            writer.writeStrings(roles)
        case .placeHold(let id, let placement):
            writer.writeUInt8(OperationTag.placeHold.rawValue)
            writer.writeRequestID(id)
            placement.encode(into: &writer)
        case .liftHold(let id, let key, let rule, let reason):
            writer.writeUInt8(OperationTag.liftHold.rawValue)
            writer.writeRequestID(id)
            writer.writeKey(key)
            writer.writeOptional(rule) { $0.writeString($1) }
            writer.writeString(reason)
        case .holds(let prefix, let after, let limit):
            writer.writeUInt8(OperationTag.holds.rawValue)
            writer.writeOptional(prefix) { $0.writeKey($1) }
            writer.writeOptional(after) { $0.writeKey($1) }
            precondition(limit >= 0, "a hold listing's limit must not be negative, got \(limit)")
            writer.writeVarint(UInt64(limit))
        default:
            preconditionFailure("writeHoldOperation does not write \(self)")
        }
    }

    /// Reads a v3 operation's fields after its tag.
    static func readHoldOperation(_ tag: OperationTag, from reader: inout ByteReader) throws -> ClientOperation {
        switch tag {
        case .acquireKeys:
            let id = try reader.readRequestID()
            let keys = try reader.readElements(maxCount: HoldLimits.keysPerAcquireMax, minimumElementSize: 1) {
                try $0.readKey()
            }
            let mode = try reader.readEnum(LockMode.self)
            let wait = try reader.readVarint()
            let note = try reader.readString(maxByteCount: InputLimits.noteByteCountMax)
            let roles = try reader.readStrings(maxCount: HoldLimits.rolesPerRequestMax)
            guard let first = keys.first else {
                throw WireError.malformed(.invalidValue(offset: reader.offset, reason: "an acquire with no key"))
            }
            let acquisition = Acquisition(key: first, mode: mode, waitMilliseconds: wait, note: note)
            return .acquireKeys(id, keys: keys, acquisition, roles: roles)
        case .changeMode:
            let id = try reader.readRequestID()
            let key = try reader.readKey()
            let fence = try reader.readFence()
            let mode = try reader.readEnum(LockMode.self)
            let wait = try reader.readVarint()
            let roles = try reader.readStrings(maxCount: HoldLimits.rolesPerRequestMax)
            return .changeMode(id, key: key, fence: fence, mode: mode, waitMilliseconds: wait, roles: roles)
        case .placeHold:
            let id = try reader.readRequestID()
            return .placeHold(id, try HoldPlacement.decode(from: &reader))
        case .liftHold:
            let id = try reader.readRequestID()
            let key = try reader.readKey()
            let rule = try reader.readPresent { try $0.readString(maxByteCount: HoldLimits.ruleByteCountMax) }
            let reason = try reader.readString(maxByteCount: InputLimits.reasonByteCountMax)
            return .liftHold(id, key: key, rule: rule, reason: reason)
        case .holds:
            let prefix = try reader.readPresent { try $0.readKey() }
            let after = try reader.readPresent { try $0.readKey() }
            return .holds(prefix: prefix, after: after, limit: try reader.readLength(max: WireLimits.pageSizeMax))
        default:
            preconditionFailure("readHoldOperation does not read \(tag)")
        }
    }
}

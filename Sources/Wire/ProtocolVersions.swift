import PadlockTypes

// What each protocol version may carry, and how a server writes to a connection that negotiated an older one
// (docs/wire.md, "Versioning"). A server decodes a request with the tags of the connection's version, so an
// older client that sends a later tag gets the error an older server gives; and it downgrades every answer
// and event before writing it in that version's layouts.

/// A tag that some protocol version introduced.
protocol VersionedTag: RawRepresentable where RawValue == UInt8 {
    /// The first protocol version that has the tag.
    var introduced: ProtocolVersion { get }
}

extension OperationTag: VersionedTag {
    var introduced: ProtocolVersion {
        switch rawValue {
        case ..<20: .oldestSupported
        case ..<23: .events
        default: .holds
        }
    }
}

extension ResultTag: VersionedTag {
    var introduced: ProtocolVersion {
        switch rawValue {
        case ..<16: .oldestSupported
        case 16: .events
        default: .holds
        }
    }
}

extension FailureTag: VersionedTag {
    var introduced: ProtocolVersion { rawValue < 16 ? .oldestSupported : .holds }
}

extension ByteReader {
    /// Reads a tag that `version` has; a tag of a later version is refused as unknown, exactly as a build of
    /// that version refuses it.
    mutating func readTag<Tag: VersionedTag>(_ type: Tag.Type, version: ProtocolVersion) throws -> Tag {
        let start = offset
        let tag = try readEnum(type)
        guard tag.introduced <= version else {
            throw DecodeError.unknownTag(offset: start, type: String(describing: type), tag: tag.rawValue)
        }
        return tag
    }
}

extension AuditAction {
    /// Whether the record is about a hold (protocol v3): an older client cannot decode it.
    var concernsHold: Bool {
        switch self {
        case .holdPlaced, .holdLifted, .holdBypassed: true
        case .forceUnlock, .revokeSession, .sessionExpired, .takeover: false
        }
    }
}

extension Hold {
    /// What the hold refuses, in words an application can show its user verbatim: `Locked by rule 'Deal
    /// closed' on acme/deals/42 since 2026-12-07 10:02:07 UTC (placed by ops@admin) — stage closed-won; only
    /// finance-admin may edit; notes stay editable`.
    package var refusalSentence: String {
        var text = "Locked by rule '\(rule)' on \(key) since \(WallTime.formatSeconds(since.rawValue)) "
        text += "(placed by \(placedBy)) — \(reason)"
        let verb = restricts == .all ? "edit or view" : "edit"
        if exemptRoles.isEmpty {
            text += "; nobody may \(verb) until it is lifted"
        } else {
            text += "; only \(exemptRoles.joined(separator: ", ")) may \(verb)"
        }
        if !editableFields.isEmpty { text += "; \(editableFields.joined(separator: ", ")) stay editable" }
        return text
    }
}

extension ClientFailure {
    /// The failure as a connection of `version` can read it: before v3 a hold's refusal is `permissionDenied`
    /// with the same words (cut to the message bound), and `noHold` is `notHeld`.
    package func downgraded(for version: ProtocolVersion) -> ClientFailure {
        guard version < .holds else { return self }
        switch self {
        case .restricted(let hold):
            return .permissionDenied(
                reason: hold.refusalSentence.cut(toUTF8Count: WireLimits.messageByteCountMax, marker: "…"))
        case .noHold:
            return .notHeld
        default:
            return self
        }
    }
}

extension ClientResult {
    /// The result as a connection of `version` can read it: before v3 an audit page leaves out the records
    /// about holds (its `next` still pages past them), and renewal failures are downgraded. An inspection's
    /// holds are left out by the older layout itself.
    package func downgraded(for version: ProtocolVersion) -> ClientResult {
        guard version < .holds else { return self }
        switch self {
        case .audited(var page):
            page.records.removeAll { $0.action.concernsHold }
            return .audited(page)
        case .sessionsRenewed(let renewals):
            return .sessionsRenewed(
                renewals.map { renewal in
                    guard case .failure(let failure) = renewal.outcome else { return renewal }
                    return SessionRenewal(session: renewal.session, outcome: .failure(failure.downgraded(for: version)))
                })
        default:
            return self
        }
    }
}

extension ClientResponse {
    /// The response as a connection of `version` can read it.
    package func downgraded(for version: ProtocolVersion) -> ClientResponse {
        switch outcome {
        case .success(let result):
            ClientResponse(correlation: correlation, outcome: .success(result.downgraded(for: version)))
        case .failure(let failure):
            ClientResponse(correlation: correlation, outcome: .failure(failure.downgraded(for: version)))
        }
    }

    /// The frame payload for a connection that negotiated `version`: downgraded, in that version's layouts.
    package func encoded(for version: ProtocolVersion) -> [UInt8] {
        let response = downgraded(for: version)
        return ByteWriter.tagged(Self.kind, capacity: 128) { response.write(to: &$0, version: version) }
    }

    /// Decodes a response as a client of `version` does (the tests check what an older client reads).
    package init(decoding payload: [UInt8], version: ProtocolVersion) throws(WireError) {
        self = try decodePayload(payload) { reader in
            let received = try reader.readEnum(MessageKind.self)
            guard received == Self.kind else { throw WireError.unexpectedKind(expected: Self.kind, received: received) }
            return try Self.read(from: &reader, version: version)
        }
    }
}

extension ClientEvent {
    /// The frame payload for a connection that negotiated `version` (v2 or later: v1 never subscribes).
    package func encoded(for version: ProtocolVersion) -> [UInt8] {
        ByteWriter.tagged(Self.kind, capacity: 128) { write(to: &$0, version: version) }
    }

    /// Decodes an event as a client of `version` does.
    package init(decoding payload: [UInt8], version: ProtocolVersion) throws(WireError) {
        self = try decodePayload(payload) { reader in
            let received = try reader.readEnum(MessageKind.self)
            guard received == Self.kind else { throw WireError.unexpectedKind(expected: Self.kind, received: received) }
            return try Self.read(from: &reader, version: version)
        }
    }
}

extension ClientRequest {
    /// Decodes a request sent on a connection that negotiated `version`: an operation that version does not
    /// have is an unknown tag, as a server of that version would find it.
    package init(decoding payload: [UInt8], version: ProtocolVersion) throws(WireError) {
        self = try decodePayload(payload) { reader in
            let received = try reader.readEnum(MessageKind.self)
            guard received == Self.kind else { throw WireError.unexpectedKind(expected: Self.kind, received: received) }
            var probe = reader
            _ = try probe.readVarint()
            _ = try probe.readTag(OperationTag.self, version: version)
            return try Self.read(from: &reader)
        }
    }
}

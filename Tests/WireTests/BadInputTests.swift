import PadlockTypes
import Testing

@testable import Wire
@testable import WireFuzzing

@Suite struct BadInputTests {
    /// The one exception: a request cut exactly where its optional trace context starts is that request
    /// without one (docs/wire.md, "Client requests"), so that prefix is skipped.
    @Test func everyPrefixOfAValidEncodingIsRefusedAsTruncated() {
        var random = SplitMix64(seed: 77)
        for index in 0..<300 {
            let message = WireSamples.message(using: &random)
            let bytes = message.encoded()
            var untraced: Int?
            if case .clientRequest(var request) = message, request.trace != nil {
                request.trace = nil
                untraced = request.encoded().count
            }
            for length in 0..<bytes.count where length != untraced {
                let error = #expect(throws: WireError.self) { try WireMessage(decoding: Array(bytes[..<length])) }
                guard case .malformed(.truncated) = error else {
                    Issue.record(
                        "message \(index) cut to \(length) of \(bytes.count) bytes gave \(String(describing: error))")
                    return
                }
            }
        }
    }

    @Test func anEmptyPayloadIsTruncated() {
        let error = #expect(throws: WireError.self) { try ClientRequest(decoding: []) }
        #expect(error == .malformed(.truncated(offset: 0, needed: 1, available: 0)))
    }

    @Test func anUnknownMessageKindIsNamed() {
        let error = #expect(throws: WireError.self) { try WireMessage(decoding: [0x7F, 0x00]) }
        #expect(error == .malformed(.unknownTag(offset: 0, type: "MessageKind", tag: 0x7F)))
    }

    @Test func httpGarbageIsRefusedByItsFirstByte() {
        let garbage = Array("GET / HTTP/1.1\r\n\r\n".utf8)
        let error = #expect(throws: WireError.self) { try Handshake(decoding: garbage) }
        #expect(error == .malformed(.unknownTag(offset: 0, type: "MessageKind", tag: UInt8(ascii: "G"))))
    }

    @Test func aResponseSentToAServerIsTheWrongKind() {
        let response = ClientResponse(correlation: CorrelationID(1), outcome: .success(.released))
        let error = #expect(throws: WireError.self) { try ClientRequest(decoding: response.encoded()) }
        #expect(error == .unexpectedKind(expected: .clientRequest, received: .clientResponse))
    }

    @Test func aHandshakeWithTheWrongMagicIsNotPadlock() {
        var bytes = Handshake(role: .peer, cluster: ClusterID(1), node: NodeID(2)).encoded()
        bytes[4] = UInt8(ascii: "X")
        let error = #expect(throws: WireError.self) { try Handshake(decoding: bytes) }
        #expect(error == .wrongMagic(received: Array("PDLX".utf8)))
    }

    @Test func aHandshakeOfAnotherVersionNamesBothVersions() {
        let future = Handshake(
            version: ProtocolVersion(4), role: .client, cluster: ClusterID(1), node: NodeID(0))
        let error = #expect(throws: WireError.self) { try Handshake(decoding: future.encoded()) }
        #expect(error == .versionMismatch(received: ProtocolVersion(4), supported: ProtocolVersion(3)))
        let description = error?.description ?? ""
        #expect(description.contains("v4") && description.contains("v3"))
    }

    @Test func versionOneAndTwoClientsAreStillAccepted() throws {
        for version in [ProtocolVersion(1), ProtocolVersion(2)] {
            let older = Handshake(version: version, role: .client, cluster: ClusterID(1), node: NodeID(0))
            #expect(try Handshake(decoding: older.encoded()).version == version)
        }
        let ancient = Handshake(version: ProtocolVersion(0), role: .client, cluster: ClusterID(1), node: NodeID(0))
        #expect(throws: WireError.self) { try Handshake(decoding: ancient.encoded()) }
    }

    @Test func aVersionMismatchIsAnsweredWithARefusalAndOtherErrorsAreNot() throws {
        let mismatch = WireError.versionMismatch(received: ProtocolVersion(2), supported: ProtocolVersion(1))
        let answer = try #require(HandshakeAnswer.refusal(for: mismatch))
        guard case .refused(.versionMismatch, let message) = try HandshakeAnswer(decoding: answer.encoded()) else {
            Issue.record("answer \(answer) is not a version refusal")
            return
        }
        #expect(message.contains("v2") && message.contains("v1"))
        #expect(HandshakeAnswer.refusal(for: .wrongMagic(received: [0, 0, 0, 0])) == nil)
    }

    @Test func aHandshakeWithOversizedCredentialsIsRefused() {
        var handshake = Handshake(role: .client, cluster: ClusterID(1), node: NodeID(0))
        handshake.credentials = Array(repeating: 1, count: WireLimits.credentialsByteCountMax + 1)
        let error = #expect(throws: WireError.self) { try Handshake(decoding: handshake.encoded()) }
        guard case .malformed(.lengthTooLarge(_, let length, let maximum)) = error else {
            Issue.record("gave \(String(describing: error))")
            return
        }
        #expect(length == UInt64(WireLimits.credentialsByteCountMax + 1))
        #expect(maximum == UInt64(WireLimits.credentialsByteCountMax))
    }

    @Test func invalidUTF8InAnOwnerIsRefusedWhereItStarts() {
        let bytes = payload(.clientRequest) { writer in
            writer.writeVarint(1)  // correlation
            writer.writeUInt8(OperationTag.openSession.rawValue)
            writer.writeBytes([0x61, 0xC3, 0x28])  // "a", then a broken two-byte sequence
            writer.writeVarint(99)  // nonce
            writer.writeVarint(10_000)  // ttl
        }
        let error = #expect(throws: WireError.self) { try ClientRequest(decoding: bytes) }
        #expect(error == .malformed(.invalidUTF8(offset: 4)))
    }

    @Test func anOverlongVarintIsRefused() {
        let bytes: [UInt8] = [MessageKind.clientRequest.rawValue, 0x81, 0x00, OperationTag.status.rawValue]
        let error = #expect(throws: WireError.self) { try ClientRequest(decoding: bytes) }
        #expect(error == .malformed(.overlongVarint(offset: 1)))
    }

    @Test func aVarintBeyondSixtyFourBitsIsRefused() {
        let bytes: [UInt8] = [MessageKind.clientRequest.rawValue] + Array(repeating: 0xFF, count: 9) + [0x7F, 12]
        let error = #expect(throws: WireError.self) { try ClientRequest(decoding: bytes) }
        #expect(error == .malformed(.varintOverflow(offset: 1)))
    }

    @Test func aBadKeyNamesTheKeyError() {
        let bytes = payload(.clientRequest) { writer in
            writer.writeVarint(1)
            writer.writeUInt8(OperationTag.inspect.rawValue)
            writer.writeString("acme//42")
        }
        let error = #expect(throws: WireError.self) { try ClientRequest(decoding: bytes) }
        #expect(error == .invalidKey(offset: 3, .emptySegment(index: 1)))
    }

    @Test func aKeyWithAControlCharacterIsRefused() {
        let bytes = payload(.clientRequest) { writer in
            writer.writeVarint(1)
            writer.writeUInt8(OperationTag.checkFence.rawValue)
            writer.writeString("acme/con\u{7}tacts")
            writer.writeVarint(5)
        }
        let error = #expect(throws: WireError.self) { try ClientRequest(decoding: bytes) }
        #expect(error == .invalidKey(offset: 3, .controlCharacter(offset: 8)))
    }

    @Test func aBadKeyInsideAResponseListIsRefusedToo() {
        let bytes = payload(.clientResponse) { writer in
            writer.writeVarint(1)
            writer.writeUInt8(OutcomeTag.result.rawValue)
            writer.writeUInt8(ResultTag.listed.rawValue)
            writer.writeVarint(1)  // one lock
            writer.writeString("")  // an empty key
            writer.writeHolder(sampleHolder)
            writer.writeVarint(0)
            writer.writeBool(false)
        }
        let error = #expect(throws: WireError.self) { try ClientResponse(decoding: bytes) }
        #expect(error == .invalidKey(offset: 5, .empty))
    }

    @Test func aNoteOverTheLimitIsRefused() {
        let note = String(repeating: "n", count: InputLimits.noteByteCountMax + 1)
        let request = ClientRequest(
            correlation: CorrelationID(1),
            operation: .acquire(
                RequestID(session: SessionID(1), sequence: 1),
                Acquisition(key: key("acme/contacts/42"), mode: .exclusive, waitMilliseconds: 0, note: note)))
        let error = #expect(throws: WireError.self) { try ClientRequest(decoding: request.encoded()) }
        // kind, correlation, tag, session, sequence, key (1 + 16 bytes), mode, wait: the note starts at 24.
        #expect(
            error
                == .malformed(
                    .lengthTooLarge(
                        offset: 24, length: UInt64(InputLimits.noteByteCountMax + 1),
                        maximum: UInt64(InputLimits.noteByteCountMax))))
    }

    @Test func bytesAfterAMessageAreRefused() {
        let bytes = ClientRequest(correlation: CorrelationID(1), operation: .status).encoded() + [0]
        let error = #expect(throws: WireError.self) { try ClientRequest(decoding: bytes) }
        #expect(error == .malformed(.trailingBytes(offset: 3, count: 1)))
    }

    @Test func anUnknownLockModeIsNamed() {
        var bytes = ClientResponse(correlation: CorrelationID(1), outcome: .success(.granted(sampleHolder))).encoded()
        // kind, correlation, outcome, result tag, session, owner (1 + 16): the mode is at byte 22.
        #expect(bytes[22] == LockMode.exclusive.rawValue)
        bytes[22] = 9
        let error = #expect(throws: WireError.self) { try ClientResponse(decoding: bytes) }
        #expect(error == .malformed(.unknownTag(offset: 22, type: "LockMode", tag: 9)))
    }

    @Test func aForgedListCountIsRefusedBeforeAnyAllocation() {
        let bytes = payload(.clientResponse) { writer in
            writer.writeVarint(1)
            writer.writeUInt8(OutcomeTag.result.rawValue)
            writer.writeUInt8(ResultTag.audited.rawValue)
            writer.writeVarint(UInt64(WireLimits.pageSizeMax))  // claims a full page, brings three bytes
            writer.writeRaw([1, 2, 3])
        }
        let error = #expect(throws: WireError.self) { try ClientResponse(decoding: bytes) }
        guard case .malformed(.truncated(let offset, _, let available)) = error else {
            Issue.record("gave \(String(describing: error))")
            return
        }
        #expect(offset == 4 && available == 3)
    }

    @Test func aListLimitOverTheMaximumIsRefused() {
        let bytes = payload(.clientRequest) { writer in
            writer.writeVarint(1)
            writer.writeUInt8(OperationTag.list.rawValue)
            writer.writeBool(false)
            writer.writeBool(false)
            writer.writeBool(false)
            writer.writeVarint(UInt64(WireLimits.pageSizeMax + 1))
        }
        let error = #expect(throws: WireError.self) { try ClientRequest(decoding: bytes) }
        #expect(
            error
                == .malformed(
                    .lengthTooLarge(
                        offset: 6, length: UInt64(WireLimits.pageSizeMax + 1), maximum: UInt64(WireLimits.pageSizeMax)))
        )
    }

    @Test func aPresenceFlagOtherThanZeroOrOneIsRefused() {
        let bytes = payload(.clientRequest) { writer in
            writer.writeVarint(1)
            writer.writeUInt8(OperationTag.audit.rawValue)
            writer.writeUInt8(2)
            writer.writeVarint(10)
        }
        let error = #expect(throws: WireError.self) { try ClientRequest(decoding: bytes) }
        #expect(error == .malformed(.invalidBool(offset: 3, value: 2)))
    }

    @Test func anOpenSessionWithoutANonceIsRefused() {
        let bytes = payload(.clientRequest) { writer in
            writer.writeVarint(1)
            writer.writeUInt8(OperationTag.openSession.rawValue)
            writer.writeString("alice")
            writer.writeVarint(10_000)  // the ttl alone: read as the nonce, then the ttl is missing
        }
        let error = #expect(throws: WireError.self) { try ClientRequest(decoding: bytes) }
        #expect(error == .malformed(.truncated(offset: 11, needed: 1, available: 0)))
    }

    @Test func aCancelWaitWithABadKeyNamesTheKeyError() {
        let bytes = payload(.clientRequest) { writer in
            writer.writeVarint(1)
            writer.writeUInt8(OperationTag.cancelWait.rawValue)
            writer.writeRequestID(RequestID(session: SessionID(7), sequence: 3))
            writer.writeString("acme/")
        }
        let error = #expect(throws: WireError.self) { try ClientRequest(decoding: bytes) }
        #expect(error == .invalidKey(offset: 5, .emptySegment(index: 1)))
    }

    @Test func aForceUnlockReportingMoreHoldersThanTheBoundIsRefused() {
        let bytes = payload(.clientResponse) { writer in
            writer.writeVarint(1)
            writer.writeUInt8(OutcomeTag.result.rawValue)
            writer.writeUInt8(ResultTag.forceUnlocked.rawValue)
            writer.writeVarint(UInt64(WireLimits.inspectionEntriesMax + 1))
        }
        let error = #expect(throws: WireError.self) { try ClientResponse(decoding: bytes) }
        let maximum = UInt64(WireLimits.inspectionEntriesMax)
        #expect(error == .malformed(.lengthTooLarge(offset: 4, length: maximum + 1, maximum: maximum)))
    }

    @Test func aForgedHolderCountIsRefusedBeforeAnyAllocation() {
        let bytes = payload(.clientResponse) { writer in
            writer.writeVarint(1)
            writer.writeUInt8(OutcomeTag.result.rawValue)
            writer.writeUInt8(ResultTag.forceUnlocked.rawValue)
            writer.writeVarint(UInt64(WireLimits.inspectionEntriesMax))  // claims 1000 holders
            writer.writeHolder(sampleHolder)  // brings one
        }
        let error = #expect(throws: WireError.self) { try ClientResponse(decoding: bytes) }
        guard case .malformed(.truncated(let offset, let needed, _)) = error else {
            Issue.record("gave \(String(describing: error))")
            return
        }
        #expect(offset == 4 && needed == WireLimits.inspectionEntriesMax * holderByteCountMin)
    }

    /// A status report up to its member lists: node 1, a follower, no leader, every number zero.
    private func statusPrefix(_ writer: inout ByteWriter) {
        writer.writeVarint(1)
        writer.writeUInt8(OutcomeTag.result.rawValue)
        writer.writeUInt8(ResultTag.status.rawValue)
        writer.writeVarint(1)
        writer.writeUInt8(NodeRole.follower.rawValue)
        writer.writeVarint(0)  // term
        writer.writeBool(false)  // leader
        for _ in 0..<7 { writer.writeVarint(0) }  // commit, applied, last, snapshot, sessions, locks, waiters
    }

    @Test func aStatusWithMoreMembersThanTheBoundIsRefused() {
        let bytes = payload(.clientResponse) { writer in
            statusPrefix(&writer)
            writer.writeArray(Array(1...17)) { $0.writeVarint(UInt64($1)) }
            writer.writeVarint(0)
            writer.writeVarint(0)
        }
        let error = #expect(throws: WireError.self) { try ClientResponse(decoding: bytes) }
        let maximum = UInt64(WireLimits.clusterMembersMax)
        #expect(error == .malformed(.lengthTooLarge(offset: 15, length: maximum + 1, maximum: maximum)))
    }

    @Test func aForgedPeerCountIsRefusedBeforeAnyAllocation() {
        let bytes = payload(.clientResponse) { writer in
            statusPrefix(&writer)
            writer.writeVarint(0)  // voters
            writer.writeVarint(0)  // learners
            writer.writeVarint(UInt64(WireLimits.clusterMembersMax))  // claims sixteen peers
            writer.writeRaw([2, 10, 0, 1])  // brings one
        }
        let error = #expect(throws: WireError.self) { try ClientResponse(decoding: bytes) }
        #expect(error == .malformed(.truncated(offset: 17, needed: 16 * PeerProgress.byteCountMin, available: 4)))
    }

    @Test func aPeerReachabilityOtherThanZeroOrOneIsRefused() {
        let bytes = payload(.clientResponse) { writer in
            statusPrefix(&writer)
            writer.writeVarint(0)
            writer.writeVarint(0)
            writer.writeVarint(1)
            writer.writeRaw([2, 10, 0, 2])
        }
        let error = #expect(throws: WireError.self) { try ClientResponse(decoding: bytes) }
        #expect(error == .malformed(.invalidBool(offset: 21, value: 2)))
    }

    @Test func anAuditPageWithoutItsOldestKeptIsTruncated() {
        let page = ClientResponse(
            correlation: CorrelationID(1), outcome: .success(.audited(AuditPage(records: [], next: nil, oldestKept: 3)))
        )
        let bytes = page.encoded()
        let error = #expect(throws: WireError.self) { try ClientResponse(decoding: Array(bytes.dropLast())) }
        #expect(error == .malformed(.truncated(offset: bytes.count - 1, needed: 1, available: 0)))
    }

    @Test func aWaitersAheadFailureWithABadKeyNamesTheKeyError() {
        let bytes = payload(.clientResponse) { writer in
            writer.writeVarint(1)
            writer.writeUInt8(OutcomeTag.failure.rawValue)
            writer.writeUInt8(FailureTag.waitersAhead.rawValue)
            writer.writeString("a//b")
            writer.writeVarint(2)
        }
        let error = #expect(throws: WireError.self) { try ClientResponse(decoding: bytes) }
        #expect(error == .invalidKey(offset: 4, .emptySegment(index: 1)))
    }

    @Test func anInspectionLockDelayFlagOtherThanZeroOrOneIsRefused() {
        let bytes = payload(.clientResponse) { writer in
            writer.writeVarint(1)
            writer.writeUInt8(OutcomeTag.result.rawValue)
            writer.writeUInt8(ResultTag.inspected.rawValue)
            writer.writeString("a")
            writer.writeVarint(0)
            writer.writeVarint(0)
            writer.writeUInt8(7)
        }
        let error = #expect(throws: WireError.self) { try ClientResponse(decoding: bytes) }
        #expect(error == .malformed(.invalidBool(offset: 8, value: 7)))
    }

    @Test func anAuditLimitOverTheMaximumIsRefused() {
        let bytes = payload(.clientRequest) { writer in
            writer.writeVarint(1)
            writer.writeUInt8(OperationTag.audit.rawValue)
            writer.writeBool(true)
            writer.writeVarint(UInt64.max)  // any sequence is a valid cursor
            writer.writeVarint(UInt64(WireLimits.pageSizeMax + 1))
        }
        let error = #expect(throws: WireError.self) { try ClientRequest(decoding: bytes) }
        let maximum = UInt64(WireLimits.pageSizeMax)
        #expect(error == .malformed(.lengthTooLarge(offset: 14, length: maximum + 1, maximum: maximum)))
    }

    @Test func everyErrorDescriptionSaysWhatWasWrong() {
        let errors: [WireError] = [
            .malformed(.truncated(offset: 3, needed: 4, available: 1)),
            .invalidKey(offset: 3, .empty),
            .wrongMagic(received: [1, 2, 3, 4]),
            .versionMismatch(received: ProtocolVersion(3), supported: ProtocolVersion(1)),
            .unexpectedKind(expected: .handshake, received: .clientRequest),
            .frameTooLarge(length: 1 << 32 - 1, maximum: 1024),
        ]
        let descriptions = errors.map(\.description)
        #expect(descriptions[0].contains("truncated"))
        #expect(descriptions[1].contains("key") && descriptions[1].contains("empty"))
        #expect(descriptions[2].contains("not a Padlock handshake"))
        #expect(descriptions[3].contains("v3") && descriptions[3].contains("v1"))
        #expect(descriptions[4].contains("handshake") && descriptions[4].contains("client request"))
        #expect(descriptions[5].contains("4294967295") && descriptions[5].contains("1024"))
    }
}

import PadlockTypes
import Testing

@testable import Wire
@testable import WireFuzzing

@Suite struct RoundTripTests {
    /// Encodes each random value, decodes it, and requires the same value and the same bytes again.
    private func checkRoundTrips<Message: Equatable>(
        _ make: (inout SplitMix64) -> Message, encode: (Message) -> [UInt8],
        decode: ([UInt8]) throws(WireError) -> Message
    ) {
        for seed in propertySeeds {
            var random = SplitMix64(seed: seed)
            for index in 0..<valuesPerSeed {
                let message = make(&random)
                let bytes = encode(message)
                do {
                    let decoded = try decode(bytes)
                    #expect(decoded == message, "seed \(seed), value \(index)")
                    #expect(encode(decoded) == bytes, "seed \(seed), value \(index)")
                } catch {
                    Issue.record("seed \(seed), value \(index): \(message) was refused: \(error)")
                    return
                }
            }
        }
    }

    @Test func everyHandshakeSurvivesEncodingAndDecoding() {
        checkRoundTrips(WireSamples.handshake, encode: { $0.encoded() }, decode: Handshake.init(decoding:))
    }

    @Test func everyHandshakeAnswerSurvivesEncodingAndDecoding() {
        checkRoundTrips(
            WireSamples.handshakeAnswer, encode: { $0.encoded() }, decode: HandshakeAnswer.init(decoding:))
    }

    @Test func everyClientRequestSurvivesEncodingAndDecoding() {
        checkRoundTrips(WireSamples.request, encode: { $0.encoded() }, decode: ClientRequest.init(decoding:))
    }

    @Test func everyClientResponseSurvivesEncodingAndDecoding() {
        checkRoundTrips(WireSamples.response, encode: { $0.encoded() }, decode: ClientResponse.init(decoding:))
    }

    @Test func anyMessageDecodesAsTheKindItWasEncodedAs() {
        checkRoundTrips(WireSamples.message, encode: { $0.encoded() }, decode: WireMessage.init(decoding:))
    }

    @Test func theSamplesCoverEveryOperationResultAndFailure() {
        var random = SplitMix64(seed: 9)
        var operations = Set<UInt8>()
        var results = Set<UInt8>()
        var failures = Set<UInt8>()
        let correlation = CorrelationID(1)
        for _ in 0..<2_000 {
            let request = ClientRequest(correlation: correlation, operation: WireSamples.operation(using: &random))
            operations.insert(request.encoded()[2])
            let result = ClientResponse(correlation: correlation, outcome: .success(WireSamples.result(using: &random)))
            results.insert(result.encoded()[3])
            let failure = ClientResponse(
                correlation: correlation, outcome: .failure(WireSamples.failure(using: &random)))
            failures.insert(failure.encoded()[3])
        }
        #expect(operations == Set(OperationTag.allCases.map(\.rawValue)))
        #expect(results == Set(ResultTag.allCases.map(\.rawValue)))
        #expect(failures == Set(FailureTag.allCases.map(\.rawValue)))
        // The tags the protocol documents, so that a tag dropped from an enum is noticed too.
        #expect(operations == Set(1...29))
        #expect(results == Set(1...22))
        #expect(failures == Set(1...17))
    }

    @Test func aHandshakeHasTheDocumentedLayout() {
        let handshake = Handshake(
            role: .client, cluster: ClusterID(0x0102_0304_0506_0708), node: NodeID(300), credentials: [0xAA, 0xBB])
        let expected: [UInt8] = [
            0x01,  // kind: handshake
            0x50, 0x44, 0x4C, 0x4B,  // magic "PDLK"
            0x00, 0x03,  // version 3
            0x01,  // role: client
            0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // cluster id, big-endian
            0xAC, 0x02,  // node id 300 as a varint
            0x02, 0xAA, 0xBB,  // credentials
        ]
        #expect(handshake.encoded() == expected)
    }

    @Test func anAcquireHasTheDocumentedLayout() {
        let request = ClientRequest(
            correlation: CorrelationID(5),
            operation: .acquire(
                RequestID(session: SessionID(7), sequence: 1),
                Acquisition(key: key("a/b"), mode: .shared, waitMilliseconds: 2_000, note: "hi")))
        let expected: [UInt8] = [
            0x03,  // kind: client request
            0x05,  // correlation id
            0x04,  // operation: acquire
            0x07, 0x01,  // request id: session 7, sequence 1
            0x03, 0x61, 0x2F, 0x62,  // key "a/b"
            0x01,  // mode: shared
            0xD0, 0x0F,  // wait 2000 ms
            0x02, 0x68, 0x69,  // note "hi"
        ]
        #expect(request.encoded() == expected)
    }

    @Test func aHeldFailureCarriesEveryConflictingHolderWithItsKey() throws {
        let field = LockInfo(
            key: key("acme/contacts/42/phone"), holder: sampleHolder, leaseDeadline: Timestamp(rawValue: 9))
        var other = sampleHolder
        other.owner = "bob@frontend-3"
        other.fence = FenceToken(43)
        let second = LockInfo(
            key: key("acme/contacts/42/email"), holder: other, leaseDeadline: Timestamp(rawValue: 10))
        let response = ClientResponse(
            correlation: CorrelationID(1),
            outcome: .failure(.held(by: [field, second], truncated: true, waiterCount: 3)))
        let decoded = try ClientResponse(decoding: response.encoded())
        guard case .failure(.held(let holders, let truncated, let waiters)) = decoded.outcome else {
            Issue.record("decoded \(decoded) instead of a held failure")
            return
        }
        #expect(holders == [field, second])
        #expect(truncated)
        let holder = holders[0].holder
        #expect(holder.owner == "alice@frontend-2")
        #expect(holder.note == "editing phone number")
        #expect(holder.fence == FenceToken(42))
        #expect(holder.since == Timestamp(rawValue: 1_700_000_000_000))
        #expect(holder.session == SessionID(7))
        #expect(waiters == 3)
        let description = ClientFailure.held(by: holders, truncated: truncated, waiterCount: waiters).description
        #expect(description.contains("alice@frontend-2") && description.contains("editing phone number"))
        #expect(description.contains("bob@frontend-3") && description.contains("on acme/contacts/42/email"))
        #expect(description.contains("and more"))
    }

    @Test func aHeldFailureListsAtMostSixteenHoldersAndSaysTheRestWereCut() throws {
        let many = (0..<20).map { number in
            var holder = sampleHolder
            holder.fence = FenceToken(UInt64(100 + number))
            return LockInfo(key: key("acme/reports/q\(number)"), holder: holder, leaseDeadline: Timestamp(rawValue: 1))
        }
        let response = ClientResponse(
            correlation: CorrelationID(2), outcome: .failure(.held(by: many, truncated: false, waiterCount: 0)))
        let decoded = try ClientResponse(decoding: response.encoded())
        guard case .failure(.held(let holders, let truncated, _)) = decoded.outcome else {
            Issue.record("decoded \(decoded) instead of a held failure")
            return
        }
        #expect(holders == Array(many.prefix(WireLimits.heldHoldersMax)))
        #expect(truncated, "cut to \(WireLimits.heldHoldersMax), so the flag is set")
    }

    @Test func aHeldFailureNamingNoHolderIsRefused() {
        // Encode a real one with one holder, then cut the holder out and make the count zero.
        let only = LockInfo(key: key("a"), holder: sampleHolder, leaseDeadline: Timestamp(rawValue: 1))
        let response = ClientResponse(
            correlation: CorrelationID(3), outcome: .failure(.held(by: [only], truncated: false, waiterCount: 0)))
        var bytes = response.encoded()
        var writer = ByteWriter()
        only.write(to: &writer)
        let suffix = 2  // truncated bool, waiterCount varint 0
        let listStart = bytes.count - suffix - writer.bytes.count - 1
        #expect(bytes[listStart] == 1, "the list's count")
        bytes.removeSubrange(listStart + 1..<bytes.count - suffix)
        bytes[listStart] = 0
        #expect(throws: WireError.self) { try ClientResponse(decoding: bytes) }
    }

    @Test func onlyStateChangingOperationsCarryARequestID() {
        let id = RequestID(session: SessionID(1), sequence: 2)
        #expect(ClientOperation.closeSession(id).requestID == id)
        #expect(ClientOperation.release(id, key: key("a"), fence: FenceToken(1)).requestID == id)
        #expect(ClientOperation.cancelWait(id, key: key("a")).requestID == id)
        #expect(ClientOperation.forceUnlock(id, key: key("a"), reason: "stuck").requestID == id)
        #expect(ClientOperation.openSession(owner: "alice", nonce: 7, ttlMilliseconds: 10_000).requestID == nil)
        #expect(ClientOperation.audit(after: 3, limit: 10).requestID == nil)
        #expect(ClientOperation.revokeSession(id, target: SessionID(9), reason: "left").requestID == id)
        #expect(ClientOperation.inspect(key("a")).requestID == nil)
        #expect(ClientOperation.resolve(id).requestID == nil)
        #expect(ClientOperation.status.requestID == nil)
    }
}

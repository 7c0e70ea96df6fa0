import PadlockTypes
import Raft
import Testing
import Wire

@testable import PeerWire
@testable import PeerWireFuzzing
@testable import WireFuzzing

@Suite struct RoundTripTests {
    @Test(arguments: everyBatchableMessage)
    func everyMessageKindRoundTripsAlone(_ original: Message) throws {
        let bytes = PeerWire.encodeBatch([original])
        #expect(bytes.first == PeerPayloadKind.raftMessages.rawValue)
        #expect(try decodedBatch(bytes) == [original])
        #expect(PeerPayload.messages([original]).encoded() == bytes)
    }

    @Test func aBatchOfEveryKindKeepsItsOrder() throws {
        let batch = everyBatchableMessage + everyBatchableMessage.reversed()
        #expect(try decodedBatch(PeerWire.encodeBatch(batch)) == batch)
    }

    @Test func aHeartbeatHasTheDocumentedLayout() {
        let heartbeat = message(.heartbeat(commit: LogIndex(4), round: 300))
        // kind 16 · count 1 · from 1 · to 2 · term 3 · tag 7 · commit 4 · round 300 as LEB128 (AC 02)
        #expect(PeerWire.encodeBatch([heartbeat]) == [16, 1, 1, 2, 3, 7, 4, 0xAC, 0x02])
    }

    @Test func anAppendHasTheDocumentedLayout() {
        let entry = Entry(term: Term(2), index: LogIndex(6), kind: .normal, data: [0xAA, 0xBB])
        let append = message(.append(prevIndex: LogIndex(5), prevTerm: Term(2), entries: [entry], commit: LogIndex(4)))
        // kind · count · from · to · term · tag 5 · prevIndex · prevTerm
        // · one entry (term, index, kind, data length, data) · commit
        #expect(PeerWire.encodeBatch([append]) == [16, 1, 1, 2, 3, 5, 5, 2, 1, 2, 6, 0, 2, 0xAA, 0xBB, 4])
    }

    @Test func randomBatchesRoundTripAndReencodeToTheSameBytes() throws {
        for seed in propertySeeds {
            var random = SplitMix64(seed: seed)
            for index in 0..<500 {
                let batch = PeerSamples.batch(using: &random)
                let bytes = PeerWire.encodeBatch(batch)
                let decoded = try decodedBatch(bytes)
                #expect(decoded == batch, "seed \(seed), batch \(index)")
                #expect(PeerWire.encodeBatch(decoded) == bytes, "seed \(seed), batch \(index)")
            }
        }
    }

    @Test func everyRandomPayloadKindRoundTrips() throws {
        var random = SplitMix64(seed: 99)
        var kinds: Set<String> = []
        for _ in 0..<2_000 {
            let payload = PeerSamples.payload(using: &random)
            kinds.insert(String(describing: payload).prefix { $0 != "(" }.description)
            #expect(try PeerWire.decode(payload.encoded()) == payload)
        }
        let expected: Set<String> = [
            "handshake", "handshakeAnswer", "messages", "snapshotChunk", "challenge", "challengeResponse",
            "clockReading", "identity",
        ]
        #expect(kinds == expected)
    }

    @Test func aPeerHandshakeAndItsAnswerDecodeOnThePeerConnection() throws {
        let handshake = Handshake(role: .peer, cluster: ClusterID(9), node: NodeID(2), credentials: [1, 2])
        #expect(try PeerWire.decode(handshake.encoded()) == .handshake(handshake))
        let answer = HandshakeAnswer.accepted(node: NodeID(1))
        #expect(try PeerWire.decode(answer.encoded()) == .handshakeAnswer(answer))
    }

    @Test func thePeerIdentityIsEightBigEndianBytesAndRefusesOtherLengths() throws {
        let identity = PeerIdentity(incarnation: 0x0102_0304_0506_0708)
        #expect(identity.encoded() == [20, 1, 2, 3, 4, 5, 6, 7, 8])
        #expect(try PeerWire.decode(identity.encoded()) == .identity(identity))
        #expect(throws: PeerWireError.self) { try PeerWire.decode(Array(identity.encoded().dropLast())) }
        #expect(throws: PeerWireError.self) { try PeerWire.decode(identity.encoded() + [0]) }
    }

    @Test func aHeartbeatResponseCarriesTheFollowersLastIndex() throws {
        let response = Message(
            from: NodeID(2), to: NodeID(1), term: Term(3), kind: .heartbeatResponse(round: 5, lastIndex: LogIndex(300)))
        let bytes = PeerWire.encodeBatch([response])
        // kind 16 · count 1 · from 2 · to 1 · term 3 · tag 8 · round 5 · lastIndex 300 as a varint
        #expect(bytes == [16, 1, 2, 1, 3, 8, 5, 0xAC, 0x02])
        #expect(try PeerWire.decode(bytes) == .messages([response]))
    }

    @Test func thePeerChallengeAndItsResponseRoundTripAndRefuseShortFields() throws {
        let challenge = PeerChallenge(nonce: Array(repeating: 1, count: 32), proof: Array(repeating: 2, count: 32))
        #expect(try PeerWire.decode(challenge.encoded()) == .challenge(challenge))
        let response = PeerChallengeResponse(proof: Array(repeating: 3, count: 32))
        #expect(try PeerWire.decode(response.encoded()) == .challengeResponse(response))
        #expect(throws: PeerWireError.self) { try PeerWire.decode(Array(challenge.encoded().dropLast())) }
        #expect(throws: PeerWireError.self) { try PeerWire.decode(response.encoded() + [0]) }
    }

    @Test func entryDataAtTheLimitIsAccepted() throws {
        let limits = PeerWireLimits(entryDataByteCountMax: 100)
        let entry = Entry(term: Term(1), index: LogIndex(1), data: Array(repeating: 7, count: 100))
        let append = message(.append(prevIndex: .zero, prevTerm: .zero, entries: [entry], commit: .zero))
        #expect(try decodedBatch(PeerWire.encodeBatch([append], limits: limits), limits: limits) == [append])
    }

    @Test func encodeBatchesSplitsByMessageCountAndKeepsOrder() throws {
        let limits = PeerWireLimits(messageCountPerBatchMax: 5)
        let messages = (0..<23).map {
            message(.heartbeatResponse(round: UInt64($0), lastIndex: LogIndex(UInt64($0) * 3)))
        }
        let payloads = PeerWire.encodeBatches(messages, limits: limits)
        #expect(payloads.count == 5)
        let decoded = try payloads.map { try decodedBatch($0, limits: limits) }
        #expect(decoded.map(\.count) == [5, 5, 5, 5, 3])
        #expect(decoded.flatMap { $0 } == messages)
    }

    @Test func encodeBatchesKeepsEveryPayloadWithinTheFrameLimit() throws {
        let limits = PeerWireLimits(framePayloadByteCountMax: 1_000)
        let entry = Entry(term: Term(1), index: LogIndex(1), data: Array(repeating: 1, count: 300))
        let append = message(.append(prevIndex: .zero, prevTerm: .zero, entries: [entry], commit: .zero))
        let messages = Array(repeating: append, count: 10) + [message(.timeoutNow)]
        let payloads = PeerWire.encodeBatches(messages, limits: limits)
        #expect(payloads.allSatisfy { $0.count <= 1_000 })
        #expect(payloads.count == 4)  // three appends fit in 1,000 bytes, four do not
        #expect(try payloads.flatMap { try decodedBatch($0, limits: limits) } == messages)
        #expect(PeerWire.encodeBatches([]).isEmpty)
    }

    @Test func encodeBatchesGivesOnePayloadWhenEverythingFits() {
        #expect(PeerWire.encodeBatches(everyBatchableMessage) == [PeerWire.encodeBatch(everyBatchableMessage)])
    }
}

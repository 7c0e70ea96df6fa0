import PadlockTypes
import Raft
import Testing
import Wire

@testable import PeerWire
@testable import PeerWireFuzzing
@testable import WireFuzzing

@Suite struct BadInputTests {
    @Test func everyTruncationOfAValidPayloadIsATruncationError() {
        var random = SplitMix64(seed: 41)
        for index in 0..<300 {
            let bytes: [UInt8]
            if index % 3 == 0 {
                bytes = PeerSamples.chunk(using: &random).encoded()
            } else {
                bytes = PeerWire.encodeBatch(PeerSamples.batch(using: &random))
            }
            for length in 0..<bytes.count {
                guard case .malformed(.truncated) = decodeError(Array(bytes[..<length])) else {
                    Issue.record("payload \(index) cut to \(length) of \(bytes.count) bytes: \(bytes)")
                    return
                }
            }
        }
    }

    @Test func anEmptyPayloadIsTruncated() {
        #expect(decodeError([]) == .malformed(.truncated(offset: 0, needed: 1, available: 0)))
    }

    @Test(arguments: [0, 6, 7, 15, 22, 23, 0x7F, 0xFF] as [UInt8])
    func aPayloadKindNobodyDefinedIsNamed(_ kind: UInt8) {
        #expect(decodeError([kind, 1, 2, 3]) == .unknownPayloadKind(kind))
    }

    @Test func aClockReadingDecodesAndRefusesTrailingBytes() throws {
        #expect(try PeerWire.decode([21, 0xFF, 0x01]) == .clockReading(PeerClockReading(wallMilliseconds: 255)))
        let latest = PeerClockReading(wallMilliseconds: .max)
        #expect(try PeerWire.decode(latest.encoded()) == .clockReading(latest))
        #expect(decodeError([21]) != nil)
        #expect(decodeError([21, 1, 2]) != nil)
    }

    @Test func clientTrafficOnThePeerConnectionIsRefusedByKind() {
        let request = ClientRequest(correlation: CorrelationID(1), operation: .status)
        #expect(decodeError(request.encoded()) == .clientMessage(.clientRequest))
        let response = ClientResponse(correlation: CorrelationID(1), outcome: .success(.released))
        #expect(decodeError(response.encoded()) == .clientMessage(.clientResponse))
    }

    @Test func aBrokenHandshakeCarriesWiresReason() {
        let future = Handshake(version: ProtocolVersion(4), role: .peer, cluster: ClusterID(1), node: NodeID(2))
        let error = decodeError(future.encoded())
        #expect(error == .handshake(.versionMismatch(received: ProtocolVersion(4), supported: .current)))
        guard case .handshake(let wireError) = error else { return }
        #expect(HandshakeAnswer.refusal(for: wireError) != nil)
    }

    @Test(arguments: [0, 11, 0x80, 0xFF] as [UInt8])
    func anUnknownMessageTagIsNamed(_ tag: UInt8) {
        let bytes = payload(16) { $0.writeRaw([1, 1, 2, 3, tag]) }
        #expect(decodeError(bytes) == .malformed(.unknownTag(offset: 5, type: "Message.Kind", tag: tag)))
    }

    @Test func aSnapshotTagInsideABatchIsRefused() {
        let bytes = payload(16) { $0.writeRaw([2, 1, 2, 3, 10, 1, 2, 3, 9]) }
        #expect(decodeError(bytes) == .snapshotInBatch(offset: 9))
    }

    @Test func anUnknownEntryKindIsNamed() {
        // One append with one entry whose kind byte is 3.
        let bytes = payload(16) { $0.writeRaw([1, 1, 2, 3, 5, 0, 0, 1, 1, 1, 3, 0, 0]) }
        #expect(decodeError(bytes) == .malformed(.unknownTag(offset: 11, type: "Entry.Kind", tag: 3)))
    }

    @Test func aFlagOtherThanZeroOrOneIsRefused() {
        let bytes = payload(16) { $0.writeRaw([1, 1, 2, 3, 4, 2]) }
        #expect(decodeError(bytes) == .malformed(.invalidBool(offset: 6, value: 2)))
    }

    @Test func anEmptyBatchIsRefused() {
        guard case .malformed(.invalidValue(offset: 1, _)) = decodeError([16, 0]) else {
            Issue.record("an empty batch gave \(String(describing: decodeError([16, 0])))")
            return
        }
    }

    @Test func aBatchCountOverTheLimitNamesTheLimitAndTheCount() {
        let bytes = payload(16) { $0.writeVarint(4097) }
        #expect(decodeError(bytes) == .limitExceeded(.messagesPerBatch, count: 4097, maximum: 4096))
        let huge = payload(16) { $0.writeVarint(.max) }
        #expect(decodeError(huge) == .limitExceeded(.messagesPerBatch, count: .max, maximum: 4096))
    }

    @Test func anEntryCountOverTheLimitNamesTheLimitAndTheCount() {
        let bytes = payload(16) {
            $0.writeRaw([1, 1, 2, 3, 5, 0, 0])
            $0.writeVarint(4097)
        }
        #expect(decodeError(bytes) == .limitExceeded(.entriesPerAppend, count: 4097, maximum: 4096))
    }

    @Test func entryDataOverTheLimitIsRefusedBeforeItIsRead() {
        let limits = PeerWireLimits(entryDataByteCountMax: 100)
        let bytes = payload(16) {
            $0.writeRaw([1, 1, 2, 3, 5, 0, 0, 1, 1, 1, 0])
            $0.writeVarint(101)
        }
        #expect(decodeError(bytes, limits: limits) == .limitExceeded(.entryDataBytes, count: 101, maximum: 100))
        let forged = payload(16) {
            $0.writeRaw([1, 1, 2, 3, 5, 0, 0, 1, 1, 1, 0])
            $0.writeVarint(1 << 40)
        }
        #expect(
            decodeError(forged)
                == .limitExceeded(.entryDataBytes, count: 1 << 40, maximum: WireLimits.framePayloadByteCountMax))
    }

    @Test func aCountTheRemainingBytesCannotHoldIsATruncationBeforeAllocating() {
        // 4,000 messages of at least four bytes each cannot fit in the ten bytes that follow.
        let batch = payload(16) {
            $0.writeVarint(4000)
            $0.writeRaw(Array(repeating: 1, count: 10))
        }
        #expect(decodeError(batch) == .malformed(.truncated(offset: 1, needed: 16_000, available: 10)))
        let entries = payload(16) {
            $0.writeRaw([1, 1, 2, 3, 5, 0, 0])
            $0.writeVarint(4000)
            $0.writeRaw([1, 1])
        }
        #expect(decodeError(entries) == .malformed(.truncated(offset: 8, needed: 16_000, available: 2)))
        let entryData = payload(16) { $0.writeRaw([1, 1, 2, 3, 5, 0, 0, 1, 1, 1, 0, 200, 1, 9]) }
        #expect(decodeError(entryData) == .malformed(.truncated(offset: 14, needed: 200, available: 1)))
    }

    @Test func bytesAfterTheBatchAreRefused() {
        let bytes = PeerWire.encodeBatch([message(.timeoutNow)]) + [0]
        #expect(decodeError(bytes) == .malformed(.trailingBytes(offset: 6, count: 1)))
    }

    @Test func anOverlongOrOverflowingVarintIsRefused() {
        #expect(decodeError([16, 1, 0x81, 0x00, 2, 3, 10]) == .malformed(.overlongVarint(offset: 2)))
        let overflowing: [UInt8] = [16, 1] + Array(repeating: 0xFF, count: 9) + [0x7F]
        #expect(decodeError(overflowing) == .malformed(.varintOverflow(offset: 2)))
    }

    @Test func aChunkReachingPastItsTotalIsRefused() {
        let header = ChunkHeader(
            from: NodeID(1), to: NodeID(2), term: Term(3), transfer: 4,
            metadata: SnapshotMetadata(index: LogIndex(5), term: Term(3), configuration: sampleConfiguration),
            totalByteCount: 10)
        let ending = header.payload(offset: 8, data: [1, 2][...], limits: .default)
        #expect(decodeError(ending) == nil)
        let past = header.payload(offset: 9, data: [1, 2][...], limits: .default)
        #expect(decodeError(past) == .chunkOverrun(transfer: 4, offset: 9, byteCount: 2, totalByteCount: 10))
        let beyond = header.payload(offset: 11, data: [][...], limits: .default)
        #expect(decodeError(beyond) == .chunkOverrun(transfer: 4, offset: 11, byteCount: 0, totalByteCount: 10))
    }

    @Test func chunkDataOverTheLimitIsRefused() throws {
        let limits = PeerWireLimits(chunkDataByteCountMax: 50)
        let bytes = PeerWire.snapshotChunks(of: snapshotMessage(byteCount: 51), transfer: 1, chunkBytes: 51)[0]
        #expect(decodeError(bytes, limits: limits) == .limitExceeded(.chunkDataBytes, count: 51, maximum: 50))
    }

    @Test func everyErrorDescribesItselfInASentence() {
        let errors: [PeerWireError] = [
            .malformed(.truncated(offset: 3, needed: 4, available: 1)),
            .handshake(.wrongMagic(received: [1, 2, 3, 4])), .unknownPayloadKind(99), .clientMessage(.clientRequest),
            .limitExceeded(.entriesPerAppend, count: 5000, maximum: 4096), .snapshotInBatch(offset: 9),
            .chunkOverrun(transfer: 1, offset: 9, byteCount: 2, totalByteCount: 10),
            .emptyChunk(transfer: 1, offset: 4),
            .chunkOutOfOrder(transfer: 1, expectedOffset: 4, receivedOffset: 8),
            .chunkInconsistent(transfer: 1, field: .metadata),
            .unknownTransfer(from: NodeID(3), transfer: 1, offset: 8),
        ]
        for error in errors {
            let text = error.description
            #expect(text.count > 20 && !text.hasSuffix("."), "\(text)")
        }
        #expect(errors[4].description == "5000 entries in an append received, but at most 4096 are accepted")
    }
}

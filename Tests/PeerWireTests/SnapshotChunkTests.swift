import PadlockTypes
import Raft
import Testing
import Wire

@testable import PeerWire

@Suite struct SnapshotChunkTests {
    /// (data bytes, chunk bytes): empty, smaller than a chunk, one byte either side of a chunk, exact multiples,
    /// a remainder, one-byte chunks.
    static let sizes: [(Int, Int)] = [
        (0, 1_000), (1, 1_000), (999, 1_000), (1_000, 1_000), (1_001, 1_000), (3_000, 1_000), (2_500, 1_000),
        (17, 1), (64, 8), (10_000, 4_096),
    ]

    @Test(arguments: sizes)
    func chunksCarryTheSnapshotInOrderAndAssembleToTheSameMessage(dataBytes: Int, chunkBytes: Int) throws {
        let original = snapshotMessage(byteCount: dataBytes)
        let pieces = try chunks(of: original, transfer: 11, chunkBytes: chunkBytes)
        let expectedCount = max(1, (dataBytes + chunkBytes - 1) / chunkBytes)
        #expect(pieces.count == expectedCount)
        #expect(PeerWire.snapshotChunkCount(of: original, chunkBytes: chunkBytes) == expectedCount)
        guard case .snapshot(let snapshot) = original.kind else { return }
        var offset: UInt64 = 0
        var assembler = SnapshotAssembler()
        for (number, piece) in pieces.enumerated() {
            #expect(piece.offset == offset)
            #expect(piece.totalByteCount == UInt64(dataBytes))
            #expect(piece.metadata == snapshot.metadata)
            #expect(
                (piece.from, piece.to, piece.term, piece.transfer) == (original.from, original.to, original.term, 11))
            #expect(piece.data.count == (number < pieces.count - 1 ? chunkBytes : dataBytes - Int(offset)))
            #expect(piece.isLast == (number == pieces.count - 1))
            offset += UInt64(piece.data.count)
            let assembled = try assembler.add(piece)
            #expect((assembled == nil) == (number < pieces.count - 1))
            if let assembled { #expect(assembled == original) }
        }
        #expect(offset == UInt64(dataBytes))
        #expect(assembler.progress == nil)
    }

    @Test func anEmptySnapshotIsOneChunkWithNoData() throws {
        let pieces = try chunks(of: snapshotMessage(byteCount: 0), chunkBytes: 1_000)
        #expect(pieces.count == 1)
        #expect(pieces[0].data.isEmpty && pieces[0].totalByteCount == 0 && pieces[0].isLast)
    }

    @Test func anExactMultipleHasNoEmptyLastChunk() throws {
        let pieces = try chunks(of: snapshotMessage(byteCount: 4_000), chunkBytes: 1_000)
        #expect(pieces.map(\.data.count) == [1_000, 1_000, 1_000, 1_000])
    }

    @Test func oneChunkAtATimeGivesTheSamePayloads() {
        let original = snapshotMessage(byteCount: 2_345)
        let all = PeerWire.snapshotChunks(of: original, transfer: 3, chunkBytes: 500)
        let single = (0..<all.count).map { PeerWire.snapshotChunk($0, of: original, transfer: 3, chunkBytes: 500) }
        #expect(single == all)
    }

    @Test func theDefaultChunkSizeIsOneMebibyteAndFitsAFrame() throws {
        let original = snapshotMessage(byteCount: 2 * PeerWire.snapshotChunkBytesDefault + 5)
        let payloads = PeerWire.snapshotChunks(of: original, transfer: 1)
        #expect(payloads.count == 3)
        #expect(payloads.allSatisfy { $0.count <= WireLimits.framePayloadByteCountMax })
        var assembler = SnapshotAssembler()
        var assembled: Message?
        for payload in payloads {
            guard case .snapshotChunk(let chunk) = try PeerWire.decode(payload) else { throw TestFailure("no chunk") }
            #expect(chunk.data.count <= PeerWire.snapshotChunkBytesDefault)
            assembled = try assembler.add(chunk)
        }
        #expect(assembled == original)
    }

    @Test func aChunkHasTheDocumentedLayout() {
        let metadata = SnapshotMetadata(
            index: LogIndex(9), term: Term(4), configuration: Configuration(voters: [NodeID(1)], learners: []))
        let original = message(.snapshot(Snapshot(metadata: metadata, data: [0xAA, 0xBB, 0xCC])))
        let payloads = PeerWire.snapshotChunks(of: original, transfer: 300, chunkBytes: 2)
        // kind 17 · from 1 · to 2 · term 3 · transfer 300 (AC 02) · index 9 · term 4 · voters (1) · learners ()
        // · offset · total · data length · data
        #expect(payloads[0] == [17, 1, 2, 3, 0xAC, 0x02, 9, 4, 1, 1, 0, 0, 3, 2, 0xAA, 0xBB])
        #expect(payloads[1] == [17, 1, 2, 3, 0xAC, 0x02, 9, 4, 1, 1, 0, 2, 3, 1, 0xCC])
    }

    @Test func aDecodedChunkReencodesToTheSameBytes() throws {
        for payload in PeerWire.snapshotChunks(of: snapshotMessage(byteCount: 777), transfer: .max, chunkBytes: 100) {
            #expect(try PeerWire.decode(payload).encoded() == payload)
        }
    }
}

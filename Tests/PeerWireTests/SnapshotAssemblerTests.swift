import PadlockTypes
import Raft
import Testing
import Wire

@testable import PeerWire

@Suite struct SnapshotAssemblerTests {
    let original = snapshotMessage(byteCount: 250)

    /// Feeds `pieces` one by one and returns what the assembler gave back or threw for each.
    func feed(_ pieces: [SnapshotChunk], into assembler: inout SnapshotAssembler) -> [Result<Message?, PeerWireError>] {
        pieces.map { piece in Result { () throws(PeerWireError) in try assembler.add(piece) } }
    }

    @Test func chunksInOrderGiveTheMessageOnlyWithTheLast() throws {
        let pieces = try chunks(of: original, chunkBytes: 100)
        var assembler = SnapshotAssembler()
        #expect(try assembler.add(pieces[0]) == nil)
        #expect(assembler.progress == .init(from: NodeID(1), transfer: 7, receivedByteCount: 100, totalByteCount: 250))
        #expect(try assembler.add(pieces[1]) == nil)
        #expect(try assembler.add(pieces[2]) == original)
        #expect(assembler.progress == nil)
    }

    @Test func aSkippedChunkIsOutOfOrderAndDiscardsTheTransfer() throws {
        let pieces = try chunks(of: original, chunkBytes: 100)
        var assembler = SnapshotAssembler()
        let results = feed([pieces[0], pieces[2], pieces[1]], into: &assembler)
        #expect(results[1] == .failure(.chunkOutOfOrder(transfer: 7, expectedOffset: 100, receivedOffset: 200)))
        #expect(results[2] == .failure(.unknownTransfer(from: NodeID(1), transfer: 7, offset: 100)))
        #expect(assembler.progress == nil)
    }

    @Test func aRepeatedChunkIsOutOfOrder() throws {
        let pieces = try chunks(of: original, chunkBytes: 100)
        var assembler = SnapshotAssembler()
        let results = feed([pieces[0], pieces[0]], into: &assembler)
        #expect(results[1] == .failure(.chunkOutOfOrder(transfer: 7, expectedOffset: 100, receivedOffset: 0)))
    }

    @Test func aTransferMustStartAtOffsetZero() throws {
        let pieces = try chunks(of: original, chunkBytes: 100)
        var assembler = SnapshotAssembler()
        #expect(throws: PeerWireError.unknownTransfer(from: NodeID(1), transfer: 7, offset: 100)) {
            try assembler.add(pieces[1])
        }
    }

    @Test(arguments: SnapshotChunk.Field.allCases)
    func aChunkThatChangesAFieldOfItsTransferIsInconsistent(_ field: SnapshotChunk.Field) throws {
        let pieces = try chunks(of: original, chunkBytes: 100)
        var changed = pieces[1]
        switch field {
        case .recipient: changed.to = NodeID(9)
        case .term: changed.term = Term(6)
        case .metadata: changed.metadata.configuration = Configuration(voters: [NodeID(1)], learners: [])
        case .totalByteCount: changed.totalByteCount = 251
        }
        var assembler = SnapshotAssembler()
        let results = feed([pieces[0], changed, pieces[2]], into: &assembler)
        #expect(results[1] == .failure(.chunkInconsistent(transfer: 7, field: field)))
        #expect(results[2] == .failure(.unknownTransfer(from: NodeID(1), transfer: 7, offset: 200)))
    }

    @Test func aSnapshotOverTheBoundIsRefusedByItsFirstChunk() throws {
        let pieces = try chunks(of: original, chunkBytes: 100)
        var assembler = SnapshotAssembler(maximumSnapshotBytes: 249)
        #expect(throws: PeerWireError.limitExceeded(.snapshotBytes, count: 250, maximum: 249)) {
            try assembler.add(pieces[0])
        }
        #expect(assembler.progress == nil)
        var exact = SnapshotAssembler(maximumSnapshotBytes: 250)
        #expect(feed(pieces, into: &exact).last == .success(original))
    }

    @Test func theDefaultBoundIsFourGibibytes() throws {
        #expect(SnapshotAssembler().maximumSnapshotBytes == 4 << 30)
        var claim = try chunks(of: original, chunkBytes: 100)[0]
        claim.totalByteCount = 4 << 30 + 1
        var assembler = SnapshotAssembler()
        #expect(throws: PeerWireError.limitExceeded(.snapshotBytes, count: 4 << 30 + 1, maximum: 4 << 30)) {
            try assembler.add(claim)
        }
    }

    @Test func aNewTransferFromTheSameSenderReplacesTheOldOne() throws {
        let first = try chunks(of: original, transfer: 1, chunkBytes: 100)
        let replacement = snapshotMessage(byteCount: 120)
        let second = try chunks(of: replacement, transfer: 2, chunkBytes: 100)
        var assembler = SnapshotAssembler()
        let results = feed([first[0], first[1], second[0], second[1]], into: &assembler)
        #expect(results == [.success(nil), .success(nil), .success(nil), .success(replacement)])
        #expect(throws: PeerWireError.unknownTransfer(from: NodeID(1), transfer: 1, offset: 200)) {
            try assembler.add(first[2])
        }
    }

    @Test func interleavedTransfersAreRefused() throws {
        let first = try chunks(of: original, transfer: 1, chunkBytes: 100)
        let second = try chunks(of: snapshotMessage(byteCount: 120), transfer: 2, chunkBytes: 100)
        var assembler = SnapshotAssembler()
        let results = feed([first[0], second[0], first[1], second[1]], into: &assembler)
        #expect(results[2] == .failure(.unknownTransfer(from: NodeID(1), transfer: 1, offset: 100)))
        // The refusal discards the transfer in progress too: the sender is confused, so neither can be trusted.
        #expect(results[3] == .failure(.unknownTransfer(from: NodeID(1), transfer: 2, offset: 100)))
    }

    @Test func anotherSendersFirstChunkTakesOver() throws {
        let stale = try chunks(of: original, transfer: 1, chunkBytes: 100)
        let fresh = snapshotMessage(byteCount: 90, from: 3, term: 6)
        let freshChunks = try chunks(of: fresh, transfer: 1, chunkBytes: 100)
        var assembler = SnapshotAssembler()
        #expect(feed([stale[0], freshChunks[0]], into: &assembler).last == .success(fresh))
    }

    @Test func anEmptyChunkInTheMiddleIsRefused() throws {
        let pieces = try chunks(of: original, chunkBytes: 100)
        var empty = pieces[1]
        empty.data = []
        var assembler = SnapshotAssembler()
        let results = feed([pieces[0], empty], into: &assembler)
        #expect(results[1] == .failure(.emptyChunk(transfer: 7, offset: 100)))
        #expect(assembler.progress == nil)
    }

    @Test func aHandBuiltChunkPastItsTotalIsRefusedNotTrusted() throws {
        var overrun = try chunks(of: original, chunkBytes: 100)[2]
        overrun.data += [1, 2]
        var assembler = SnapshotAssembler()
        #expect(throws: PeerWireError.chunkOverrun(transfer: 7, offset: 200, byteCount: 52, totalByteCount: 250)) {
            try assembler.add(overrun)
        }
    }

    @Test func afterARefusalAFreshTransferAssembles() throws {
        let pieces = try chunks(of: original, chunkBytes: 100)
        var assembler = SnapshotAssembler()
        let results = feed([pieces[0], pieces[2]] + pieces, into: &assembler)
        #expect(results.last == .success(original))
        #expect(results.count(where: { if case .failure = $0 { true } else { false } }) == 1)
    }

    @Test func discardDropsTheTransferInProgress() throws {
        let pieces = try chunks(of: original, chunkBytes: 100)
        var assembler = SnapshotAssembler()
        _ = try assembler.add(pieces[0])
        assembler.discard()
        #expect(assembler.progress == nil)
        #expect(throws: PeerWireError.unknownTransfer(from: NodeID(1), transfer: 7, offset: 100)) {
            try assembler.add(pieces[1])
        }
    }
}

import PadlockTypes
import Raft

// SnapshotChunk = from varint · to varint · term varint · transfer varint
//                 · index varint · snapshot term varint · Configuration
//                 · offset varint · total varint · data bytes(chunkDataByteCountMax)
//
// Every chunk repeats the message header and the metadata, so that each one can be checked on its own and the
// receiver never has to trust state it has not seen in the current chunk.

/// One piece of a snapshot message, as it travels in a payload of kind ``PeerPayloadKind/snapshotChunk``.
///
/// A snapshot can be far larger than a frame, so `Message.Kind.snapshot` never travels whole: the sender cuts it
/// with ``PeerWire/snapshotChunks(of:transfer:chunkBytes:)`` and the receiver puts it back together with a
/// ``SnapshotAssembler``.
package struct SnapshotChunk: Hashable, Sendable {
    /// A field that every chunk of one transfer must repeat unchanged.
    package enum Field: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        /// ``SnapshotChunk/to``.
        case recipient
        /// ``SnapshotChunk/term``.
        case term
        /// ``SnapshotChunk/metadata``.
        case metadata
        /// ``SnapshotChunk/totalByteCount``.
        case totalByteCount

        /// The field's name, for logs.
        package var description: String {
            switch self {
            case .recipient: "recipient"
            case .term: "term"
            case .metadata: "snapshot metadata"
            case .totalByteCount: "total length"
            }
        }
    }

    /// The sender of the snapshot message.
    package var from: NodeID
    /// The recipient of the snapshot message.
    package var to: NodeID
    /// The sender's term.
    package var term: Term
    /// The sender's number for this transfer; a new number from the same sender starts a new transfer.
    package var transfer: UInt64
    /// What the snapshot covers, repeated in every chunk.
    package var metadata: SnapshotMetadata
    /// Where `data` starts in the snapshot's data.
    package var offset: UInt64
    /// The length of the whole snapshot's data.
    package var totalByteCount: UInt64
    /// This chunk's part of the snapshot's data.
    package var data: [UInt8]

    /// Whether the chunk ends where the snapshot's data ends.
    package var isLast: Bool { offset <= totalByteCount && totalByteCount - offset == UInt64(data.count) }

    /// The frame payload: the kind byte, then the chunk.
    ///
    /// A chunk whose data reaches past `totalByteCount`, or whose payload would break `limits` (those of the
    /// receiver), is a programmer error: the receiver would refuse it.
    package func encoded(limits: PeerWireLimits = .default) -> [UInt8] {
        precondition(
            offset <= totalByteCount && UInt64(data.count) <= totalByteCount - offset,
            "snapshot chunk at offset \(offset) of \(data.count) bytes ends past its total of \(totalByteCount)")
        let header = ChunkHeader(
            from: from, to: to, term: term, transfer: transfer, metadata: metadata, totalByteCount: totalByteCount)
        return header.payload(offset: offset, data: data[...], limits: limits)
    }
}

/// The fields every chunk of one transfer repeats; the sender writes them once per chunk from one value.
struct ChunkHeader {
    var from: NodeID
    var to: NodeID
    var term: Term
    var transfer: UInt64
    var metadata: SnapshotMetadata
    var totalByteCount: UInt64

    /// The whole payload of the chunk holding `data` at `offset`, written into one buffer of the exact size.
    func payload(offset: UInt64, data: ArraySlice<UInt8>, limits: PeerWireLimits) -> [UInt8] {
        precondition(
            data.count <= limits.chunkDataByteCountMax,
            "a snapshot chunk of \(data.count) bytes, but receivers accept at most \(limits.chunkDataByteCountMax)")
        let size = byteCount(offset: offset, dataByteCount: data.count, limits: limits)
        precondition(
            size <= limits.framePayloadByteCountMax,
            "a snapshot chunk payload of \(size) bytes exceeds the frame limit of \(limits.framePayloadByteCountMax)")
        let bytes = ByteWriter.tagged(PeerPayloadKind.snapshotChunk, capacity: size) { writer in
            writer.writeVarint(from.rawValue)
            writer.writeVarint(to.rawValue)
            writer.writeVarint(term.rawValue)
            writer.writeVarint(transfer)
            writer.writeVarint(metadata.index.rawValue)
            writer.writeVarint(metadata.term.rawValue)
            writer.writeConfiguration(metadata.configuration)
            writer.writeVarint(offset)
            writer.writeVarint(totalByteCount)
            writer.writeBytes(data)
        }
        precondition(bytes.count == size, "snapshot chunk sized as \(size) bytes but written as \(bytes.count)")
        return bytes
    }

    private func byteCount(offset: UInt64, dataByteCount: Int, limits: PeerWireLimits) -> Int {
        let numbers = [
            from.rawValue, to.rawValue, term.rawValue, transfer, metadata.index.rawValue,
            metadata.term.rawValue, offset, totalByteCount,
        ]
        var size = 1 + EncodedSize.configuration(metadata.configuration, limits: limits)
        for number in numbers { size += EncodedSize.varint(number) }
        return size + EncodedSize.bytes(dataByteCount)
    }
}

extension PeerReader {
    /// Reads a chunk body, refusing data that reaches past the snapshot's total length.
    mutating func readSnapshotChunk() throws(PeerWireError) -> SnapshotChunk {
        let from = try nodeID()
        let to = try nodeID()
        let chunkTerm = try term()
        let transfer = try varint()
        let metadata = SnapshotMetadata(index: try logIndex(), term: try term(), configuration: try readConfiguration())
        let offset = try varint()
        let total = try varint()
        let data = try bytes(of: .chunkDataBytes, maximum: limits.chunkDataByteCountMax)
        guard offset <= total && UInt64(data.count) <= total - offset else {
            throw .chunkOverrun(transfer: transfer, offset: offset, byteCount: data.count, totalByteCount: total)
        }
        return SnapshotChunk(
            from: from, to: to, term: chunkTerm, transfer: transfer, metadata: metadata, offset: offset,
            totalByteCount: total, data: data)
    }
}

import PadlockTypes
import Raft

/// Puts snapshot messages back together from their chunks, checking every chunk as it arrives.
///
/// A pure value: feed it the ``SnapshotChunk``s that ``PeerWire/decode(_:limits:)`` returns, in the order they
/// arrived, and step the message it gives back when the last chunk is in. Keep one per peer connection.
///
/// It holds at most one transfer, named by its sender and transfer number. A chunk at offset 0 of another
/// transfer starts that one and drops the one in progress (the sender gave up on it, or a new leader took
/// over). Every later chunk of a transfer must start where the previous one ended and repeat its recipient,
/// term, metadata and total length. Any refused chunk throws and discards the transfer in progress; the
/// sender learns of it when its transport reports the snapshot as failed, and retries with a new transfer.
package struct SnapshotAssembler: Sendable {
    /// How far one transfer has got.
    package struct Progress: Hashable, Sendable {
        /// The node sending the snapshot.
        package var from: NodeID
        /// The sender's number for the transfer.
        package var transfer: UInt64
        /// Bytes of data received so far.
        package var receivedByteCount: UInt64
        /// Bytes of data in the whole snapshot.
        package var totalByteCount: UInt64
    }

    /// The default bound on a snapshot's data: 4 GiB.
    package static let maximumSnapshotBytesDefault = 4 << 30

    /// The largest snapshot data accepted, in bytes; a first chunk announcing more is refused before any data
    /// is kept.
    package let maximumSnapshotBytes: Int
    private var transfer: Transfer?

    /// Creates an assembler with no transfer in progress.
    package init(maximumSnapshotBytes: Int = maximumSnapshotBytesDefault) {
        precondition(maximumSnapshotBytes >= 0, "a negative snapshot bound: \(maximumSnapshotBytes)")
        self.maximumSnapshotBytes = maximumSnapshotBytes
    }

    /// The transfer in progress, if any.
    package var progress: Progress? {
        transfer.map {
            Progress(
                from: $0.from, transfer: $0.id, receivedByteCount: UInt64($0.data.count),
                totalByteCount: $0.totalByteCount)
        }
    }

    /// Takes the next chunk; returns the whole snapshot message when `chunk` completes it, nil while more are
    /// needed. A refused chunk throws and discards the transfer in progress.
    package mutating func add(_ chunk: SnapshotChunk) throws(PeerWireError) -> Message? {
        do {
            try accept(chunk)
        } catch {
            transfer = nil
            throw error
        }
        guard transfer?.isComplete == true, let done = transfer else { return nil }
        // Dropping our reference first leaves `done` the data's only owner: the message takes it without a copy.
        transfer = nil
        return done.message
    }

    /// Drops the transfer in progress, if any; for a connection that closed mid-transfer.
    package mutating func discard() {
        transfer = nil
    }

    private mutating func accept(_ chunk: SnapshotChunk) throws(PeerWireError) {
        guard chunk.offset <= chunk.totalByteCount && UInt64(chunk.data.count) <= chunk.totalByteCount - chunk.offset
        else {
            throw .chunkOverrun(
                transfer: chunk.transfer, offset: chunk.offset, byteCount: chunk.data.count,
                totalByteCount: chunk.totalByteCount)
        }
        if chunk.data.isEmpty && chunk.totalByteCount > 0 {
            throw .emptyChunk(transfer: chunk.transfer, offset: chunk.offset)
        }
        if transfer?.from == chunk.from && transfer?.id == chunk.transfer {
            // Mutating through the optional keeps the data uniquely owned, so appending never copies it.
            try transfer?.append(chunk)
            return
        }
        guard chunk.offset == 0 else {
            throw .unknownTransfer(from: chunk.from, transfer: chunk.transfer, offset: chunk.offset)
        }
        guard chunk.totalByteCount <= UInt64(maximumSnapshotBytes) else {
            throw .limitExceeded(.snapshotBytes, count: chunk.totalByteCount, maximum: maximumSnapshotBytes)
        }
        transfer = Transfer(first: chunk)
    }
}

/// One transfer in progress: what its first chunk said, and the data so far.
private struct Transfer: Sendable {
    let from: NodeID
    let id: UInt64
    let to: NodeID
    let term: Term
    let metadata: SnapshotMetadata
    let totalByteCount: UInt64
    var data: [UInt8]

    init(first chunk: SnapshotChunk) {
        from = chunk.from
        id = chunk.transfer
        to = chunk.to
        term = chunk.term
        metadata = chunk.metadata
        totalByteCount = chunk.totalByteCount
        // Grown as chunks arrive rather than reserved from the announced total, which a peer could inflate.
        data = chunk.data
    }

    var isComplete: Bool { UInt64(data.count) == totalByteCount }

    var message: Message {
        Message(from: from, to: to, term: term, kind: .snapshot(Snapshot(metadata: metadata, data: data)))
    }

    /// Appends the next chunk of this transfer after checking that it continues it.
    mutating func append(_ chunk: SnapshotChunk) throws(PeerWireError) {
        let expected = UInt64(data.count)
        guard chunk.offset == expected else {
            throw .chunkOutOfOrder(transfer: id, expectedOffset: expected, receivedOffset: chunk.offset)
        }
        if let field = firstMismatch(in: chunk) { throw .chunkInconsistent(transfer: id, field: field) }
        data.append(contentsOf: chunk.data)
    }

    /// The first field `chunk` does not repeat from the transfer's first chunk; metadata, the costliest to
    /// compare, last.
    private func firstMismatch(in chunk: SnapshotChunk) -> SnapshotChunk.Field? {
        if chunk.to != to { return .recipient }
        if chunk.term != term { return .term }
        if chunk.totalByteCount != totalByteCount { return .totalByteCount }
        if chunk.metadata != metadata { return .metadata }
        return nil
    }
}

import PadlockTypes
import Raft

extension PeerWire {
    /// The chunk payloads that carry snapshot `message`, in the order they must be sent.
    ///
    /// Each chunk holds `chunkBytes` of the data (the last one the rest), the message header, `transfer` and
    /// the whole metadata; an empty snapshot is one chunk with no data. `transfer` is the sender's own number
    /// for this attempt: a receiver treats a new number from the same sender as a new transfer, so a retry
    /// after `reportSnapshot(.failed)` should use a new one. A message that is not a snapshot, or a chunk size
    /// outside `1...PeerWireLimits.default.chunkDataByteCountMax`, is a programmer error.
    ///
    /// This holds every payload in memory at once, a second copy of the data; a transport that streams under
    /// back-pressure encodes one chunk at a time with ``snapshotChunk(_:of:transfer:chunkBytes:)`` instead.
    package static func snapshotChunks(
        of message: Message, transfer: UInt64, chunkBytes: Int = snapshotChunkBytesDefault
    ) -> [[UInt8]] {
        let count = snapshotChunkCount(of: message, chunkBytes: chunkBytes)
        return (0..<count).map { snapshotChunk($0, of: message, transfer: transfer, chunkBytes: chunkBytes) }
    }

    /// How many chunks ``snapshotChunks(of:transfer:chunkBytes:)`` cuts snapshot `message` into: at least one.
    package static func snapshotChunkCount(of message: Message, chunkBytes: Int = snapshotChunkBytesDefault) -> Int {
        let snapshot = snapshot(in: message, chunkBytes: chunkBytes)
        return max(1, (snapshot.data.count + chunkBytes - 1) / chunkBytes)
    }

    /// The payload of chunk `number` (counting from zero) of snapshot `message`, exactly as
    /// ``snapshotChunks(of:transfer:chunkBytes:)`` would give it.
    package static func snapshotChunk(
        _ number: Int, of message: Message, transfer: UInt64, chunkBytes: Int = snapshotChunkBytesDefault
    ) -> [UInt8] {
        let snapshot = snapshot(in: message, chunkBytes: chunkBytes)
        let count = max(1, (snapshot.data.count + chunkBytes - 1) / chunkBytes)
        precondition(number >= 0 && number < count, "chunk \(number) of a snapshot cut into \(count) chunks")
        let start = number * chunkBytes
        let end = min(snapshot.data.count, start + chunkBytes)
        let header = ChunkHeader(
            from: message.from, to: message.to, term: message.term, transfer: transfer,
            metadata: snapshot.metadata, totalByteCount: UInt64(snapshot.data.count))
        return header.payload(offset: UInt64(start), data: snapshot.data[start..<end], limits: .default)
    }

    private static func snapshot(in message: Message, chunkBytes: Int) -> Snapshot {
        guard case .snapshot(let snapshot) = message.kind else {
            preconditionFailure("snapshotChunks called for a \(message.kind) message, which is not a snapshot")
        }
        let maximum = PeerWireLimits.default.chunkDataByteCountMax
        precondition(
            chunkBytes >= 1 && chunkBytes <= maximum,
            "a snapshot chunk size of \(chunkBytes) bytes is outside 1...\(maximum)")
        return snapshot
    }
}

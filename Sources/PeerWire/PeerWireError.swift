import PadlockTypes
import Raft
import Wire

/// Why a peer payload could not be decoded, or why a snapshot chunk was refused.
///
/// Every decoder in this module and ``SnapshotAssembler`` throw only this type; no input makes either trap.
/// A decode error closes the peer connection with ``description`` as the logged reason; an assembler error
/// discards the snapshot transfer in progress and the leader retries after `reportSnapshot(.failed)`.
package enum PeerWireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The bytes break the primitive encoding: truncated (including a count the remaining bytes cannot
    /// hold), an overlong varint, a bad bool, an unknown tag, bytes after the message, or a value that breaks
    /// a rule of its type (an empty batch, a configuration list out of order).
    case malformed(DecodeError)
    /// A handshake or handshake answer that `Wire` refused; the node answers a `versionMismatch` with
    /// `HandshakeAnswer.refusal(for:)`.
    case handshake(WireError)
    /// The payload's first byte names no message kind at all.
    case unknownPayloadKind(UInt8)
    /// A client request or response arrived on a peer connection.
    case clientMessage(MessageKind)
    /// A count or length is over its bound: which bound, the count received and the maximum.
    case limitExceeded(PeerWireLimit, count: UInt64, maximum: Int)
    /// A batch holds a snapshot message (tag 9), which only ever travels in chunks; `offset` is the tag's byte.
    case snapshotInBatch(offset: Int)
    /// A chunk's data reaches past the snapshot's total length.
    case chunkOverrun(transfer: UInt64, offset: UInt64, byteCount: Int, totalByteCount: UInt64)
    /// A chunk with no data in a snapshot that is not empty: it would not advance the transfer.
    case emptyChunk(transfer: UInt64, offset: UInt64)
    /// A chunk of the transfer in progress that does not start where the previous one ended.
    case chunkOutOfOrder(transfer: UInt64, expectedOffset: UInt64, receivedOffset: UInt64)
    /// A chunk whose recipient, term, metadata or total length differs from the transfer's first chunk.
    case chunkInconsistent(transfer: UInt64, field: SnapshotChunk.Field)
    /// A chunk past the first of a transfer that is not in progress: it was never started, was discarded
    /// after an error, was replaced by a newer one, or has already completed.
    case unknownTransfer(from: NodeID, transfer: UInt64, offset: UInt64)

    /// A sentence naming what was wrong, for logs.
    package var description: String {
        switch self {
        case .malformed(let error):
            "malformed peer message: \(error)"
        case .handshake(let error):
            "refused handshake on the peer connection: \(error)"
        case .unknownPayloadKind(let kind):
            "unknown payload kind \(kind) on the peer connection"
        case .clientMessage(let kind):
            "a \(kind) message arrived on the peer connection; clients must use the client port"
        case .limitExceeded(let limit, let count, let maximum):
            "\(count) \(limit) received, but at most \(maximum) are accepted"
        case .snapshotInBatch(let offset):
            "a snapshot message inside a batch at byte \(offset); snapshots travel only in chunks"
        case .chunkOverrun(let transfer, let offset, let byteCount, let total):
            "snapshot transfer \(transfer): a chunk of \(byteCount) bytes at offset \(offset) "
                + "ends past the total of \(total) bytes"
        case .emptyChunk(let transfer, let offset):
            "snapshot transfer \(transfer): an empty chunk at offset \(offset) of a snapshot that is not empty"
        case .chunkOutOfOrder(let transfer, let expected, let received):
            "snapshot transfer \(transfer): chunk at offset \(received) where offset \(expected) was expected; "
                + "the transfer is discarded"
        case .chunkInconsistent(let transfer, let field):
            "snapshot transfer \(transfer): a chunk's \(field) differs from the first chunk's; "
                + "the transfer is discarded"
        case .unknownTransfer(let from, let transfer, let offset):
            "snapshot transfer \(transfer) from node \(from): chunk at offset \(offset) "
                + "of a transfer that is not in progress"
        }
    }
}

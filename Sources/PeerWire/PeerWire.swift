import PadlockTypes
import Raft
import Wire

/// The peer wire: the byte encoding of everything nodes send each other after the handshake.
///
/// A frame payload of kind ``PeerPayloadKind/raftMessages`` (16) carries a batch of Raft messages, everything
/// queued for one peer; one of kind ``PeerPayloadKind/snapshotChunk`` (17) carries a piece of a snapshot,
/// which never travels in a batch because it can be far larger than a frame. Frames are `Wire`'s
/// (`FrameSplitter`), and the connection opens with `Wire`'s `Handshake`. Every decoder is bounded by
/// ``PeerWireLimits``, throws only ``PeerWireError`` and is canonical: an accepted payload re-encodes to
/// exactly its bytes. `docs/wire.md` ("Peer messages") has the layouts.
package enum PeerWire {
    /// The default data length of one snapshot chunk: 1 MiB, a quarter of the default frame limit.
    package static let snapshotChunkBytesDefault = 1 << 20

    /// The payload carrying `messages` in one batch, encoded into one buffer sized exactly up front.
    ///
    /// Programmer errors, checked with `precondition`: an empty batch, a snapshot message (send it with
    /// ``snapshotChunks(of:transfer:chunkBytes:)``), and anything the receiver's `limits` refuse, the payload
    /// size included (use ``encodeBatches(_:limits:)`` when the messages may not fit one frame).
    package static func encodeBatch(_ messages: [Message], limits: PeerWireLimits = .default) -> [UInt8] {
        var bodyByteCount = 0
        for message in messages { bodyByteCount += EncodedSize.message(message, limits: limits) }
        return encodeBatch(messages[...], bodyByteCount: bodyByteCount, limits: limits)
    }

    /// The payloads carrying `messages` in order, as few as the receiver's `limits` allow: each holds as many
    /// messages as fit its frame and the batch count bound. No messages give no payloads.
    ///
    /// A single message too large for a frame on its own is a programmer error.
    package static func encodeBatches(_ messages: [Message], limits: PeerWireLimits = .default) -> [[UInt8]] {
        var payloads: [[UInt8]] = []
        var start = messages.startIndex
        var bodyByteCount = 0
        for index in messages.indices {
            let size = EncodedSize.message(messages[index], limits: limits)
            let count = index - start
            let payloadByteCount = 1 + EncodedSize.varint(UInt64(count + 1)) + bodyByteCount + size
            let full = count == limits.messageCountPerBatchMax || payloadByteCount > limits.framePayloadByteCountMax
            if count > 0 && full {
                payloads.append(encodeBatch(messages[start..<index], bodyByteCount: bodyByteCount, limits: limits))
                start = index
                bodyByteCount = 0
            }
            bodyByteCount += size
        }
        if start < messages.endIndex {
            payloads.append(encodeBatch(messages[start...], bodyByteCount: bodyByteCount, limits: limits))
        }
        return payloads
    }

    /// Decodes one frame payload from a peer connection, or says exactly what is wrong with it.
    ///
    /// Kinds 16 and 17 are decoded here within `limits`; a handshake or answer (kinds 1 and 2) by `Wire`, its
    /// error wrapped in ``PeerWireError/handshake(_:)``. Client traffic (kinds 3 and 4) is
    /// ``PeerWireError/clientMessage(_:)`` and any other kind ``PeerWireError/unknownPayloadKind(_:)``.
    package static func decode(
        _ payload: [UInt8], limits: PeerWireLimits = .default
    ) throws(PeerWireError) -> PeerPayload {
        guard let first = payload.first else { throw .malformed(.truncated(offset: 0, needed: 1, available: 0)) }
        if let kind = PeerPayloadKind(rawValue: first) {
            var reader = PeerReader(payload, limits: limits)
            _ = try reader.byte()
            let decoded: PeerPayload
            switch kind {
            case .raftMessages: decoded = .messages(try reader.readBatch())
            case .snapshotChunk: decoded = .snapshotChunk(try reader.readSnapshotChunk())
            case .peerChallenge: decoded = .challenge(try reader.readChallenge())
            case .peerChallengeResponse: decoded = .challengeResponse(try reader.readChallengeResponse())
            case .peerIdentity: decoded = .identity(try reader.readIdentity())
            case .clockReading: decoded = .clockReading(try reader.readClockReading())
            }
            try reader.expectEnd()
            return decoded
        }
        switch MessageKind(rawValue: first) {
        case .handshake:
            do { return .handshake(try Handshake(decoding: payload)) } catch { throw .handshake(error) }
        case .handshakeAnswer:
            do { return .handshakeAnswer(try HandshakeAnswer(decoding: payload)) } catch { throw .handshake(error) }
        case .some(let kind):
            throw .clientMessage(kind)
        case nil:
            throw .unknownPayloadKind(first)
        }
    }

    /// Writes a batch whose messages' sizes add up to `bodyByteCount`.
    private static func encodeBatch(
        _ messages: ArraySlice<Message>, bodyByteCount: Int, limits: PeerWireLimits
    ) -> [UInt8] {
        precondition(!messages.isEmpty, "an empty batch of Raft messages: send nothing instead")
        precondition(
            messages.count <= limits.messageCountPerBatchMax,
            "a batch of \(messages.count) messages, but receivers accept at most \(limits.messageCountPerBatchMax)")
        let size = 1 + EncodedSize.varint(UInt64(messages.count)) + bodyByteCount
        precondition(
            size <= limits.framePayloadByteCountMax,
            "a batch payload of \(size) bytes exceeds the frame limit of \(limits.framePayloadByteCountMax)")
        let bytes = ByteWriter.tagged(PeerPayloadKind.raftMessages, capacity: size) { writer in
            writer.writeVarint(UInt64(messages.count))
            for message in messages { writer.writeMessage(message) }
        }
        precondition(bytes.count == size, "a batch sized as \(size) bytes was written as \(bytes.count)")
        return bytes
    }
}

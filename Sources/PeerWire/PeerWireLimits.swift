import Wire

/// Bounds the peer decoders enforce, so that whatever a peer sends, a decoder never holds more than they allow.
///
/// A count or length over one of these is ``PeerWireError/limitExceeded(_:count:maximum:)``, checked before
/// anything is allocated; a count the remaining bytes cannot hold is a truncation, also before allocating.
/// Encoders check the same bounds with a `precondition`: sending bytes the receiver must refuse is a bug.
package struct PeerWireLimits: Hashable, Sendable {
    /// Most Raft messages one batch payload may carry.
    package var messageCountPerBatchMax: Int
    /// Most entries one append message may carry.
    package var entryCountPerAppendMax: Int
    /// Longest data of one entry, in bytes.
    package var entryDataByteCountMax: Int
    /// Longest data of one snapshot chunk, in bytes.
    package var chunkDataByteCountMax: Int
    /// Most node ids in each list of a configuration (voters, learners).
    package var memberCountMax: Int
    /// Largest payload an encoder may produce, in bytes: the frame limit of the receiving side.
    package var framePayloadByteCountMax: Int

    /// Creates limits; every default suits a production cluster.
    package init(
        messageCountPerBatchMax: Int = 4096,
        entryCountPerAppendMax: Int = 4096,
        entryDataByteCountMax: Int = WireLimits.framePayloadByteCountMax,
        chunkDataByteCountMax: Int = WireLimits.framePayloadByteCountMax,
        memberCountMax: Int = 1024,
        framePayloadByteCountMax: Int = WireLimits.framePayloadByteCountMax
    ) {
        let all = [
            messageCountPerBatchMax, entryCountPerAppendMax, entryDataByteCountMax, chunkDataByteCountMax,
            memberCountMax, framePayloadByteCountMax,
        ]
        precondition(
            all.allSatisfy { $0 >= 1 && $0 <= Int(UInt32.max) },
            "every peer wire limit must be in 1...\(UInt32.max), got \(all)")
        self.messageCountPerBatchMax = messageCountPerBatchMax
        self.entryCountPerAppendMax = entryCountPerAppendMax
        self.entryDataByteCountMax = entryDataByteCountMax
        self.chunkDataByteCountMax = chunkDataByteCountMax
        self.memberCountMax = memberCountMax
        self.framePayloadByteCountMax = framePayloadByteCountMax
    }

    /// The production limits.
    package static let `default` = PeerWireLimits()
}

/// Which bound of ``PeerWireLimits`` (or of a ``SnapshotAssembler``) an input broke.
package enum PeerWireLimit: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// ``PeerWireLimits/messageCountPerBatchMax``.
    case messagesPerBatch
    /// ``PeerWireLimits/entryCountPerAppendMax``.
    case entriesPerAppend
    /// ``PeerWireLimits/entryDataByteCountMax``.
    case entryDataBytes
    /// ``PeerWireLimits/chunkDataByteCountMax``.
    case chunkDataBytes
    /// ``PeerWireLimits/memberCountMax``.
    case configurationMembers
    /// ``SnapshotAssembler/maximumSnapshotBytes``.
    case snapshotBytes

    /// What is counted, in words.
    package var description: String {
        switch self {
        case .messagesPerBatch: "messages in a batch"
        case .entriesPerAppend: "entries in an append"
        case .entryDataBytes: "bytes of entry data"
        case .chunkDataBytes: "bytes of snapshot chunk data"
        case .configurationMembers: "node ids in a configuration list"
        case .snapshotBytes: "bytes of snapshot data"
        }
    }
}

import PadlockTypes
import Raft

// The layout of one Raft message inside a batch (docs/wire.md, "Peer messages"):
//
//     Message = from varint · to varint · term varint · kind tag · fields of the kind
//     Entry   = term varint · index varint · kind tag (Entry.Kind's raw value) · data bytes
//
// Sizes are computed exactly before writing, so a batch is encoded into one buffer allocated once.

/// The one-byte tag of each `Message.Kind` case. Tag 9 is the snapshot's, which never travels in a batch.
enum MessageTag: UInt8 {
    case preVote = 1
    case preVoteResponse = 2
    case vote = 3
    case voteResponse = 4
    case append = 5
    case appendResponse = 6
    case heartbeat = 7
    case heartbeatResponse = 8
    case snapshot = 9
    case timeoutNow = 10
}

/// Exact encoded sizes, in bytes.
enum EncodedSize {
    /// The smallest message: three one-byte varints and a tag (`timeoutNow` with small numbers).
    static let messageMin = 4
    /// The smallest entry: two one-byte varints, a tag and an empty data length.
    static let entryMin = 4

    /// The bytes of `value` as a varint.
    @inline(__always)
    static func varint(_ value: UInt64) -> Int {
        // Seven bits per byte; zero still takes one byte.
        value == 0 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7
    }

    /// The bytes of a length or count prefix followed by `count` bytes.
    @inline(__always)
    static func bytes(_ count: Int) -> Int { varint(UInt64(count)) + count }

    /// The bytes of `message` inside a batch; checks the bounds a receiver with `limits` enforces.
    static func message(_ message: Message, limits: PeerWireLimits) -> Int {
        let header = varint(message.from.rawValue) + varint(message.to.rawValue) + varint(message.term.rawValue) + 1
        switch message.kind {
        case .preVote(let lastIndex, let lastTerm):
            return header + varint(lastIndex.rawValue) + varint(lastTerm.rawValue)
        case .vote(let lastIndex, let lastTerm, _):
            return header + varint(lastIndex.rawValue) + varint(lastTerm.rawValue) + 1
        case .preVoteResponse, .voteResponse:
            return header + 1
        case .append(let prevIndex, let prevTerm, let entries, let commit):
            precondition(
                entries.count <= limits.entryCountPerAppendMax,
                "an append of \(entries.count) entries, but receivers accept at most \(limits.entryCountPerAppendMax)")
            var size = header + varint(prevIndex.rawValue) + varint(prevTerm.rawValue) + varint(commit.rawValue)
            size += varint(UInt64(entries.count))
            for entry in entries { size += self.entry(entry, limits: limits) }
            return size
        case .appendResponse(let index, _, let hintIndex, let hintTerm):
            return header + varint(index.rawValue) + 1 + varint(hintIndex.rawValue) + varint(hintTerm.rawValue)
        case .heartbeat(let commit, let round):
            return header + varint(commit.rawValue) + varint(round)
        case .heartbeatResponse(let round, let lastIndex):
            return header + varint(round) + varint(lastIndex.rawValue)
        case .snapshot:
            preconditionFailure(
                "snapshot message \(message.from)->\(message.to) in a batch: send it with PeerWire.snapshotChunks")
        case .timeoutNow:
            return header
        }
    }

    /// The bytes of `entry`; checks its data against `limits`.
    @inline(__always)
    static func entry(_ entry: Entry, limits: PeerWireLimits) -> Int {
        precondition(
            entry.data.count <= limits.entryDataByteCountMax,
            "entry \(entry.index) holds \(entry.data.count) bytes, but receivers accept at most "
                + "\(limits.entryDataByteCountMax)")
        return varint(entry.term.rawValue) + varint(entry.index.rawValue) + 1 + bytes(entry.data.count)
    }
}

extension ByteWriter {
    /// Writes one message of a batch; the caller has sized the buffer and checked the bounds.
    mutating func writeMessage(_ message: Message) {
        writeVarint(message.from.rawValue)
        writeVarint(message.to.rawValue)
        writeVarint(message.term.rawValue)
        switch message.kind {
        case .preVote(let lastIndex, let lastTerm):
            writeTag(.preVote)
            writeVarint(lastIndex.rawValue)
            writeVarint(lastTerm.rawValue)
        case .preVoteResponse(let granted):
            writeTag(.preVoteResponse)
            writeBool(granted)
        case .vote(let lastIndex, let lastTerm, let transfer):
            writeTag(.vote)
            writeVarint(lastIndex.rawValue)
            writeVarint(lastTerm.rawValue)
            writeBool(transfer)
        case .voteResponse(let granted):
            writeTag(.voteResponse)
            writeBool(granted)
        case .append(let prevIndex, let prevTerm, let entries, let commit):
            writeTag(.append)
            writeVarint(prevIndex.rawValue)
            writeVarint(prevTerm.rawValue)
            writeVarint(UInt64(entries.count))
            for entry in entries { writeEntry(entry) }
            writeVarint(commit.rawValue)
        case .appendResponse(let index, let rejected, let hintIndex, let hintTerm):
            writeTag(.appendResponse)
            writeVarint(index.rawValue)
            writeBool(rejected)
            writeVarint(hintIndex.rawValue)
            writeVarint(hintTerm.rawValue)
        case .heartbeat(let commit, let round):
            writeTag(.heartbeat)
            writeVarint(commit.rawValue)
            writeVarint(round)
        case .heartbeatResponse(let round, let lastIndex):
            writeTag(.heartbeatResponse)
            writeVarint(round)
            writeVarint(lastIndex.rawValue)
        case .snapshot:
            preconditionFailure("snapshot message \(message.from)->\(message.to) in a batch")
        case .timeoutNow:
            writeTag(.timeoutNow)
        }
    }

    @inline(__always)
    private mutating func writeTag(_ tag: MessageTag) { writeUInt8(tag.rawValue) }

    @inline(__always)
    private mutating func writeEntry(_ entry: Entry) {
        writeVarint(entry.term.rawValue)
        writeVarint(entry.index.rawValue)
        writeUInt8(entry.kind.rawValue)
        writeBytes(entry.data)
    }
}

extension PeerReader {
    /// Reads a batch body: a count of at least one message, then the messages.
    mutating func readBatch() throws(PeerWireError) -> [Message] {
        let start = offset
        let count = try count(
            of: .messagesPerBatch, maximum: limits.messageCountPerBatchMax,
            minimumElementByteCount: EncodedSize.messageMin)
        guard count > 0 else { throw Self.invalid(at: start, "a batch holds at least one message") }
        var messages: [Message] = []
        messages.reserveCapacity(count)
        for _ in 0..<count { messages.append(try readMessage()) }
        return messages
    }

    /// Reads one message of a batch.
    mutating func readMessage() throws(PeerWireError) -> Message {
        let from = try nodeID()
        let to = try nodeID()
        let messageTerm = try term()
        let tagOffset = offset
        let kind: Message.Kind
        switch try tag(MessageTag.self, named: "Message.Kind") {
        case .preVote: kind = .preVote(lastIndex: try logIndex(), lastTerm: try term())
        case .preVoteResponse: kind = .preVoteResponse(granted: try bool())
        case .vote: kind = .vote(lastIndex: try logIndex(), lastTerm: try term(), transfer: try bool())
        case .voteResponse: kind = .voteResponse(granted: try bool())
        case .append: kind = try readAppend()
        case .appendResponse:
            kind = .appendResponse(
                index: try logIndex(), rejected: try bool(), hintIndex: try logIndex(), hintTerm: try term())
        case .heartbeat: kind = .heartbeat(commit: try logIndex(), round: try varint())
        case .heartbeatResponse: kind = .heartbeatResponse(round: try varint(), lastIndex: try logIndex())
        case .snapshot: throw .snapshotInBatch(offset: tagOffset)
        case .timeoutNow: kind = .timeoutNow
        }
        return Message(from: from, to: to, term: messageTerm, kind: kind)
    }

    private mutating func readAppend() throws(PeerWireError) -> Message.Kind {
        let prevIndex = try logIndex()
        let prevTerm = try term()
        let count = try count(
            of: .entriesPerAppend, maximum: limits.entryCountPerAppendMax,
            minimumElementByteCount: EncodedSize.entryMin)
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let entryTerm = try term()
            let index = try logIndex()
            let kind = try tag(Entry.Kind.self, named: "Entry.Kind")
            let data = try bytes(of: .entryDataBytes, maximum: limits.entryDataByteCountMax)
            entries.append(Entry(term: entryTerm, index: index, kind: kind, data: data))
        }
        return .append(prevIndex: prevIndex, prevTerm: prevTerm, entries: entries, commit: try logIndex())
    }
}

import PadlockTypes
import Raft
import Testing
import Wire

@testable import PeerWire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Seeds for the randomized tests. A failure message names the seed; pin it here as a regression when one fails.
let propertySeeds: [UInt64] = [1, 2, 3, 0xDEAD_BEEF]

/// Whether `PADLOCK_LONG=1` asks for the long runs.
var isLongRun: Bool {
    guard let raw = getenv("PADLOCK_LONG") else { return false }
    return String(cString: raw) == "1"
}

/// A message with small header numbers, for hand-checked cases.
func message(_ kind: Message.Kind, from: UInt64 = 1, to: UInt64 = 2, term: UInt64 = 3) -> Message {
    Message(from: NodeID(from), to: NodeID(to), term: Term(term), kind: kind)
}

/// One message of every kind a batch may carry, with numbers at varint boundaries and entries of every kind.
let everyBatchableMessage: [Message] = [
    message(.preVote(lastIndex: LogIndex(127), lastTerm: Term(128))),
    message(.preVoteResponse(granted: true)),
    message(.preVoteResponse(granted: false)),
    message(.vote(lastIndex: LogIndex(16_384), lastTerm: Term(.max), transfer: true)),
    message(.vote(lastIndex: .zero, lastTerm: .zero, transfer: false)),
    message(.voteResponse(granted: true)),
    message(.append(prevIndex: LogIndex(41), prevTerm: Term(2), entries: [], commit: LogIndex(40))),
    message(.append(prevIndex: LogIndex(41), prevTerm: Term(2), entries: sampleEntries, commit: LogIndex(.max))),
    message(.appendResponse(index: LogIndex(9), rejected: true, hintIndex: LogIndex(5), hintTerm: Term(1))),
    message(.appendResponse(index: LogIndex(9), rejected: false, hintIndex: .zero, hintTerm: .zero)),
    message(.heartbeat(commit: LogIndex(77), round: .max)),
    message(.heartbeatResponse(round: 0, lastIndex: LogIndex(0))),
    message(.timeoutNow, from: .max, to: 0, term: .max),
]

/// Entries of every kind, with empty and non-empty data.
let sampleEntries: [Entry] = [
    Entry(term: Term(2), index: LogIndex(42), kind: .noop),
    Entry(term: Term(2), index: LogIndex(43), kind: .normal, data: Array("acquire acme/contacts/42".utf8)),
    Entry(term: Term(2), index: LogIndex(44), kind: .configChange, data: ConfigChange.addLearner(NodeID(4)).encoded),
    Entry(term: Term(2), index: LogIndex(45), kind: .normal, data: [0, 0xFF, 0x80]),
]

/// A configuration with voters and a learner.
let sampleConfiguration = Configuration(voters: [NodeID(1), NodeID(2), NodeID(3)], learners: [NodeID(4)])

/// A snapshot message whose data is `byteCount` bytes of a pattern that shows misplaced chunks.
func snapshotMessage(byteCount: Int, from: UInt64 = 1, to: UInt64 = 2, term: UInt64 = 5) -> Message {
    let data = (0..<byteCount).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
    let metadata = SnapshotMetadata(index: LogIndex(1_000), term: Term(4), configuration: sampleConfiguration)
    return message(.snapshot(Snapshot(metadata: metadata, data: data)), from: from, to: to, term: term)
}

/// The decoded chunks of snapshot `message`.
func chunks(of message: Message, transfer: UInt64 = 7, chunkBytes: Int) throws -> [SnapshotChunk] {
    try PeerWire.snapshotChunks(of: message, transfer: transfer, chunkBytes: chunkBytes).map { payload in
        guard case .snapshotChunk(let chunk) = try PeerWire.decode(payload) else {
            throw TestFailure("chunk payload decoded as something else: \(payload.prefix(16))")
        }
        return chunk
    }
}

/// Decodes `payload`, which must be a batch.
func decodedBatch(_ payload: [UInt8], limits: PeerWireLimits = .default) throws -> [Message] {
    guard case .messages(let messages) = try PeerWire.decode(payload, limits: limits) else {
        throw TestFailure("payload decoded as something other than a batch: \(payload.prefix(16))")
    }
    return messages
}

/// Builds a payload byte by byte, for hand-made bad inputs.
func payload(_ kind: UInt8, _ build: (inout ByteWriter) -> Void) -> [UInt8] {
    var writer = ByteWriter()
    writer.writeUInt8(kind)
    build(&writer)
    return writer.bytes
}

/// The error `PeerWire.decode` throws for `bytes`, or nil when it accepts them.
func decodeError(_ bytes: [UInt8], limits: PeerWireLimits = .default) -> PeerWireError? {
    do {
        _ = try PeerWire.decode(bytes, limits: limits)
        return nil
    } catch {
        return error
    }
}

/// A test's own failure, with a message.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

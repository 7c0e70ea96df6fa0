import PadlockTypes
import PeerWire
import Raft
import Wire
import WireFuzzing

/// Random valid peer payloads of every kind, for round-trip tests and as seeds for the fuzz mutator.
///
/// Values stay within ``PeerWireLimits/default`` and lean towards edge cases: numbers at varint boundaries and
/// at the maximum, empty and non-empty entry data, empty configurations, one-message and many-message batches.
/// Sizes mostly stay within ``PeerWireFuzzer/tightLimits`` but sometimes pass them, so the fuzz driver's
/// second decoder sees every limit broken.
package enum PeerSamples {
    /// Any payload that can arrive on a peer connection.
    package static func payload(using random: inout SplitMix64) -> PeerPayload {
        switch random.below(20) {
        case 0: .handshake(WireSamples.handshake(using: &random))
        case 1: .handshakeAnswer(WireSamples.handshakeAnswer(using: &random))
        case 2, 3, 4, 5: .snapshotChunk(chunk(using: &random))
        case 6: .challenge(PeerChallenge(nonce: fixed32(using: &random), proof: fixed32(using: &random)))
        case 7: .challengeResponse(PeerChallengeResponse(proof: fixed32(using: &random)))
        case 8: .identity(PeerIdentity(incarnation: random.interestingUInt64()))
        case 9: .clockReading(PeerClockReading(wallMilliseconds: random.interestingUInt64()))
        default: .messages(batch(using: &random))
        }
    }

    /// 32 random bytes: a nonce or a proof of the peer handshake.
    package static func fixed32(using random: inout SplitMix64) -> [UInt8] {
        random.bytes(count: PeerChallenge.fieldByteCount)
    }

    /// A batch of one to four messages, sometimes eight.
    package static func batch(using random: inout SplitMix64) -> [Message] {
        let count = random.chance(10) ? 8 : random.within(1...4)
        return (0..<count).map { _ in message(using: &random) }
    }

    /// A message of any kind but a snapshot; appends are the most common, as on a busy cluster.
    package static func message(using random: inout SplitMix64) -> Message {
        Message(
            from: nodeID(using: &random), to: nodeID(using: &random), term: term(using: &random),
            kind: kind(using: &random))
    }

    /// A message body of any kind but a snapshot; every case appears.
    package static func kind(using random: inout SplitMix64) -> Message.Kind {
        switch random.below(12) {
        case 0: return .preVote(lastIndex: logIndex(using: &random), lastTerm: term(using: &random))
        case 1: return .preVoteResponse(granted: random.chance(50))
        case 2:
            return .vote(
                lastIndex: logIndex(using: &random), lastTerm: term(using: &random),
                transfer: random.chance(50))
        case 3: return .voteResponse(granted: random.chance(50))
        case 4:
            return .appendResponse(
                index: logIndex(using: &random), rejected: random.chance(50), hintIndex: logIndex(using: &random),
                hintTerm: term(using: &random))
        case 5: return .heartbeat(commit: logIndex(using: &random), round: random.interestingUInt64())
        case 6: return .heartbeatResponse(round: random.interestingUInt64(), lastIndex: logIndex(using: &random))
        case 7: return .timeoutNow
        default:
            let count = random.chance(10) ? 8 : random.below(5)
            return .append(
                prevIndex: logIndex(using: &random), prevTerm: term(using: &random),
                entries: (0..<count).map { _ in entry(using: &random) }, commit: logIndex(using: &random))
        }
    }

    /// An entry of any kind, with up to 16 bytes of data and sometimes 64.
    package static func entry(using random: inout SplitMix64) -> Entry {
        let byteCount = random.chance(10) ? 64 : random.below(17)
        return Entry(
            term: term(using: &random), index: logIndex(using: &random),
            kind: random.pick([Entry.Kind.normal, .noop, .configChange]), data: random.bytes(count: byteCount))
    }

    /// A configuration of up to five voters and three learners, sometimes seven of each.
    package static func configuration(using random: inout SplitMix64) -> Configuration {
        let wide = random.chance(10)
        let voters = (0..<(wide ? 7 : random.below(6))).map { _ in nodeID(using: &random) }
        let learners = (0..<(wide ? 7 : random.below(4))).map { _ in nodeID(using: &random) }
        return Configuration(voters: voters, learners: learners)
    }

    /// Snapshot metadata with random numbers and configuration.
    package static func metadata(using random: inout SplitMix64) -> SnapshotMetadata {
        SnapshotMetadata(
            index: logIndex(using: &random), term: term(using: &random),
            configuration: configuration(using: &random))
    }

    /// A snapshot message of up to `maxByteCount` bytes of data, sometimes empty.
    package static func snapshotMessage(maxByteCount: Int, using random: inout SplitMix64) -> Message {
        let byteCount = random.chance(10) ? 0 : random.within(0...maxByteCount)
        let snapshot = Snapshot(metadata: metadata(using: &random), data: random.bytes(count: byteCount))
        return Message(
            from: nodeID(using: &random), to: nodeID(using: &random), term: term(using: &random),
            kind: .snapshot(snapshot))
    }

    /// A chunk as a sender would cut it: some chunk of a random snapshot.
    package static func chunk(using random: inout SplitMix64) -> SnapshotChunk {
        let message = snapshotMessage(maxByteCount: random.chance(10) ? 512 : 64, using: &random)
        let chunkBytes = random.within(1...80)
        let number = random.below(PeerWire.snapshotChunkCount(of: message, chunkBytes: chunkBytes))
        let payload = PeerWire.snapshotChunk(
            number, of: message, transfer: random.interestingUInt64(), chunkBytes: chunkBytes)
        guard case .snapshotChunk(let chunk)? = try? PeerWire.decode(payload) else {
            preconditionFailure("PeerSamples cut a chunk that does not decode: \(payload)")
        }
        return chunk
    }

    static func nodeID(using random: inout SplitMix64) -> NodeID {
        NodeID(random.chance(50) ? UInt64(random.within(1...9)) : random.interestingUInt64())
    }

    static func term(using random: inout SplitMix64) -> Term { Term(random.interestingUInt64()) }

    static func logIndex(using random: inout SplitMix64) -> LogIndex { LogIndex(random.interestingUInt64()) }
}

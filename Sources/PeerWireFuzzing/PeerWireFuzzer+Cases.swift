import PadlockTypes
import PeerWire
import Raft
import Wire
import WireFuzzing

extension PeerWireFuzzer {
    /// One clean or damaged chunk stream of `message` and what the assembler must give back for it.
    static func assemblyCase(
        _ message: Message, _ chunks: [SnapshotChunk], using random: inout SplitMix64, report: inout PeerFuzzReport
    ) -> AssemblyCase {
        let count = chunks.count
        let whole = [Yield(position: count - 1, message: message)]
        var stream = chunks
        switch random.below(9) {
        case 1 where count >= 2:
            // A lost chunk: the rest are out of order, or the transfer never completes.
            stream.remove(at: random.below(count))
            return AssemblyCase(name: "dropped", chunks: stream, expected: [])
        case 2:
            let position = random.below(count)
            stream.insert(chunks[position], at: position + 1)
            // A repeated last chunk arrives after completion, when no transfer is in progress; a repeated
            // single chunk is a whole new transfer.
            let expected =
                count == 1 ? whole + [Yield(position: 1, message: message)] : position == count - 1 ? whole : []
            return AssemblyCase(name: "duplicated", chunks: stream, expected: expected)
        case 3 where count >= 2:
            let first = random.below(count - 1)
            stream.swapAt(first, random.within(first + 1...count - 1))
            return AssemblyCase(name: "swapped", chunks: stream, expected: [])
        case 4 where count >= 2:
            return interleavedCase(message, chunks, using: &random, report: &report)
        case 5 where count >= 2:
            // The sender gives up and starts again with a new transfer number: only the new one completes.
            let cut = random.below(count - 1) + 1
            guard let first = chunks.first else { preconditionFailure("a snapshot cut into no chunks") }
            let again = chunks.map { chunk in
                var renumbered = chunk
                renumbered.transfer = first.transfer &+ 1
                return renumbered
            }
            return AssemblyCase(
                name: "restarted", chunks: Array(chunks[..<cut]) + again,
                expected: [Yield(position: cut + count - 1, message: message)])
        case 6 where count >= 2:
            let position = random.within(1...count - 1)
            stream[position] = changingOneField(of: chunks[position], using: &random)
            return AssemblyCase(name: "inconsistent", chunks: stream, expected: [])
        case 7 where chunks[0].totalByteCount > 0:
            var oversized = AssemblyCase(name: "oversized", chunks: stream, expected: [])
            oversized.maximumSnapshotBytes = Int(chunks[0].totalByteCount) - 1
            return oversized
        case 8 where count >= 2:
            // A chunk with no data in a snapshot that has some would never advance the transfer.
            stream[random.within(1...count - 1)].data = []
            return AssemblyCase(name: "emptied", chunks: stream, expected: [])
        default:
            return AssemblyCase(name: "clean", chunks: stream, expected: whole)
        }
    }

    /// A second transfer starts in the middle of the first: it replaces it, and the first's next chunk is
    /// refused, which discards the second too unless it was complete in one chunk.
    static func interleavedCase(
        _ message: Message, _ chunks: [SnapshotChunk], using random: inout SplitMix64, report: inout PeerFuzzReport
    ) -> AssemblyCase {
        var other = PeerSamples.snapshotMessage(maxByteCount: 200, using: &random)
        if random.chance(50) { other.from = message.from }
        var transfer = random.interestingUInt64()
        if other.from == message.from && transfer == chunks[0].transfer { transfer &+= 1 }
        let otherChunks = cleanChunks(
            of: other, transfer: transfer, chunkBytes: random.within(1...100), report: &report)
        let cut = random.within(1...chunks.count - 1)
        let stream = Array(chunks[..<cut]) + [otherChunks[0]] + Array(chunks[cut...])
        let expected = otherChunks.count == 1 ? [Yield(position: cut, message: other)] : []
        return AssemblyCase(name: "interleaved", chunks: stream, expected: expected)
    }

    /// `chunk` with its recipient, term, metadata or total length changed.
    static func changingOneField(of chunk: SnapshotChunk, using random: inout SplitMix64) -> SnapshotChunk {
        var changed = chunk
        switch random.pick(SnapshotChunk.Field.allCases) {
        case .recipient: changed.to = NodeID(chunk.to.rawValue &+ 1)
        case .term: changed.term = Term(chunk.term.rawValue &+ 1)
        case .metadata: changed.metadata.index = LogIndex(chunk.metadata.index.rawValue &+ 1)
        case .totalByteCount: changed.totalByteCount = chunk.totalByteCount + 1
        }
        return changed
    }
}

import PadlockTypes
import PeerWire
import Raft
import Wire
import WireFuzzing

extension PeerWireFuzzer {
    /// A message an assembler gave back, and the position in the fed chunks of the chunk that completed it.
    struct Yield: Equatable, CustomStringConvertible {
        var position: Int
        var message: Message

        var description: String { "snapshot from \(message.from) completed by chunk \(position)" }
    }

    /// A chunk stream to feed an assembler, with exactly what it must give back.
    struct AssemblyCase {
        var name: String
        var chunks: [SnapshotChunk]
        var expected: [Yield]
        var maximumSnapshotBytes = SnapshotAssembler.maximumSnapshotBytesDefault
    }

    /// Cuts a random snapshot into chunks and feeds them to an assembler, cleanly or damaged: bytes mutated,
    /// a chunk dropped, duplicated, moved or emptied, another transfer interleaved, a restart, a field changed, or a
    /// snapshot over the assembler's bound. Whatever the damage, the assembler must give back exactly the
    /// messages the chunk order allows, at the chunk that completes them, and nothing else.
    static func checkAssembly(using random: inout SplitMix64, report: inout PeerFuzzReport) {
        let message = PeerSamples.snapshotMessage(maxByteCount: random.chance(20) ? 4096 : 600, using: &random)
        let chunkBytes = chunkSize(for: message, using: &random)
        let transfer = random.interestingUInt64()
        let chunks = cleanChunks(of: message, transfer: transfer, chunkBytes: chunkBytes, report: &report)
        report.transferCount += 1
        if random.chance(15) {
            checkMutatedChunks(of: message, transfer: transfer, chunkBytes: chunkBytes, using: &random, report: &report)
            return
        }
        let scenario = assemblyCase(message, chunks, using: &random, report: &report)
        var assembler = SnapshotAssembler(maximumSnapshotBytes: scenario.maximumSnapshotBytes)
        let yields = feed(scenario.chunks, into: &assembler, report: &report)
        if yields != scenario.expected {
            report.recordFailure(
                "assembler case \(scenario.name) of \(chunks.count) chunks gave \(yields), "
                    + "expected \(scenario.expected)")
        }
    }

    /// A chunk size that sometimes divides the data exactly and sometimes takes it in one chunk.
    static func chunkSize(for message: Message, using random: inout SplitMix64) -> Int {
        guard case .snapshot(let snapshot) = message.kind else { preconditionFailure("not a snapshot: \(message)") }
        let byteCount = snapshot.data.count
        switch random.below(4) {
        case 0 where byteCount > 0:
            // An exact multiple: every chunk full, none left over.
            return random.pick((1...min(byteCount, 300)).filter { byteCount % $0 == 0 })
        case 1: return max(1, byteCount + random.below(3))
        default: return random.within(1...300)
        }
    }

    /// The decoded chunks of `message`; every one must decode and round-trip.
    static func cleanChunks(
        of message: Message, transfer: UInt64, chunkBytes: Int, report: inout PeerFuzzReport
    ) -> [SnapshotChunk] {
        PeerWire.snapshotChunks(of: message, transfer: transfer, chunkBytes: chunkBytes).compactMap { payload in
            guard case .snapshotChunk(let chunk)? = try? PeerWire.decode(payload), chunk.encoded() == payload else {
                report.recordFailure("chunk payload of a valid snapshot refused or not canonical: \(payload)")
                return nil
            }
            return chunk
        }
    }

    /// Feeds `chunks` in order; returns what the assembler gave back, counting refusals.
    static func feed(
        _ chunks: [SnapshotChunk], into assembler: inout SnapshotAssembler, report: inout PeerFuzzReport
    ) -> [Yield] {
        var yields: [Yield] = []
        for (position, chunk) in chunks.enumerated() {
            do {
                if let message = try assembler.add(chunk) { yields.append(Yield(position: position, message: message)) }
            } catch {
                report.refusedChunkCount += 1
                report.countError(error.caseName, describing: error, sample: position)
            }
        }
        report.assembledCount += yields.count
        return yields
    }

    /// Damages one chunk's bytes; a chunk that no longer decodes would close the connection, which ends the
    /// stream there. Any chunk that still decodes must round-trip, and the assembler must not trap.
    static func checkMutatedChunks(
        of message: Message, transfer: UInt64, chunkBytes: Int, using random: inout SplitMix64,
        report: inout PeerFuzzReport
    ) {
        var payloads = PeerWire.snapshotChunks(of: message, transfer: transfer, chunkBytes: chunkBytes)
        let damaged = random.below(payloads.count)
        payloads[damaged] = WireMutator.mutate(payloads[damaged], donor: payloads[0], using: &random)
        var chunks: [SnapshotChunk] = []
        for payload in payloads {
            _ = decodeEverywhere(payload, report: &report)
            guard case .snapshotChunk(let chunk)? = try? PeerWire.decode(payload) else { break }
            chunks.append(chunk)
        }
        var assembler = SnapshotAssembler()
        for yield in feed(chunks, into: &assembler, report: &report) {
            guard case .snapshot(let snapshot) = yield.message.kind, yield.position < chunks.count,
                UInt64(snapshot.data.count) == chunks[yield.position].totalByteCount
            else {
                report.recordFailure("assembler gave \(yield.message) for damaged chunks \(chunks)")
                continue
            }
        }
    }
}

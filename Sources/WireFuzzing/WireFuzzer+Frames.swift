import PadlockTypes
import Wire

extension WireFuzzer {
    /// Largest payload the fuzzed splitters accept: small enough that mutated prefixes often exceed it.
    static let fuzzFramePayloadByteCountMax = 1 << 16

    /// Frames `payloads` into one stream, sometimes damages it, and feeds it to a splitter in random chunks.
    ///
    /// An undamaged stream must give back exactly its payloads; a damaged one must give payloads or a typed
    /// error, and every payload it gives goes through the message decoders too.
    static func checkFrames(_ payloads: [[UInt8]], using random: inout SplitMix64, report: inout WireFuzzReport) {
        var stream = payloads.flatMap { FrameSplitter.frame($0) }
        let damaged = random.chance(25)
        if damaged {
            if random.chance(30) {
                // A huge length prefix up front, as an HTTP client or a corrupted peer would send.
                stream.insert(contentsOf: [0xFF, 0xFF, 0xFF, random.pick([0x00, 0xFF])], at: 0)
            } else {
                stream = WireMutator.mutate(stream, donor: payloads[0], using: &random)
            }
        }
        var splitter = FrameSplitter(maximumPayloadByteCount: fuzzFramePayloadByteCountMax)
        var received: [[UInt8]] = []
        var refused = false
        var position = 0
        feeding: while position < stream.count {
            let chunkEnd = min(stream.count, position + random.within(1...512))
            splitter.append(stream[position..<chunkEnd])
            position = chunkEnd
            do {
                while let payload = try splitter.nextPayload() { received.append(payload) }
            } catch {
                report.errorCounts[error.caseName, default: 0] += 1
                refused = true
                break feeding
            }
        }
        report.framePayloadCount += received.count
        if refused { report.oversizedFrameCount += 1 }
        if !damaged && (refused || received != payloads || splitter.bufferedByteCount != 0) {
            report.recordFailure("frames \(payloads) split into \(received), refused: \(refused)")
        }
        if damaged {
            for payload in received { _ = decodeEverywhere(payload, report: &report) }
        }
    }
}

import PadlockTypes
import Testing

@testable import Wire
@testable import WireFuzzing

@Suite struct FrameSplitterTests {
    private func drain(_ splitter: inout FrameSplitter) throws(WireError) -> [[UInt8]] {
        var payloads: [[UInt8]] = []
        while let payload = try splitter.nextPayload() { payloads.append(payload) }
        return payloads
    }

    @Test func framesFedOneByteAtATimeComeOutWhole() throws {
        let payloads: [[UInt8]] = [[1, 2, 3], [], Array(repeating: 9, count: 300), [4]]
        let stream = payloads.flatMap(FrameSplitter.frame)
        var splitter = FrameSplitter()
        var received: [[UInt8]] = []
        for byte in stream {
            splitter.append([byte])
            received += try drain(&splitter)
        }
        #expect(received == payloads)
        #expect(splitter.bufferedByteCount == 0)
    }

    @Test func manyFramesInOneChunkComeOutInOrder() throws {
        var random = SplitMix64(seed: 5)
        let payloads = (0..<200).map { _ in random.bytes(count: random.below(100)) }
        var splitter = FrameSplitter()
        splitter.append(payloads.flatMap(FrameSplitter.frame))
        #expect(try drain(&splitter) == payloads)
    }

    @Test func aPartialFrameWaitsForTheRest() throws {
        var splitter = FrameSplitter()
        let frame = FrameSplitter.frame([7, 7, 7, 7])
        splitter.append(frame[..<6])
        #expect(try splitter.nextPayload() == nil)
        #expect(splitter.bufferedByteCount == 6)
        splitter.append(frame[6...])
        #expect(try splitter.nextPayload() == [7, 7, 7, 7])
    }

    @Test func theLengthPrefixIsFourBigEndianBytes() {
        #expect(FrameSplitter.frame(Array(repeating: 0, count: 258)).prefix(4) == [0, 0, 1, 2])
    }

    @Test func aFourGibibyteLengthPrefixIsRefusedBeforeItsPayloadArrives() {
        var splitter = FrameSplitter()
        splitter.append([0xFF, 0xFF, 0xFF, 0xFF])
        let error = #expect(throws: WireError.self) { try splitter.nextPayload() }
        #expect(error == .frameTooLarge(length: 0xFFFF_FFFF, maximum: WireLimits.framePayloadByteCountMax))
    }

    @Test func aRefusedStreamStaysRefused() {
        var splitter = FrameSplitter(maximumPayloadByteCount: 16)
        splitter.append(FrameSplitter.frame(Array(repeating: 1, count: 17)))
        #expect(throws: WireError.self) { try splitter.nextPayload() }
        splitter.append(FrameSplitter.frame([1]))
        let error = #expect(throws: WireError.self) { try splitter.nextPayload() }
        #expect(error == .frameTooLarge(length: 17, maximum: 16))
    }

    @Test func aPayloadOfExactlyTheMaximumIsAccepted() throws {
        var splitter = FrameSplitter(maximumPayloadByteCount: 16)
        splitter.append(FrameSplitter.frame(Array(repeating: 1, count: 16)))
        #expect(try splitter.nextPayload()?.count == 16)
    }

    @Test func aLongStreamDoesNotKeepItsConsumedBytes() throws {
        var splitter = FrameSplitter()
        let frame = FrameSplitter.frame(Array(repeating: 3, count: 1000))
        for _ in 0..<1000 {
            splitter.append(frame)
            #expect(try splitter.nextPayload()?.count == 1000)
        }
        #expect(splitter.bufferedByteCount == 0)
        #expect(splitter.storageByteCount <= 2 * frame.count)
    }
}

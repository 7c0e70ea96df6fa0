import PadlockTypes
import Wire

/// Random valid values of every message, for round-trip property tests and as seeds for the fuzz mutator.
///
/// Values respect every bound the decoders enforce, and lean towards edge cases: empty and maximal text,
/// multi-byte UTF-8, keys of one and of many segments, absent and present optionals, empty and full lists.
package enum WireSamples {
    /// Characters of each UTF-8 width, plus controls and a NUL, which text (not keys) may hold.
    private static let textScalars: [Unicode.Scalar] = [
        "a", "Z", "0", " ", "@", "-", "/", "\u{0}", "\u{7}", "\u{7F}",
        "é", "ß", "ж", "中", "文", "🔒", "👩🏽",
    ].flatMap { (character: Character) in character.unicodeScalars }
    /// Characters a key segment may hold: no `/`, no controls.
    private static let keyScalars: [Unicode.Scalar] = [
        "a", "c", "m", "e", "4", "2", "_", ".", " ", "é", "中", "🔒",
    ]

    /// A string of at most `maxByteCount` UTF-8 bytes, sometimes empty, sometimes close to the bound.
    package static func text(maxByteCount: Int, using random: inout SplitMix64) -> String {
        let target: Int =
            switch random.below(10) {
            case 0: 0
            case 1: maxByteCount
            default: random.below(min(maxByteCount, 40) + 1)
            }
        var scalars = String.UnicodeScalarView()
        var byteCount = 0
        while byteCount < target {
            let scalar = random.pick(textScalars)
            let width = String(scalar).utf8.count
            if byteCount + width > maxByteCount { break }
            scalars.append(scalar)
            byteCount += width
        }
        return String(scalars)
    }

    /// A valid key: usually a few short segments, sometimes sixteen, sometimes near the byte limit.
    package static func key(using random: inout SplitMix64) -> LockKey {
        let segmentCount = random.chance(10) ? LockKey.maximumSegmentCount : random.within(1...4)
        let segmentBytesMax = random.chance(5) ? LockKey.maximumByteCount / segmentCount - 1 : 12
        var segments: [String] = []
        for _ in 0..<segmentCount {
            var segment = String.UnicodeScalarView()
            var byteCount = 0
            let target = random.within(1...max(1, segmentBytesMax))
            repeat {
                let scalar = random.pick(keyScalars)
                let width = String(scalar).utf8.count
                if byteCount > 0 && byteCount + width > target { break }
                segment.append(scalar)
                byteCount += width
            } while byteCount < target
            segments.append(String(segment))
        }
        let string = segments.joined(separator: "/")
        guard let key = try? LockKey(string) else {
            preconditionFailure("WireSamples built an invalid key: \(string.debugDescription)")
        }
        return key
    }

    /// A request id with interesting numbers.
    package static func requestID(using random: inout SplitMix64) -> RequestID {
        RequestID(session: SessionID(random.interestingUInt64()), sequence: random.interestingUInt64())
    }

    /// A holder with every field random.
    package static func holder(using random: inout SplitMix64) -> Holder {
        Holder(
            session: SessionID(random.interestingUInt64()),
            owner: text(maxByteCount: InputLimits.ownerByteCountMax, using: &random),
            mode: random.pick(LockMode.allCases), fence: FenceToken(random.interestingUInt64()),
            since: Timestamp(rawValue: random.interestingUInt64()),
            note: text(maxByteCount: InputLimits.noteByteCountMax, using: &random))
    }

    /// A handshake, mostly of the current version (other versions do not decode).
    package static func handshake(using random: inout SplitMix64) -> Handshake {
        Handshake(
            role: random.pick(ConnectionRole.allCases), cluster: ClusterID(random.interestingUInt64()),
            node: NodeID(random.interestingUInt64()),
            credentials: random.bytes(count: random.chance(5) ? WireLimits.credentialsByteCountMax : random.below(48)))
    }

    /// A handshake answer of either kind.
    package static func handshakeAnswer(using random: inout SplitMix64) -> HandshakeAnswer {
        if random.chance(50) { return .accepted(node: NodeID(random.interestingUInt64())) }
        return .refused(
            reason: random.pick(RefusalReason.allCases),
            message: text(maxByteCount: WireLimits.messageByteCountMax, using: &random))
    }

    /// Any one message.
    package static func message(using random: inout SplitMix64) -> WireMessage {
        switch random.below(10) {
        case 0: .handshake(handshake(using: &random))
        case 1: .handshakeAnswer(handshakeAnswer(using: &random))
        case 2, 3, 4: .clientRequest(request(using: &random))
        case 5: .clientEvent(event(using: &random))
        default: .clientResponse(response(using: &random))
        }
    }

    /// An optional that is absent a third of the time.
    static func maybe<Value>(_ random: inout SplitMix64, _ make: (inout SplitMix64) -> Value) -> Value? {
        random.chance(33) ? nil : make(&random)
    }

    /// A list of up to `maxCount` elements, usually short, sometimes empty.
    static func list<Element>(
        _ random: inout SplitMix64, maxCount: Int, _ make: (inout SplitMix64) -> Element
    ) -> [Element] {
        let count = random.chance(20) ? 0 : random.within(1...min(maxCount, 4))
        return (0..<count).map { _ in make(&random) }
    }
}

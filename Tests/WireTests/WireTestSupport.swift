import PadlockTypes
import Testing

@testable import Wire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Seeds for the randomized tests. A failure message names the seed; pin it here as a regression when one fails.
let propertySeeds: [UInt64] = [1, 2, 3, 0xDEAD_BEEF]
/// Values per seed and message type; `PADLOCK_LONG=1` runs many more.
let valuesPerSeed = isLongRun ? 50_000 : 1_000

var isLongRun: Bool {
    guard let value = getenvString("PADLOCK_LONG") else { return false }
    return value == "1"
}

/// Reads an environment variable without Foundation.
func getenvString(_ name: String) -> String? {
    guard let raw = getenv(name) else { return nil }
    return String(cString: raw)
}

/// Builds a payload byte by byte, for hand-made bad inputs.
func payload(_ kind: MessageKind, _ build: (inout ByteWriter) -> Void) -> [UInt8] {
    var writer = ByteWriter()
    writer.writeUInt8(kind.rawValue)
    build(&writer)
    return writer.bytes
}

/// A key the tests use, known to be valid.
func key(_ string: String) -> LockKey {
    guard let key = try? LockKey(string) else { preconditionFailure("test key \(string) is invalid") }
    return key
}

let sampleHolder = Holder(
    session: SessionID(7), owner: "alice@frontend-2", mode: .exclusive, fence: FenceToken(42),
    since: Timestamp(rawValue: 1_700_000_000_000), note: "editing phone number")

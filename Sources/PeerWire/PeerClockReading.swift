import PadlockTypes

/// The sending node's wall clock, which its transport sends on a link before a batch of Raft messages (at
/// most about once a second), so that the receiving node can measure the skew between their clocks
/// (`docs/wire.md`, "Clock readings"). Raft messages stay pure data; the reading belongs to the link.
///
/// ```
/// PeerClockReading = kind 21 · wall milliseconds since the Unix epoch varint
/// ```
package struct PeerClockReading: Hashable, Sendable {
    /// The sender's wall clock when it sent the reading.
    package var wallMilliseconds: UInt64

    /// A reading.
    package init(wallMilliseconds: UInt64) { self.wallMilliseconds = wallMilliseconds }

    /// The frame payload.
    package func encoded() -> [UInt8] {
        ByteWriter.tagged(PeerPayloadKind.clockReading, capacity: 11) { $0.writeVarint(wallMilliseconds) }
    }
}

extension PeerReader {
    mutating func readClockReading() throws(PeerWireError) -> PeerClockReading {
        PeerClockReading(wallMilliseconds: try varint())
    }
}

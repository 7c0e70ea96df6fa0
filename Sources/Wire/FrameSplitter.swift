import PadlockTypes

/// Cuts a byte stream into frame payloads: each frame is a 4-byte big-endian payload length, then the payload.
///
/// The `EventLoop` connections do the same on live sockets; this pure version serves the simulator, the tests
/// and the fuzz driver. Feed it bytes as they arrive, in chunks of any size, and take out whole payloads. A
/// length prefix over the maximum is an error from which the splitter does not recover: the stream can no
/// longer be trusted, so the connection must close.
package struct FrameSplitter: Sendable {
    /// Size of the length prefix in bytes.
    package static let lengthPrefixByteCount = 4

    /// The largest payload accepted, in bytes.
    package let maximumPayloadByteCount: Int
    private var buffer: [UInt8] = []
    /// Start of the unread part of `buffer`; the read part is dropped once it outweighs the rest.
    private var readOffset = 0
    private var failure: WireError?

    /// Creates a splitter accepting payloads of up to `maximumPayloadByteCount` bytes.
    package init(maximumPayloadByteCount: Int = WireLimits.framePayloadByteCountMax) {
        precondition(
            maximumPayloadByteCount >= 0 && UInt64(maximumPayloadByteCount) <= UInt64(UInt32.max),
            "a frame payload limit must fit the 32-bit length prefix, got \(maximumPayloadByteCount)")
        self.maximumPayloadByteCount = maximumPayloadByteCount
    }

    /// Bytes received but not yet returned as a payload.
    package var bufferedByteCount: Int { buffer.count - readOffset }

    /// Bytes held in memory, consumed ones included; consumed bytes are dropped once they outweigh the rest.
    package var storageByteCount: Int { buffer.count }

    /// Adds bytes received from the stream.
    package mutating func append(_ bytes: some Collection<UInt8>) {
        if readOffset > 0 && readOffset >= buffer.count - readOffset {
            buffer.removeFirst(readOffset)
            readOffset = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Returns the next whole payload, `nil` when more bytes are needed, or throws
    /// ``WireError/frameTooLarge(length:maximum:)`` (now and on every later call) for an oversized prefix.
    ///
    /// An oversized prefix is reported as soon as its four bytes arrive, before any of the payload is buffered.
    package mutating func nextPayload() throws(WireError) -> [UInt8]? {
        if let failure { throw failure }
        guard bufferedByteCount >= Self.lengthPrefixByteCount else { return nil }
        var length: UInt64 = 0
        for index in readOffset..<readOffset + Self.lengthPrefixByteCount {
            length = length << 8 | UInt64(buffer[index])
        }
        guard length <= UInt64(maximumPayloadByteCount) else {
            let error = WireError.frameTooLarge(length: length, maximum: maximumPayloadByteCount)
            failure = error
            throw error
        }
        let frameEnd = readOffset + Self.lengthPrefixByteCount + Int(length)
        guard frameEnd <= buffer.count else { return nil }
        let payload = Array(buffer[readOffset + Self.lengthPrefixByteCount..<frameEnd])
        readOffset = frameEnd
        return payload
    }

    /// The frame carrying `payload`: its length as four big-endian bytes, then the payload.
    package static func frame(_ payload: [UInt8]) -> [UInt8] {
        precondition(
            UInt64(payload.count) <= UInt64(UInt32.max), "a payload of \(payload.count) bytes cannot be framed")
        var writer = ByteWriter(capacity: lengthPrefixByteCount + payload.count)
        writer.writeUInt32(UInt32(payload.count))
        writer.writeRaw(payload)
        return writer.bytes
    }
}

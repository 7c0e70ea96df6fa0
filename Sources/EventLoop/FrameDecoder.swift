/// Splits a byte stream into length-prefixed frames: a 4-byte big-endian payload length, then the payload.
/// With `.raw` framing it cuts nothing: each `next()` returns every byte buffered so far, as one chunk.
///
/// A pure value type so the framing rules can be reasoned about apart from sockets. It never traps on
/// input: an announced length above the limit is reported, and the decoder stops there.
struct FrameDecoder {
    /// What `next()` found.
    enum Next: Equatable {
        case frame([UInt8])
        case needMoreBytes
        case tooLarge(announcedBytes: UInt64)
    }

    static let prefixBytes = 4

    let maxFrameBytes: Int
    let framing: ConnectionLimits.Framing
    private var buffer: [UInt8] = []
    /// Index of the first unconsumed byte in `buffer`; consumed bytes are dropped in batches.
    private var start = 0

    init(maxFrameBytes: Int, framing: ConnectionLimits.Framing = .lengthPrefixed) {
        self.maxFrameBytes = maxFrameBytes
        self.framing = framing
    }

    /// Bytes received but not yet returned as frames.
    var bufferedBytes: Int { buffer.count - start }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    mutating func next() -> Next {
        if framing == .raw { return nextChunk() }
        guard bufferedBytes >= FrameDecoder.prefixBytes else { return .needMoreBytes }
        var length: UInt64 = 0
        for offset in 0..<FrameDecoder.prefixBytes {
            length = length << 8 | UInt64(buffer[start + offset])
        }
        guard length <= UInt64(maxFrameBytes) else { return .tooLarge(announcedBytes: length) }
        let frameEnd = start + FrameDecoder.prefixBytes + Int(length)
        guard frameEnd <= buffer.count else { return .needMoreBytes }
        let payload = Array(buffer[(start + FrameDecoder.prefixBytes)..<frameEnd])
        start = frameEnd
        return .frame(payload)
    }

    /// Everything buffered, as one chunk. The common case (nothing left over from earlier) hands the
    /// buffer itself over instead of copying it again.
    private mutating func nextChunk() -> Next {
        guard bufferedBytes > 0 else { return .needMoreBytes }
        let chunk: [UInt8]
        if start == 0 {
            chunk = buffer
            buffer = []
        } else {
            chunk = Array(buffer[start...])
            buffer.removeAll(keepingCapacity: true)
        }
        start = 0
        return .frame(chunk)
    }

    /// Drops consumed bytes when they are all of the buffer or a large share of it, so each byte is moved
    /// a bounded number of times.
    private mutating func compactIfWorthwhile() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 65_536 && start * 2 > buffer.count {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }
}

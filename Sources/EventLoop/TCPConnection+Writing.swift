import CLibUV

// A write request and its bytes share one allocation: [uv_write_t, padded to 16 bytes][8-byte accounted
// count][4-byte big-endian payload length][payload]. A framed connection writes the length and the payload
// (the length is the frame's prefix); a raw connection, and a TLS connection writing ciphertext, write only
// the payload. The accounted count is what the write holds of the write queue: the bytes `send` counted for
// it (for TLS, the plaintext frame it carries, or 0 for handshake records). The write callback subtracts it
// and frees the whole block, so nothing else has to remember per-write state.

private let requestBytes = (uv_req_size(UV_WRITE) + 15) & ~15
private let accountedFieldBytes = 8

extension TCPConnection {
    /// Queues one frame carrying `payload`; on a raw connection, queues `payload`'s bytes as they are (an
    /// empty raw send writes nothing and answers `.queued`).
    ///
    /// Never blocks and never buffers beyond `limits.writeQueueBytesMax`: see `SendAnswer`. Raw bytes
    /// count toward the queue exactly as a frame's bytes do, without a prefix. On a TLS connection the
    /// queue counts the same plaintext bytes (ciphertext adds a little per record), and sends made before
    /// the handshake finishes wait in order until it does.
    package func send(_ payload: [UInt8]) -> SendAnswer {
        core.assertOnLoopThread("TCPConnection.send")
        guard state == .open, let handle = liveHandle else { return .closed }
        let writeBytes = queuedBytes(forPayloadBytes: payload.count)
        guard writeBytes <= limits.writeQueueBytesMax, payload.count <= Int(UInt32.max) else {
            return .frameTooLarge
        }
        guard queuedWriteBytes + writeBytes <= limits.writeQueueBytesMax else {
            sendRefused = true
            if limits.pausesReadingWhenWriteQueueFull { stopReading() }
            return .backpressure
        }
        if writeBytes == 0 { return .queued }
        if let tls { return sendEncrypted(payload, accountedBytes: writeBytes, session: tls) }
        if writeBytes < Self.corkedBytesMax {
            cork(payload)
            queuedWriteBytes += writeBytes
            return .queued
        }
        // A large frame is written from a block of its own, after whatever this iteration gathered before it.
        guard flushCorked() else { return .closed }
        let block = makeWriteBlock(payloadBytes: payload.count, accountedBytes: writeBytes)
        let payloadStart = block + requestBytes + accountedFieldBytes + FrameDecoder.prefixBytes
        payload.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress { payloadStart.copyMemory(from: base, byteCount: bytes.count) }
        }
        let start = limits.framing == .raw ? payloadStart : payloadStart - FrameDecoder.prefixBytes
        guard issueWrite(block, from: start, count: writeBytes, on: handle) else { return .closed }
        queuedWriteBytes += writeBytes
        return .queued
    }

    /// Frames at least this large skip the gathering buffer (copying them twice would cost more than the
    /// write system call saved).
    static let corkedBytesMax = 64 * 1024

    /// Appends the frame (or raw bytes) to this iteration's gathered sends, and has the loop write them when
    /// the iteration ends.
    private func cork(_ payload: [UInt8]) {
        if corked.isEmpty {
            core.corkedConnections.append(self)
            corked.reserveCapacity(4096)
        }
        if limits.framing == .lengthPrefixed {
            // Byte by byte: an array literal here would allocate for every frame.
            let length = UInt32(payload.count)
            corked.append(UInt8(length >> 24))
            corked.append(UInt8(length >> 16 & 0xFF))
            corked.append(UInt8(length >> 8 & 0xFF))
            corked.append(UInt8(length & 0xFF))
        }
        corked.append(contentsOf: payload)
    }

    /// Writes the gathered sends as one write. Returns false when the write failed and the connection is
    /// finishing. On a connection that can no longer write, the gathered bytes are dropped and counted.
    @discardableResult
    func flushCorked() -> Bool {
        guard !corked.isEmpty else { return true }
        guard state == .open || state == .flushing, let handle = liveHandle else {
            dropCorked()
            return false
        }
        let count = corked.count
        let block = makeWriteBlock(payloadBytes: count, accountedBytes: count)
        let start = block + requestBytes + accountedFieldBytes + FrameDecoder.prefixBytes
        corked.withUnsafeBytes { bytes in start.copyMemory(from: bytes.baseAddress!, byteCount: count) }
        // Emptied before the write: a failed write finishes the connection, which flushes again.
        corked.removeAll(keepingCapacity: count <= 65_536)
        guard issueWrite(block, from: start, count: count, on: handle) else {
            queuedWriteBytes -= count
            droppedWriteBytes += count
            return false
        }
        return true
    }

    /// Forgets gathered sends that will never be written (an abort, a reset, a close without flushing).
    func dropCorked() {
        queuedWriteBytes -= corked.count
        droppedWriteBytes += corked.count
        corked.removeAll()
    }

    /// The bytes one send of `payloadBytes` adds to the write queue: the payload, plus its length prefix
    /// when the connection is framed.
    func queuedBytes(forPayloadBytes payloadBytes: Int) -> Int {
        switch limits.framing {
        case .lengthPrefixed: FrameDecoder.prefixBytes + payloadBytes
        case .raw: payloadBytes
        }
    }

    /// Writes the ciphertext OpenSSL has produced so far, as one write holding `accountedBytes` of the queue.
    /// Returns false when the write failed and the connection is finishing.
    @discardableResult
    func flushCiphertext(_ session: TLSSession, accountedBytes: Int) -> Bool {
        let count = session.outgoingBytes
        guard count > 0, count <= Int(UInt32.max), let handle = liveHandle else { return count == 0 }
        let block = makeWriteBlock(payloadBytes: count, accountedBytes: accountedBytes)
        let start = block + requestBytes + accountedFieldBytes + FrameDecoder.prefixBytes
        session.takeOutgoing(into: start, count: count)
        return issueWrite(block, from: start, count: count, on: handle)
    }

    /// Allocates a write block (layout above) with room for `payloadBytes`; the caller fills the payload.
    private func makeWriteBlock(payloadBytes: Int, accountedBytes: Int) -> UnsafeMutableRawPointer {
        let blockBytes = requestBytes + accountedFieldBytes + FrameDecoder.prefixBytes + payloadBytes
        let block = UnsafeMutableRawPointer.allocate(byteCount: blockBytes, alignment: 16)
        block.initializeMemory(as: UInt8.self, repeating: 0, count: requestBytes)
        (block + requestBytes).storeBytes(of: UInt64(accountedBytes), as: UInt64.self)
        (block + requestBytes + accountedFieldBytes).storeBytes(of: UInt32(payloadBytes).bigEndian, as: UInt32.self)
        return block
    }

    /// Hands `count` bytes from `start` (inside `block`) to `uv_write`; on failure frees the block, finishes
    /// the connection and returns false.
    private func issueWrite(
        _ block: UnsafeMutableRawPointer, from start: UnsafeMutableRawPointer, count: Int,
        on handle: UnsafeMutablePointer<uv_tcp_t>
    ) -> Bool {
        var buffer = uv_buf_init(start.assumingMemoryBound(to: CChar.self), UInt32(count))
        let request = block.bindMemory(to: uv_write_t.self, capacity: 1)
        let status = uv_write(request, asStream(handle), &buffer, 1, bytesWritten)
        guard status >= 0 else {
            block.deallocate()
            finish(.failed(UVError(status: status)))
            return false
        }
        return true
    }

    fileprivate func written(accountedBytes: Int, status: Int32) {
        queuedWriteBytes -= accountedBytes
        precondition(queuedWriteBytes >= 0, "write queue went negative: \(queuedWriteBytes)")
        if status < 0 {
            droppedWriteBytes += accountedBytes
            if status != UV_ECANCELED.rawValue {
                finish(
                    status == UV_ECONNRESET.rawValue || status == UV_EPIPE.rawValue
                        ? .peerReset : .failed(UVError(status: status)))
            }
            return
        }
        if sendRefused && queuedWriteBytes <= limits.writeQueueLowWaterBytes && state == .open {
            sendRefused = false
            onWritable?()
            updateReading()
        }
    }
}

private func bytesWritten(_ request: UnsafeMutablePointer<uv_write_t>?, _ status: Int32) {
    guard let request else { return }
    let block = UnsafeMutableRawPointer(request)
    let accountedBytes = Int((block + requestBytes).loadUnaligned(as: UInt64.self))
    let stream = padlock_write_stream(request)
    block.deallocate()
    guard let stream else { return }
    let handle = UnsafeMutableRawPointer(stream).assumingMemoryBound(to: uv_handle_t.self)
    // The connection is still attached: libuv runs every write callback before the handle's close callback.
    guard let connection = owner(of: handle, as: TCPConnection.self) else { return }
    connection.written(accountedBytes: accountedBytes, status: status)
}

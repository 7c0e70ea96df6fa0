import CLibUV

// A write request and its bytes share one allocation: [uv_write_t, padded to 16 bytes][4-byte big-endian
// payload length][payload]. A framed connection writes the length and the payload (the length is the
// frame's prefix); a raw connection writes only the payload, and the length stays behind as bookkeeping.
// Either way the write callback recovers the size from the length and frees the whole block, so nothing
// else has to remember per-write state.

private let requestBytes = (uv_req_size(UV_WRITE) + 15) & ~15

extension TCPConnection {
    /// Queues one frame carrying `payload`; on a raw connection, queues `payload`'s bytes as they are (an
    /// empty raw send writes nothing and answers `.queued`).
    ///
    /// Never blocks and never buffers beyond `limits.writeQueueBytesMax`: see `SendAnswer`. Raw bytes
    /// count toward the queue exactly as a frame's bytes do, without a prefix.
    public func send(_ payload: [UInt8]) -> SendAnswer {
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
        let block = makeWriteBlock(payload)
        let start = limits.framing == .raw ? block + requestBytes + FrameDecoder.prefixBytes : block + requestBytes
        var buffer = uv_buf_init(start.assumingMemoryBound(to: CChar.self), UInt32(writeBytes))
        let request = block.bindMemory(to: uv_write_t.self, capacity: 1)
        let status = uv_write(request, asStream(handle), &buffer, 1, bytesWritten)
        if status < 0 {
            block.deallocate()
            finish(.failed(UVError(status: status)))
            return .closed
        }
        queuedWriteBytes += writeBytes
        return .queued
    }

    /// The bytes one send of `payloadBytes` adds to the write queue: the payload, plus its length prefix
    /// when the connection is framed.
    func queuedBytes(forPayloadBytes payloadBytes: Int) -> Int {
        switch limits.framing {
        case .lengthPrefixed: FrameDecoder.prefixBytes + payloadBytes
        case .raw: payloadBytes
        }
    }

    /// Allocates a write block (layout above) holding `payload`; the caller has checked its size.
    private func makeWriteBlock(_ payload: [UInt8]) -> UnsafeMutableRawPointer {
        let blockBytes = requestBytes + FrameDecoder.prefixBytes + payload.count
        let block = UnsafeMutableRawPointer.allocate(byteCount: blockBytes, alignment: 16)
        block.initializeMemory(as: UInt8.self, repeating: 0, count: requestBytes)
        let lengthField = block + requestBytes
        lengthField.storeBytes(of: UInt32(payload.count).bigEndian, as: UInt32.self)
        payload.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress {
                (lengthField + FrameDecoder.prefixBytes).copyMemory(from: base, byteCount: bytes.count)
            }
        }
        return block
    }

    fileprivate func written(payloadBytes: Int, status: Int32) {
        let writeBytes = queuedBytes(forPayloadBytes: payloadBytes)
        queuedWriteBytes -= writeBytes
        precondition(queuedWriteBytes >= 0, "write queue went negative: \(queuedWriteBytes)")
        if status < 0 {
            droppedWriteBytes += writeBytes
            if status != UV_ECANCELED.rawValue {
                finish(status == UV_ECONNRESET.rawValue || status == UV_EPIPE.rawValue
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
    let payloadBytes = Int(UInt32(bigEndian: (block + requestBytes).loadUnaligned(as: UInt32.self)))
    let stream = padlock_write_stream(request)
    block.deallocate()
    guard let stream else { return }
    let handle = UnsafeMutableRawPointer(stream).assumingMemoryBound(to: uv_handle_t.self)
    // The connection is still attached: libuv runs every write callback before the handle's close callback.
    guard let connection = owner(of: handle, as: TCPConnection.self) else { return }
    connection.written(payloadBytes: payloadBytes, status: status)
}

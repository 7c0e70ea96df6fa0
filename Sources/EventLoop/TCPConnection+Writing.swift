import CLibUV

// A write request and its frame share one allocation: [uv_write_t, padded to 16 bytes][length prefix]
// [payload]. The write callback recovers the frame's size from the length prefix and frees the whole
// block, so nothing else has to remember per-write state.

private let requestBytes = (uv_req_size(UV_WRITE) + 15) & ~15

extension TCPConnection {
    /// Queues one frame carrying `payload`.
    ///
    /// Never blocks and never buffers beyond `limits.writeQueueBytesMax`: see `SendAnswer`.
    public func send(_ payload: [UInt8]) -> SendAnswer {
        core.assertOnLoopThread("TCPConnection.send")
        guard state == .open, let handle = liveHandle else { return .closed }
        let frameBytes = FrameDecoder.prefixBytes + payload.count
        guard frameBytes <= limits.writeQueueBytesMax, payload.count <= Int(UInt32.max) else {
            return .frameTooLarge
        }
        guard queuedWriteBytes + frameBytes <= limits.writeQueueBytesMax else {
            sendRefused = true
            if limits.pausesReadingWhenWriteQueueFull { stopReading() }
            return .backpressure
        }
        let block = UnsafeMutableRawPointer.allocate(byteCount: requestBytes + frameBytes, alignment: 16)
        block.initializeMemory(as: UInt8.self, repeating: 0, count: requestBytes)
        let frame = block + requestBytes
        frame.storeBytes(of: UInt32(payload.count).bigEndian, as: UInt32.self)
        payload.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress {
                (frame + FrameDecoder.prefixBytes).copyMemory(from: base, byteCount: bytes.count)
            }
        }
        var buffer = uv_buf_init(frame.assumingMemoryBound(to: CChar.self), UInt32(frameBytes))
        let request = block.bindMemory(to: uv_write_t.self, capacity: 1)
        let status = uv_write(request, asStream(handle), &buffer, 1, frameWritten)
        if status < 0 {
            block.deallocate()
            finish(.failed(UVError(status: status)))
            return .closed
        }
        queuedWriteBytes += frameBytes
        return .queued
    }

    fileprivate func written(frameBytes: Int, status: Int32) {
        queuedWriteBytes -= frameBytes
        precondition(queuedWriteBytes >= 0, "write queue went negative: \(queuedWriteBytes)")
        if status < 0 {
            droppedWriteBytes += frameBytes
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

private func frameWritten(_ request: UnsafeMutablePointer<uv_write_t>?, _ status: Int32) {
    guard let request else { return }
    let block = UnsafeMutableRawPointer(request)
    let payloadBytes = UInt32(bigEndian: (block + requestBytes).loadUnaligned(as: UInt32.self))
    let frameBytes = FrameDecoder.prefixBytes + Int(payloadBytes)
    let stream = padlock_write_stream(request)
    block.deallocate()
    guard let stream else { return }
    let handle = UnsafeMutableRawPointer(stream).assumingMemoryBound(to: uv_handle_t.self)
    // The connection is still attached: libuv runs every write callback before the handle's close callback.
    guard let connection = owner(of: handle, as: TCPConnection.self) else { return }
    connection.written(frameBytes: frameBytes, status: status)
}

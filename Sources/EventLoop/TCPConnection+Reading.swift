import CLibUV
import Logging

extension TCPConnection {
    /// Starts reading; called once the owner has installed its callbacks.
    func startReading() {
        startTLSIfNeeded()
        updateReading()
    }

    /// Whether frames should be delivered now.
    var wantsFrames: Bool {
        state == .open && !pausedByOwner && !(sendRefused && limits.pausesReadingWhenWriteQueueFull)
    }

    /// Brings the socket's read state in line with `wantsFrames`, delivering buffered frames on resume.
    func updateReading() {
        guard let handle = liveHandle else { return }
        if wantsFrames {
            deliverFrames()
            // Delivery may have closed or paused the connection.
            if wantsFrames && !isReading {
                let status = uv_read_start(asStream(handle), readBufferNeeded, bytesRead)
                if status < 0 {
                    finish(.failed(UVError(status: status)))
                    return
                }
                isReading = true
            }
        } else {
            stopReading()
        }
    }

    func stopReading() {
        guard isReading, let handle else { return }
        uv_read_stop(asStream(handle))
        isReading = false
    }

    fileprivate func received(_ bytes: UnsafeRawBufferPointer) {
        if let tls {
            receivedCiphertext(bytes, session: tls)
        } else {
            decoder.append(bytes)
        }
        deliverFrames()
    }

    /// Hands complete buffered frames to the owner while it wants them.
    func deliverFrames() {
        guard !isDelivering else { return }
        isDelivering = true
        defer { isDelivering = false }
        while wantsFrames {
            switch decoder.next() {
            case .frame(let payload):
                if let onFrame {
                    onFrame(payload)
                } else {
                    core.logger.warning("frame dropped: no onFrame callback", metadata: ["connection": "\(number)"])
                }
            case .needMoreBytes:
                return
            case .tooLarge(let announced):
                core.logger.warning(
                    "closing connection: frame too large",
                    metadata: [
                        "connection": "\(number)", "announcedBytes": "\(announced)",
                        "maxFrameBytes": "\(limits.maxFrameBytes)",
                    ])
                finish(.frameTooLarge(announcedBytes: announced, maxFrameBytes: limits.maxFrameBytes))
                return
            }
        }
    }

    fileprivate func readFailed(_ status: Int) {
        let isEndOfStream = status == Int(UV_EOF.rawValue) || status == Int(UV_ECONNRESET.rawValue)
        if isEndOfStream, let interrupted = handshakeInterruption() {
            finish(interrupted)
        } else if status == Int(UV_EOF.rawValue) {
            finish(.peerClosed)
        } else if status == Int(UV_ECONNRESET.rawValue) {
            finish(.peerReset)
        } else {
            finish(.failed(UVError(status: Int32(truncatingIfNeeded: status))))
        }
    }
}

/// libuv asks where to put the next chunk: always the connection's own read buffer, which is safe because
/// each chunk is consumed (copied into the decoder) before the next read.
private func readBufferNeeded(
    _ handle: UnsafeMutablePointer<uv_handle_t>?, _ suggested: Int, _ buffer: UnsafeMutablePointer<uv_buf_t>?
) {
    guard let handle, let buffer, let connection = owner(of: handle, as: TCPConnection.self) else { return }
    let storage = connection.readBuffer
    buffer.pointee = uv_buf_init(storage.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(storage.count))
}

private func bytesRead(
    _ stream: UnsafeMutablePointer<uv_stream_t>?, _ count: Int, _ buffer: UnsafePointer<uv_buf_t>?
) {
    guard let stream else { return }
    let handle = UnsafeMutableRawPointer(stream).assumingMemoryBound(to: uv_handle_t.self)
    guard let connection = owner(of: handle, as: TCPConnection.self) else { return }
    if count > 0, let base = buffer?.pointee.base {
        connection.received(UnsafeRawBufferPointer(start: base, count: count))
    } else if count < 0 {
        connection.readFailed(count)
    }
}

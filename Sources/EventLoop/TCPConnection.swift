import CLibUV
import Logging

/// One TCP connection carrying length-prefixed frames (a 4-byte big-endian payload length, then the
/// payload), or, with `ConnectionLimits.Framing.raw`, plain bytes. Made by a `TCPListener` or by
/// `EventLoop.connect`.
///
/// Given a `TLSContext`, the connection encrypts: the owner still sends and receives plaintext frames, the
/// handshake runs on the first reads, and a handshake or certificate failure closes it with `.tlsFailed`.
///
/// Loop thread only: every method must be called there, and every callback runs there. The owner sets
/// `onFrame`, `onClose` and `onWritable` (for accepted connections, inside the listener's accept callback,
/// before the first frame can arrive). `onClose` is called exactly once; afterwards all three callbacks
/// are released, which breaks the reference cycles owners usually create by capturing the connection.
///
/// Backpressure: the write queue holds at most `limits.writeQueueBytesMax` bytes. A send that would
/// exceed it is refused (`.backpressure`) and `onWritable` fires once the queue is below its low-water
/// mark. Meanwhile reading pauses (unless `limits.pausesReadingWhenWriteQueueFull` is false), so a peer
/// that does not drain our replies cannot make us buffer its requests without bound.
package final class TCPConnection: LoopHandleOwner {
    enum State {
        /// Reading and writing.
        case open
        /// `close()` asked libuv to flush and shut down; no more sends.
        case flushing
        /// `uv_close` (or a reset) was issued; waiting for the close callback.
        case closing
        /// The close callback ran; the handle's memory is gone.
        case closed
    }

    let core: LoopCore
    /// A number unique on this loop, for log messages.
    package let number: Int
    /// This connection's bounds.
    package let limits: ConnectionLimits

    /// Called with each received frame's payload, in order. On a raw connection, called with each chunk
    /// of bytes as it is read (never empty, at most 64 KiB, cut wherever the kernel cut the stream).
    package var onFrame: (([UInt8]) -> Void)?
    /// Called once when the connection has closed, with the reason.
    package var onClose: ((ConnectionClosed) -> Void)?
    /// Called after a refused send, once the write queue has drained below its low-water mark.
    package var onWritable: (() -> Void)?

    var state = State.open
    /// Nil once the handle is closed; valid while `state` is not `.closed`.
    var handle: UnsafeMutablePointer<uv_tcp_t>?
    var decoder: FrameDecoder
    /// Receives each `uv_read` chunk; allocated with the connection, freed in `didClose`.
    let readBuffer: UnsafeMutableRawBufferPointer
    var isReading = false
    var pausedByOwner = false
    /// Set by a refused send; cleared (and `onWritable` called) when the queue drains to its low-water mark.
    /// While set, reading is paused if `limits.pausesReadingWhenWriteQueueFull`.
    var sendRefused = false
    /// True while `deliverFrames` runs, so a callback that resumes reading does not re-enter it.
    var isDelivering = false
    /// Bytes sent and not yet written: gathered in `corked`, or handed to `uv_write` whose callbacks have
    /// not run yet.
    package internal(set) var queuedWriteBytes = 0
    /// The numeric address at the other end (`127.0.0.1`, `::1`), for an accepted connection; nil for one
    /// this side dialed, or when the system could not say.
    package internal(set) var remoteHost: String?
    /// Frames (with their prefixes) or raw bytes sent during this loop iteration, written together when it
    /// ends (`LoopCore.flushCorkedWrites`).
    var corked: [UInt8] = []
    var droppedWriteBytes = 0
    var closeReason: CloseReason?
    /// Connections that failed to connect close without telling an owner.
    var closesSilently = false
    /// The TLS session, on an encrypted connection; freed when the handle closes.
    let tls: TLSSession?

    static let readBufferBytes = 64 * 1024

    init(core: LoopCore, handle: UnsafeMutablePointer<uv_tcp_t>, limits: ConnectionLimits, tls: TLSSession? = nil) {
        self.core = core
        self.handle = handle
        self.limits = limits
        self.tls = tls
        self.number = core.makeConnectionNumber()
        decoder = FrameDecoder(maxFrameBytes: limits.maxFrameBytes, framing: limits.framing)
        readBuffer = .allocate(byteCount: TCPConnection.readBufferBytes, alignment: 16)
        attach(self, to: handle)
    }

    /// Whether the connection still accepts sends.
    package var isOpen: Bool {
        core.assertOnLoopThread("TCPConnection.isOpen")
        return state == .open && liveHandle != nil
    }

    /// The handle, unless it is gone or libuv is already closing it: the loop's shutdown closes every
    /// handle through `uv_walk`, behind the owner's back, and libuv must not be asked to close (or write
    /// to) a closing handle.
    var liveHandle: UnsafeMutablePointer<uv_tcp_t>? {
        guard let handle, uv_is_closing(asHandle(handle)) == 0 else { return nil }
        return handle
    }

    /// Stops delivering frames or raw chunks (and reading from the socket) until `resumeReading()`.
    package func pauseReading() {
        core.assertOnLoopThread("TCPConnection.pauseReading")
        pausedByOwner = true
        updateReading()
    }

    /// Resumes delivering frames after `pauseReading()`; frames (or a raw chunk) already buffered are
    /// delivered first.
    package func resumeReading() {
        core.assertOnLoopThread("TCPConnection.resumeReading")
        pausedByOwner = false
        updateReading()
    }

    /// Orderly close: stops reading, writes every queued frame (or raw bytes), then closes. `onClose` follows with
    /// `.closedLocally`. A peer that never drains keeps the connection flushing until `abort()`.
    ///
    /// On a TLS connection close_notify goes out first. Sends still waiting for a handshake that has not
    /// completed are dropped and counted in `ConnectionClosed.droppedWriteBytes`.
    package func close() {
        core.assertOnLoopThread("TCPConnection.close")
        guard state == .open, liveHandle != nil else { return }
        prepareTLSForClose()
        shutDownStream()
    }

    /// Stops reading and asks libuv to flush the write queue, then shut the stream down; the shutdown
    /// callback closes the handle.
    func shutDownStream() {
        guard state == .open, let handle = liveHandle else { return }
        stopReading()
        // The shutdown waits for writes already issued; this iteration's gathered sends go out first.
        guard flushCorked() else { return }
        state = .flushing
        let request = allocateRequest(UV_SHUTDOWN, as: uv_shutdown_t.self)
        let status = uv_shutdown(request, asStream(handle), shutdownFinished)
        if status < 0 {
            UnsafeMutableRawPointer(request).deallocate()
            finish(.closedLocally)
        }
    }

    /// Abortive close: sends a reset (`uv_tcp_close_reset`), drops queued frames (reported in
    /// `ConnectionClosed.droppedWriteBytes`) and closes. `onClose` follows with `.abortedLocally`.
    package func abort() {
        core.assertOnLoopThread("TCPConnection.abort")
        guard state == .open || state == .flushing, let handle = liveHandle else { return }
        stopReading()
        dropCorked()
        closeReason = closeReason ?? .abortedLocally
        state = .closing
        if uv_tcp_close_reset(handle, handleDidClose) < 0 {
            // libuv refuses a reset after a shutdown was issued; a plain close still drops the queue.
            closeHandle(asHandle(handle))
        }
    }

    /// Closes the handle for `reason` (the first reason recorded wins) without flushing.
    func finish(_ reason: CloseReason) {
        guard state == .open || state == .flushing, let handle = liveHandle else { return }
        stopReading()
        closeReason = closeReason ?? reason
        // What this iteration sent before the close goes to the socket now, as an unbuffered send would have
        // (an answer sent just before a protocol error closes the connection still leaves); the close then
        // cancels whatever the socket did not take at once.
        flushCorked()
        guard state == .open || state == .flushing else { return }
        state = .closing
        closeHandle(asHandle(handle))
    }

    func didClose() {
        state = .closed
        handle = nil
        isReading = false
        dropCorked()
        readBuffer.deallocate()
        if let tls {
            // Sends that waited for a handshake that never completed (an abort, a reset, the loop's stop).
            droppedWriteBytes += tls.pendingBytes
            tls.pendingBytes = 0
            tls.free()
        }
        let event = ConnectionClosed(reason: closeReason ?? .loopStopped, droppedWriteBytes: droppedWriteBytes)
        let onClose = self.onClose
        self.onFrame = nil
        self.onWritable = nil
        self.onClose = nil
        guard !closesSilently else { return }
        core.logger.debug("connection closed", metadata: ["connection": "\(number)", "reason": "\(event.reason)"])
        onClose?(event)
    }
}

extension LoopCore {
    func makeConnectionNumber() -> Int {
        nextConnectionNumber += 1
        return nextConnectionNumber
    }
}

private func shutdownFinished(_ request: UnsafeMutablePointer<uv_shutdown_t>?, _ status: Int32) {
    guard let request else { return }
    let stream = request.pointee.handle
    UnsafeMutableRawPointer(request).deallocate()
    // ECANCELED means the handle is already closing (abort or loop stop); its close callback reports.
    guard status != UV_ECANCELED.rawValue, let stream else { return }
    let handle = UnsafeMutableRawPointer(stream).assumingMemoryBound(to: uv_handle_t.self)
    guard let connection = owner(of: handle, as: TCPConnection.self) else { return }
    connection.finish(status < 0 ? .failed(UVError(status: status)) : .closedLocally)
}

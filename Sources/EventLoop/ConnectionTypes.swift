/// Bounds for one TCP connection, and how its byte stream is cut into messages.
package struct ConnectionLimits: Sendable, Equatable {
    /// How a connection's byte stream is cut into the messages `onFrame` delivers and `send(_:)` writes.
    package enum Framing: Sendable, Equatable {
        /// Each message is a 4-byte big-endian payload length, then the payload (Padlock's wire protocol).
        case lengthPrefixed
        /// No framing: `onFrame` delivers each chunk of bytes as it is read from the socket (at most
        /// 64 KiB, cut wherever the kernel cut it), and `send(_:)` writes its bytes as they are. For
        /// protocols with their own framing, such as the admin port's HTTP/1.1.
        case raw
    }

    /// The largest payload the peer may send in one frame; a longer length prefix closes the connection.
    ///
    /// Meaningless with `.raw` framing, where there are no frames to measure: raw chunks are at most one
    /// read buffer (64 KiB), and the owner bounds what it keeps of them.
    package var maxFrameBytes: Int
    /// The most bytes (length prefixes included, when framed) queued for sending; a send beyond it is
    /// refused.
    package var writeQueueBytesMax: Int
    /// After a refused send, the queue must drain to this many bytes before the owner hears `onWritable`.
    package var writeQueueLowWaterBytes: Int
    /// Whether a refused send also pauses reading until the queue drains (the default).
    ///
    /// Right for a server answering requests: it stops taking requests it cannot answer. Wrong for a side
    /// that pipelines more than the connection can buffer and must read replies to make progress (a
    /// client, or both ends of a symmetric peer link): if both ends pause, neither drains the other and
    /// the connection deadlocks. Such owners set this to false and bound their own in-flight window.
    package var pausesReadingWhenWriteQueueFull: Bool
    /// How the byte stream is cut into messages; `.lengthPrefixed` unless asked otherwise.
    package var framing: Framing

    /// Makes limits; the defaults suit Padlock's peer and client traffic.
    package init(
        maxFrameBytes: Int = 1 << 20, writeQueueBytesMax: Int = 4 << 20,
        writeQueueLowWaterBytes: Int = 1 << 20, pausesReadingWhenWriteQueueFull: Bool = true,
        framing: Framing = .lengthPrefixed
    ) {
        precondition(maxFrameBytes >= 0 && maxFrameBytes <= Int(UInt32.max), "maxFrameBytes out of range")
        precondition(writeQueueBytesMax > 4, "writeQueueBytesMax must exceed one length prefix")
        precondition(
            writeQueueLowWaterBytes >= 0 && writeQueueLowWaterBytes < writeQueueBytesMax,
            "writeQueueLowWaterBytes must be below writeQueueBytesMax")
        self.maxFrameBytes = maxFrameBytes
        self.writeQueueBytesMax = writeQueueBytesMax
        self.writeQueueLowWaterBytes = writeQueueLowWaterBytes
        self.pausesReadingWhenWriteQueueFull = pausesReadingWhenWriteQueueFull
        self.framing = framing
    }
}

/// The answer to `TCPConnection.send(_:)`.
package enum SendAnswer: Sendable, Equatable {
    /// The frame (or, on a raw connection, the bytes) is queued and will be written in order.
    case queued
    /// The write queue is full: the frame was not queued. Reading pauses, and `onWritable` is called once
    /// the queue drains below its low-water mark; send again then.
    case backpressure
    /// The frame alone (on a raw connection, the bytes of this one send) is larger than the write queue's
    /// bound; it can never be sent on this connection in one piece.
    case frameTooLarge
    /// The connection is closing or closed; the frame was dropped.
    case closed
}

/// Why a TCP connection closed.
package enum CloseReason: Sendable, Equatable, CustomStringConvertible {
    /// `close()` finished: every queued frame was written, then the connection closed.
    case closedLocally
    /// `abort()` reset the connection; queued frames were dropped.
    case abortedLocally
    /// The peer closed its side (end of stream).
    case peerClosed
    /// The peer reset the connection.
    case peerReset
    /// The peer announced a frame longer than the connection's `maxFrameBytes` (never on a raw connection).
    case frameTooLarge(announcedBytes: UInt64, maxFrameBytes: Int)
    /// A read or write failed.
    case failed(UVError)
    /// The TLS handshake, the other side's certificate or a TLS record failed; OpenSSL's reason.
    case tlsFailed(String)
    /// The loop stopped and closed every handle.
    case loopStopped

    /// A short phrase for logs.
    package var description: String {
        switch self {
        case .closedLocally: "closed locally"
        case .abortedLocally: "aborted locally"
        case .peerClosed: "closed by peer"
        case .peerReset: "reset by peer"
        case .frameTooLarge(let announced, let limit): "frame of \(announced) bytes exceeds limit \(limit)"
        case .failed(let error): "failed: \(error)"
        case .tlsFailed(let reason): "TLS failed: \(reason)"
        case .loopStopped: "loop stopped"
        }
    }
}

/// What the owner hears when its connection has closed.
package struct ConnectionClosed: Sendable, Equatable {
    /// Why the connection closed.
    package let reason: CloseReason
    /// Bytes of queued frames (length prefixes included, when framed) that were never written.
    package let droppedWriteBytes: Int
}

/// Bounds for one TCP connection.
public struct ConnectionLimits: Sendable, Equatable {
    /// The largest payload the peer may send in one frame; a longer length prefix closes the connection.
    public var maxFrameBytes: Int
    /// The most bytes (length prefixes included) queued for sending; a send beyond it is refused.
    public var writeQueueBytesMax: Int
    /// After a refused send, the queue must drain to this many bytes before the owner hears `onWritable`.
    public var writeQueueLowWaterBytes: Int
    /// Whether a refused send also pauses reading until the queue drains (the default).
    ///
    /// Right for a server answering requests: it stops taking requests it cannot answer. Wrong for a side
    /// that pipelines more than the connection can buffer and must read replies to make progress (a
    /// client, or both ends of a symmetric peer link): if both ends pause, neither drains the other and
    /// the connection deadlocks. Such owners set this to false and bound their own in-flight window.
    public var pausesReadingWhenWriteQueueFull: Bool

    /// Makes limits; the defaults suit Padlock's peer and client traffic.
    public init(maxFrameBytes: Int = 1 << 20, writeQueueBytesMax: Int = 4 << 20,
                writeQueueLowWaterBytes: Int = 1 << 20, pausesReadingWhenWriteQueueFull: Bool = true) {
        precondition(maxFrameBytes >= 0 && maxFrameBytes <= Int(UInt32.max), "maxFrameBytes out of range")
        precondition(writeQueueBytesMax > 4, "writeQueueBytesMax must exceed one length prefix")
        precondition(writeQueueLowWaterBytes >= 0 && writeQueueLowWaterBytes < writeQueueBytesMax,
                     "writeQueueLowWaterBytes must be below writeQueueBytesMax")
        self.maxFrameBytes = maxFrameBytes
        self.writeQueueBytesMax = writeQueueBytesMax
        self.writeQueueLowWaterBytes = writeQueueLowWaterBytes
        self.pausesReadingWhenWriteQueueFull = pausesReadingWhenWriteQueueFull
    }
}

/// The answer to `TCPConnection.send(_:)`.
public enum SendAnswer: Sendable, Equatable {
    /// The frame is queued and will be written in order.
    case queued
    /// The write queue is full: the frame was not queued. Reading pauses, and `onWritable` is called once
    /// the queue drains below its low-water mark; send again then.
    case backpressure
    /// The frame alone is larger than the write queue's bound; it can never be sent on this connection.
    case frameTooLarge
    /// The connection is closing or closed; the frame was dropped.
    case closed
}

/// Why a TCP connection closed.
public enum CloseReason: Sendable, Equatable, CustomStringConvertible {
    /// `close()` finished: every queued frame was written, then the connection closed.
    case closedLocally
    /// `abort()` reset the connection; queued frames were dropped.
    case abortedLocally
    /// The peer closed its side (end of stream).
    case peerClosed
    /// The peer reset the connection.
    case peerReset
    /// The peer announced a frame longer than the connection's `maxFrameBytes`.
    case frameTooLarge(announcedBytes: UInt64, maxFrameBytes: Int)
    /// A read or write failed.
    case failed(UVError)
    /// The loop stopped and closed every handle.
    case loopStopped

    /// A short phrase for logs.
    public var description: String {
        switch self {
        case .closedLocally: "closed locally"
        case .abortedLocally: "aborted locally"
        case .peerClosed: "closed by peer"
        case .peerReset: "reset by peer"
        case .frameTooLarge(let announced, let limit): "frame of \(announced) bytes exceeds limit \(limit)"
        case .failed(let error): "failed: \(error)"
        case .loopStopped: "loop stopped"
        }
    }
}

/// What the owner hears when its connection has closed.
public struct ConnectionClosed: Sendable, Equatable {
    /// Why the connection closed.
    public let reason: CloseReason
    /// Bytes of queued frames (length prefixes included) that were never written.
    public let droppedWriteBytes: Int

    /// Makes a close event (for the loop, and for test doubles of connection owners).
    public init(reason: CloseReason, droppedWriteBytes: Int) {
        self.reason = reason
        self.droppedWriteBytes = droppedWriteBytes
    }
}

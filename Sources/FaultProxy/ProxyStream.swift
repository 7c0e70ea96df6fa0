import EventLoop

/// One way of a proxied connection: reads from its source, applies the fault in effect to each chunk, and
/// writes what survives to its destination in order. Loop thread only.
///
/// Held bytes (a delay, or a destination whose write queue is full) are bounded by ``heldBytesMax``: above
/// it the source stops being read until they drain, so a fast sender cannot make the proxy buffer without
/// limit.
final class ProxyStream {
    /// The most bytes held for one direction of one connection before its source is paused.
    static let heldBytesMax = 1 << 20

    let direction: ProxyDirection
    private let core: ProxyCore
    private var source: TCPConnection?
    private var destination: TCPConnection?
    /// Chunks read and not yet written, each with the time it may be written (a delay's end).
    private var held: [(due: Ticks, bytes: [UInt8])] = []
    private var heldStart = 0
    private var heldBytes = 0
    private var timer: LoopTimer?
    private var waitingForWritable = false
    private var sourcePaused = false
    private var isSourceEnded = false

    /// Called before each chunk is written.
    var onForward: (() -> Void)?
    /// Asked when a chunk arrives: whether the connection must be cut instead of delivering it.
    var shouldCut: (() -> Bool)?
    /// Cuts the connection.
    var onCut: (() -> Void)?

    init(direction: ProxyDirection, core: ProxyCore) {
        self.direction = direction
        self.core = core
    }

    func attach(source: TCPConnection) {
        self.source = source
        source.onFrame = { [unowned self] bytes in self.received(bytes) }
    }

    func attachDestination(_ destination: TCPConnection) {
        self.destination = destination
        destination.onWritable = { [unowned self] in
            self.waitingForWritable = false
            self.pump()
        }
    }

    private func received(_ bytes: [UInt8]) {
        if let shouldCut, shouldCut() {
            countDropped(bytes.count)
            onCut?()
            return
        }
        if core.drops(direction) {
            countDropped(bytes.count)
            return
        }
        // Never due before the chunk ahead of it: a jittered delay must not reorder the stream.
        var due = core.loop.now + core.delay(direction)
        if heldStart < held.count, let last = held.last, last.due > due { due = last.due }
        held.append((due: due, bytes: bytes))
        heldBytes += bytes.count
        pump()
    }

    /// Writes every held chunk that is due, in order, while the destination takes them.
    private func pump() {
        while heldStart < held.count, !waitingForWritable {
            guard let destination else { return discard() }
            let (due, bytes) = held[heldStart]
            let now = core.loop.now
            guard due <= now else { return armTimer(after: due - now) }
            onForward?()
            switch destination.send(bytes) {
            case .queued:
                heldStart += 1
                heldBytes -= bytes.count
                count(bytes.count)
            case .backpressure:
                waitingForWritable = true
            case .closed, .frameTooLarge:
                return discard()
            }
        }
        compact()
        updateSourceReading()
        if heldStart == held.count && isSourceEnded { destination?.close() }
    }

    private func armTimer(after delay: Duration) {
        updateSourceReading()
        guard timer == nil else { return }
        timer = core.loop.schedule(after: delay) { [weak self] in
            self?.timer = nil
            self?.pump()
        }
    }

    private func compact() {
        if heldStart == held.count {
            held.removeAll(keepingCapacity: true)
            heldStart = 0
        } else if heldStart > 64 && heldStart * 2 > held.count {
            held.removeFirst(heldStart)
            heldStart = 0
        }
    }

    /// Pauses the source while too much is held or the destination is full; resumes it otherwise.
    private func updateSourceReading() {
        guard let source else { return }
        let shouldPause = heldBytes >= Self.heldBytesMax || waitingForWritable
        guard shouldPause != sourcePaused else { return }
        sourcePaused = shouldPause
        if shouldPause { source.pauseReading() } else { source.resumeReading() }
    }

    /// The source sent its end of stream: once every held chunk is written, the destination closes.
    func sourceEnded() {
        isSourceEnded = true
        source = nil
        pump()
    }

    /// The destination closed: nothing held can be delivered any more.
    func destinationClosed() {
        destination = nil
        discard()
    }

    /// Drops every held chunk.
    func discard() {
        let dropped = heldBytes
        held.removeAll()
        heldStart = 0
        heldBytes = 0
        timer?.cancel()
        timer = nil
        if dropped > 0 { countDropped(dropped) }
    }

    private func count(_ bytes: Int) {
        switch direction {
        case .toUpstream: core.shared.count { $0.bytesToUpstream += bytes }
        case .toClient, .both: core.shared.count { $0.bytesToClient += bytes }
        }
    }

    private func countDropped(_ bytes: Int) {
        switch direction {
        case .toUpstream: core.shared.count { $0.bytesDroppedToUpstream += bytes }
        case .toClient, .both: core.shared.count { $0.bytesDroppedToClient += bytes }
        }
    }
}

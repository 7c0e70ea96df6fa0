import EventLoop
import Wire

/// The production `ClientEnvironment`: the client's libuv loop, its clock, timers and TCP (or TLS)
/// connections. Loop thread only, like the core it serves.
final class LoopClientEnvironment: ClientEnvironment {
    let loop: EventLoop
    /// The client-side TLS context every connection uses; nil: plaintext.
    let tls: TLSContext?
    private var generator = SystemRandomNumberGenerator()

    init(loop: EventLoop, tls: TLSContext?) {
        self.loop = loop
        self.tls = tls
    }

    var clock: @Sendable () -> ContinuousClock.Instant { { ContinuousClock.now } }

    func schedule(after delay: Duration, _ body: @escaping () -> Void) -> any ClientTimer {
        LoopClientTimer(loop.schedule(after: max(delay, .zero), body))
    }

    func connect(
        host: String, port: Int, timeout: Duration,
        completion: @escaping (Result<any ClientConnection, ClientConnectFailure>) -> Void
    ) {
        // A client pipelines and must keep reading answers while its writes queue (docs/eventloop.md).
        let limits = ConnectionLimits(
            maxFrameBytes: WireLimits.framePayloadByteCountMax, pausesReadingWhenWriteQueueFull: false)
        loop.connect(host: host, port: port, timeout: timeout, limits: limits, tls: tls) { result in
            switch result {
            case .success(let connection): completion(.success(LoopClientConnection(connection)))
            case .failure(let error): completion(.failure(ClientConnectFailure("\(error)")))
            }
        }
    }

    func randomUInt64() -> UInt64 { generator.next() }
}

/// A libuv timer as a `ClientTimer`.
final class LoopClientTimer: ClientTimer {
    private let timer: LoopTimer

    init(_ timer: LoopTimer) { self.timer = timer }

    func cancel() { timer.cancel() }
}

/// A framed TCP connection as a `ClientConnection`.
final class LoopClientConnection: ClientConnection {
    private let connection: TCPConnection

    init(_ connection: TCPConnection) { self.connection = connection }

    var onFrame: (([UInt8]) -> Void)? {
        get { connection.onFrame }
        set { connection.onFrame = newValue }
    }

    var onClose: ((ClientConnectionLoss) -> Void)? {
        didSet {
            guard let onClose else {
                connection.onClose = nil
                return
            }
            let usesTLS = connection.usesTLS
            connection.onClose = { closed in
                onClose(
                    ClientConnectionLoss(reason: "\(closed.reason)", handshakeHint: Self.hint(closed.reason, usesTLS)))
            }
        }
    }

    var onWritable: (() -> Void)? {
        get { connection.onWritable }
        set { connection.onWritable = newValue }
    }

    func send(_ frame: [UInt8]) -> ClientSendAnswer {
        switch connection.send(frame) {
        case .queued: .queued
        case .backpressure: .backpressure
        case .frameTooLarge: .frameTooLarge
        case .closed: .closed
        }
    }

    func abort() { connection.abort() }

    /// A hint for the reasons a misconfigured TLS setting produces: a TLS port hangs up on a plaintext
    /// client's handshake (or sends an alert it reads as an absurd frame length), and a TLS client sees a
    /// plaintext port hang up on its hello.
    private static func hint(_ reason: CloseReason, _ usesTLS: Bool) -> String {
        switch reason {
        case .frameTooLarge, .peerClosed, .peerReset:
            guard !usesTLS else { return "" }
            return " before answering the handshake (is the client port TLS? then set PadlockClient.Configuration.tls)"
        case .tlsFailed:
            return " (check PadlockClient.Configuration.tls against the server's [tls] settings)"
        default:
            return ""
        }
    }
}

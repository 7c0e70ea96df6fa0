import CLibUV
import Logging

/// A listening TCP socket that hands each accepted connection to its owner. Create it with
/// `EventLoop.listen(host:port:limits:onAccept:)`. Loop thread only.
///
/// Accept failures: libuv accepts in a loop and, when the process is out of file descriptors, first tries
/// its own trick (it closes a descriptor it keeps in reserve, accepts every pending connection and closes
/// each at once, then takes the reserve back); those connections are reset without the owner hearing of
/// them. Only when that reserve is gone does the owner's `onAcceptError` hear `EMFILE` or `ENFILE`, and
/// libuv then tries to accept again at once, in the same call. So that this never spins, a failure the
/// owner cannot relieve by closing a connection (its `onAcceptError` answers false, or failures keep
/// coming) closes the listening socket for `acceptPause` and listens again on the same port afterwards;
/// clients meanwhile see "connection refused" and try another node. Failures are logged at most once per
/// 10 s, with the count of those left out.
package final class TCPListener: LoopHandleOwner {
    private let core: LoopCore
    private let host: String
    private let backlog: Int32
    private let limits: ConnectionLimits
    private let tls: TLSContext?
    private var handle: UnsafeMutablePointer<uv_tcp_t>?
    private var onAccept: ((TCPConnection) -> Void)?
    /// The port the listener is bound to (the one the system chose when asked for port 0).
    package let port: Int
    /// Hears each failed accept, with the error; answers whether it closed a connection (so a descriptor is
    /// free for the next accept). Nil, or an answer of false, pauses listening for `acceptPause`.
    package var onAcceptError: ((UVError) -> Bool)?
    /// How long listening pauses after an accept failure nothing could relieve.
    package var acceptPause: Duration = .seconds(1)
    /// Whether listening is paused after accept failures (the socket is closed until the pause ends).
    package private(set) var isPaused = false
    private var isClosed = false
    private var failuresInRow = 0
    private var failureLog = FailureLog()
    private var resumeTimer: LoopTimer?

    /// Failures in a row (without an accept between them) after which listening pauses even when the owner
    /// closes connections to make room.
    static let failuresInRowMax = 64

    fileprivate init(
        core: LoopCore, host: String, port: Int, backlog: Int32, limits: ConnectionLimits,
        tls: TLSContext?, onAccept: @escaping (TCPConnection) -> Void
    ) throws(UVError) {
        self.core = core
        self.host = host
        self.backlog = backlog
        self.limits = limits
        self.tls = tls
        self.onAccept = onAccept
        let handle = try Self.open(core: core, host: host, port: port, backlog: backlog)
        self.handle = handle
        self.port = Int(try UVError.check(padlock_tcp_local_port(handle)))
        attach(self, to: handle)
    }

    /// A bound, listening handle without an owner yet (a failure closes it).
    private static func open(
        core: LoopCore, host: String, port: Int, backlog: Int32
    )
        throws(UVError) -> UnsafeMutablePointer<uv_tcp_t>
    {
        let handle = initializedHandle(UV_TCP, as: uv_tcp_t.self, on: core.loop, with: uv_tcp_init)
        do {
            try UVError.check(padlock_tcp_bind(handle, host, Int32(port)))
            try UVError.check(uv_listen(asStream(handle), backlog, connectionArrived))
            try UVError.check(padlock_tcp_local_port(handle))
        } catch {
            // The handle has no owner yet, so the shared close callback just frees it.
            closeHandle(asHandle(handle))
            throw error
        }
        return handle
    }

    /// Stops listening. Connections already accepted stay open. Closing twice is harmless.
    package func close() {
        core.assertOnLoopThread("TCPListener.close")
        isClosed = true
        onAccept = nil
        onAcceptError = nil
        resumeTimer?.cancel()
        resumeTimer = nil
        guard let handle else { return }
        self.handle = nil
        closeHandle(asHandle(handle))
    }

    func didClose() {
        handle = nil
        // A paused listener's old handle was detached before it closed; only a real close ends the listener.
        if !isPaused { onAccept = nil }
    }

    func accept(status: Int32) {
        guard let listening = handle, let onAccept else { return }
        guard status == 0 else {
            acceptFailed(UVError(status: status))
            return
        }
        let client = initializedHandle(UV_TCP, as: uv_tcp_t.self, on: core.loop, with: uv_tcp_init)
        let acceptStatus = uv_accept(asStream(listening), asStream(client))
        guard acceptStatus == 0 else {
            closeHandle(asHandle(client))
            acceptFailed(UVError(status: acceptStatus))
            return
        }
        failuresInRow = 0
        uv_tcp_nodelay(client, 1)
        var session: TLSSession?
        if let tls {
            session = TLSSession(context: tls, serverName: nil)
            guard session != nil else {
                closeHandle(asHandle(client))
                core.logger.warning("accept failed: no TLS session", metadata: ["reason": "\(takeOpenSSLError())"])
                return
            }
        }
        let connection = TCPConnection(core: core, handle: client, limits: limits, tls: session)
        connection.remoteHost = peerHost(of: client)
        onAccept(connection)
        connection.startReading()
    }

    /// Logs (rate-limited), lets the owner make room, and pauses listening when nothing else stops libuv
    /// from trying again at once.
    private func acceptFailed(_ error: UVError) {
        failuresInRow += 1
        if let suppressed = failureLog.shouldLog(now: Ticks(milliseconds: uv_now(core.loop))) {
            core.logger.error(
                "accepting a connection failed",
                metadata: [
                    "port": "\(port)", "error": "\(error)", "failuresNotLogged": "\(suppressed)",
                    "hint": "\(Self.hint(for: error))",
                ])
        }
        let relieved = onAcceptError?(error) ?? false
        if !relieved || failuresInRow >= Self.failuresInRowMax { pause() }
    }

    static func hint(for error: UVError) -> String {
        if error == .tooManyOpenFiles || error == .fileTableOverflow {
            return "out of file descriptors; raise `ulimit -n` (LimitNOFILE) or lower the connection limits"
        }
        return "the system refused a new connection"
    }

    /// Closes the listening socket (which ends libuv's accept loop) and listens again after `acceptPause`.
    private func pause() {
        guard let handle, !isClosed else { return }
        isPaused = true
        self.handle = nil
        // Detach first: the close callback must not end the listener, only free the old handle.
        if let data = uv_handle_get_data(asHandle(handle)) {
            uv_handle_set_data(asHandle(handle), nil)
            Unmanaged<AnyObject>.fromOpaque(data).release()
        }
        closeHandle(asHandle(handle))
        core.logger.warning(
            "not accepting connections for a while",
            metadata: [
                "port": "\(port)", "pause": "\(acceptPause)",
            ])
        scheduleResume()
    }

    private func scheduleResume() {
        // The timer's body keeps this listener alive while it has no handle.
        resumeTimer = LoopTimer(core: core, delay: acceptPause, interval: nil) { [self] in resume() }
    }

    private func resume() {
        resumeTimer = nil
        guard isPaused, !isClosed else { return }
        do {
            let handle = try Self.open(core: core, host: host, port: port, backlog: backlog)
            self.handle = handle
            isPaused = false
            failuresInRow = 0
            attach(self, to: handle)
            core.logger.notice("accepting connections again", metadata: ["port": "\(port)"])
        } catch {
            if failureLog.shouldLog(now: Ticks(milliseconds: uv_now(core.loop))) != nil {
                core.logger.error("cannot listen again; retrying", metadata: ["port": "\(port)", "error": "\(error)"])
            }
            scheduleResume()
        }
    }
}

/// At most one log line per interval; counts the lines left out in between.
struct FailureLog {
    var interval: Duration = .seconds(10)
    private var lastLogged: Ticks?
    private var suppressed = 0

    /// The number of failures not logged since the last line when this one should be logged; nil otherwise.
    mutating func shouldLog(now: Ticks) -> Int? {
        if let lastLogged, now - lastLogged < interval {
            suppressed += 1
            return nil
        }
        lastLogged = now
        defer { suppressed = 0 }
        return suppressed
    }
}

/// The numeric address at the other end of an accepted connection, nil when the system cannot say.
private func peerHost(of handle: UnsafeMutablePointer<uv_tcp_t>) -> String? {
    var text = [CChar](repeating: 0, count: 64)
    let status = text.withUnsafeMutableBufferPointer { padlock_tcp_peer_host(handle, $0.baseAddress, $0.count) }
    guard status == 0 else { return nil }
    return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

private func connectionArrived(_ server: UnsafeMutablePointer<uv_stream_t>?, _ status: Int32) {
    guard let server else { return }
    let handle = UnsafeMutableRawPointer(server).assumingMemoryBound(to: uv_handle_t.self)
    owner(of: handle, as: TCPListener.self)?.accept(status: status)
}

extension EventLoop {
    /// Listens for TCP connections on a numeric address (`127.0.0.1`, `::1`) and port (0 lets the system
    /// choose; read it from `TCPListener.port`). Loop thread only.
    ///
    /// `onAccept` runs on the loop thread with each new connection (TCP_NODELAY set, `remoteHost` known)
    /// before any frame is delivered: install the connection's callbacks there.
    ///
    /// With a server-side `tls` context every accepted connection is encrypted: frames are delivered once
    /// the handshake (and the client's certificate, when the context asks for one) has been accepted.
    package func listen(
        host: String, port: Int, backlog: Int32 = 511, limits: ConnectionLimits = .init(),
        tls: TLSContext? = nil,
        onAccept: @escaping (TCPConnection) -> Void
    ) throws(UVError) -> TCPListener {
        preconditionOnLoopThread("listen(host:port:)")
        guard (0...65_535).contains(port) else { throw UVError.invalidArgument }
        precondition(tls?.side != .client, "listen(host:port:) needs a server-side TLS context")
        return try TCPListener(
            core: core, host: host, port: port, backlog: backlog, limits: limits,
            tls: tls, onAccept: onAccept)
    }
}

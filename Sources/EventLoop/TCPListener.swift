import CLibUV
import Logging

/// A listening TCP socket that hands each accepted connection to its owner. Create it with
/// `EventLoop.listen(host:port:limits:onAccept:)`. Loop thread only.
public final class TCPListener: LoopHandleOwner {
    private let core: LoopCore
    private let limits: ConnectionLimits
    private let tls: TLSContext?
    private var handle: UnsafeMutablePointer<uv_tcp_t>?
    private var onAccept: ((TCPConnection) -> Void)?
    /// The port the listener is bound to (the one the system chose when asked for port 0).
    public let port: Int

    fileprivate init(core: LoopCore, host: String, port: Int, backlog: Int32, limits: ConnectionLimits,
                     tls: TLSContext?, onAccept: @escaping (TCPConnection) -> Void) throws(UVError) {
        self.core = core
        self.limits = limits
        self.tls = tls
        self.onAccept = onAccept
        let handle = allocateHandle(UV_TCP, as: uv_tcp_t.self)
        precondition(uv_tcp_init(core.loop, handle) == 0, "uv_tcp_init failed")
        self.handle = handle
        do {
            try UVError.check(padlock_tcp_bind(handle, host, Int32(port)))
            try UVError.check(uv_listen(asStream(handle), backlog, connectionArrived))
            self.port = Int(try UVError.check(padlock_tcp_local_port(handle)))
        } catch {
            // The handle has no owner yet, so the shared close callback just frees it.
            closeHandle(asHandle(handle))
            throw error
        }
        attach(self, to: handle)
    }

    /// Stops listening. Connections already accepted stay open. Closing twice is harmless.
    public func close() {
        core.assertOnLoopThread("TCPListener.close")
        guard let handle else { return }
        self.handle = nil
        onAccept = nil
        closeHandle(asHandle(handle))
    }

    func didClose() {
        handle = nil
        onAccept = nil
    }

    fileprivate func accept(status: Int32) {
        guard let listening = handle, let onAccept else { return }
        guard status == 0 else {
            core.logger.warning("accept failed", metadata: ["error": "\(UVError(status: status))"])
            return
        }
        let client = allocateHandle(UV_TCP, as: uv_tcp_t.self)
        precondition(uv_tcp_init(core.loop, client) == 0, "uv_tcp_init failed")
        let acceptStatus = uv_accept(asStream(listening), asStream(client))
        guard acceptStatus == 0 else {
            closeHandle(asHandle(client))
            core.logger.warning("accept failed", metadata: ["error": "\(UVError(status: acceptStatus))"])
            return
        }
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
        onAccept(connection)
        connection.startReading()
    }
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
    /// `onAccept` runs on the loop thread with each new connection (TCP_NODELAY set) before any frame is
    /// delivered: install the connection's callbacks there.
    ///
    /// With a server-side `tls` context every accepted connection is encrypted: frames are delivered once
    /// the handshake (and the client's certificate, when the context asks for one) has been accepted.
    public func listen(host: String, port: Int, backlog: Int32 = 511, limits: ConnectionLimits = .init(),
                       tls: TLSContext? = nil,
                       onAccept: @escaping (TCPConnection) -> Void) throws(UVError) -> TCPListener {
        preconditionOnLoopThread("listen(host:port:)")
        guard (0...65_535).contains(port) else { throw UVError.invalidArgument }
        precondition(tls?.side != .client, "listen(host:port:) needs a server-side TLS context")
        return try TCPListener(core: core, host: host, port: port, backlog: backlog, limits: limits,
                               tls: tls, onAccept: onAccept)
    }
}

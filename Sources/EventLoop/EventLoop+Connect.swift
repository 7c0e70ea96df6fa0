import CLibUV

/// One outgoing connection attempt: the connect request and its timeout race, and whichever finishes
/// first reports to the caller exactly once.
private final class ConnectAttempt {
    let connection: TCPConnection
    var timer: LoopTimer?
    var completion: ((Result<TCPConnection, UVError>) -> Void)?

    init(connection: TCPConnection, completion: @escaping (Result<TCPConnection, UVError>) -> Void) {
        self.connection = connection
        self.completion = completion
    }

    func complete(_ result: Result<TCPConnection, UVError>) {
        guard let completion else { return }
        self.completion = nil
        timer?.cancel()
        timer = nil
        switch result {
        case .success(let connection):
            if let handle = connection.handle { uv_tcp_nodelay(handle, 1) }
            completion(.success(connection))
            connection.startReading()
        case .failure(let error):
            connection.closesSilently = true
            connection.finish(.failed(error))
            completion(.failure(error))
        }
    }
}

extension EventLoop {
    /// Connects to a numeric address and port; `completion` runs once on the loop thread with the
    /// connection (TCP_NODELAY set) or a `UVError`: `.connectionRefused`, `.timedOut` when `timeout`
    /// passes first, `.cancelled` when the loop stops first. Loop thread only.
    ///
    /// Install the connection's callbacks inside `completion`; reading starts when it returns.
    ///
    /// With a client-side `tls` context the connection is encrypted and the server's certificate must be
    /// signed by the context's CA bundle and name `tls.serverName`, or `host` when the context names none.
    /// The completion still comes at TCP connect; sends made before the handshake finishes wait for it, and
    /// a failed handshake closes the connection with `.tlsFailed` and OpenSSL's reason.
    /// `.invalidArgument` means the expected server name could not be set.
    package func connect(
        host: String, port: Int, timeout: Duration, limits: ConnectionLimits = .init(),
        tls: TLSContext? = nil,
        completion: @escaping (Result<TCPConnection, UVError>) -> Void
    ) {
        preconditionOnLoopThread("connect(host:port:)")
        precondition(tls?.side != .server, "connect(host:port:) needs a client-side TLS context")
        guard (1...65_535).contains(port) else {
            completion(.failure(.invalidArgument))
            return
        }
        var session: TLSSession?
        if let tls {
            session = TLSSession(context: tls, serverName: tls.serverName ?? host)
            guard session != nil else {
                core.logger.warning("connect refused: no TLS session", metadata: ["reason": "\(takeOpenSSLError())"])
                completion(.failure(.invalidArgument))
                return
            }
        }
        let handle = initializedHandle(UV_TCP, as: uv_tcp_t.self, on: core.loop, with: uv_tcp_init)
        let connection = TCPConnection(core: core, handle: handle, limits: limits, tls: session)
        let attempt = ConnectAttempt(connection: connection, completion: completion)
        let request = allocateRequest(UV_CONNECT, as: uv_connect_t.self)
        // The request holds a retained attempt until its callback, which libuv always runs (with
        // ECANCELED when the handle closes first).
        let retained = Unmanaged.passRetained(attempt)
        uv_req_set_data(
            UnsafeMutableRawPointer(request).assumingMemoryBound(to: uv_req_t.self),
            retained.toOpaque())
        let status = padlock_tcp_connect(request, handle, host, Int32(port), connectFinished)
        if status < 0 {
            retained.release()
            UnsafeMutableRawPointer(request).deallocate()
            attempt.complete(.failure(UVError(status: status)))
            return
        }
        attempt.timer = schedule(after: timeout) { [unowned attempt] in
            attempt.complete(.failure(.timedOut))
        }
    }
}

private func connectFinished(_ request: UnsafeMutablePointer<uv_connect_t>?, _ status: Int32) {
    guard let request else { return }
    let data = uv_req_get_data(UnsafeMutableRawPointer(request).assumingMemoryBound(to: uv_req_t.self))
    UnsafeMutableRawPointer(request).deallocate()
    guard let data else { return }
    let attempt = Unmanaged<ConnectAttempt>.fromOpaque(data).takeRetainedValue()
    attempt.complete(status == 0 ? .success(attempt.connection) : .failure(UVError(status: status)))
}

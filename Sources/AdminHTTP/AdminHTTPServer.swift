import EventLoop
import Logging

/// The admin port: a small HTTP/1.1 server on an `EventLoop`, serving `GET` and `HEAD` by exact path.
///
/// Loop thread only, like the rest of the event loop's API: make it, add routes, `listen`, and `close`
/// on the loop thread; handlers run there too, to completion, so they may read loop-owned state freely
/// and must not block.
///
/// ```swift
/// let admin = AdminHTTPServer(loop: loop)
/// admin.route("/health") { _ in .text("ok\n") }
/// let port = try admin.listen(host: "127.0.0.1", port: 9090)
/// ```
///
/// Behaviour: unknown paths get 404, other methods on a known path 405 (with `Allow: GET, HEAD`), and a
/// request the parser refuses gets its status (400, 411, 413, 414, 431, 501 or 505), is logged, and closes
/// the connection. Pipelined requests are answered in order. Bounds: at most `connectionCountMax`
/// connections are served (more are answered 503 and closed); each connection must deliver a complete
/// request within `idleTimeout` of connecting or of its previous response (a slow or silent client is
/// closed, with 408 when it was inside a request), and a closing connection that does not drain within
/// another `idleTimeout` is reset. Responses are bounded by `responseBytesMax`.
///
/// While listening, the server's listener and timer keep it alive; `close()` (or the loop stopping)
/// releases it.
public final class AdminHTTPServer {
    /// Answers one request; runs on the loop thread.
    public typealias Handler = (HTTPRequest) -> HTTPResponse

    /// The server's bounds.
    public struct Configuration: Sendable, Equatable {
        /// The most connections served at once; further ones are answered 503 and closed.
        public var connectionCountMax: Int
        /// How long a connection may take to deliver its next complete request (not just its next byte,
        /// which would let a slowloris client hold a connection forever).
        public var idleTimeout: Duration
        /// The request parser's bounds.
        public var parserLimits: HTTPRequestParser.Limits
        /// The largest response (head and body); a handler's larger answer is replaced by a 500. Also the
        /// bound of each connection's write queue.
        public var responseBytesMax: Int

        /// Makes a configuration: 64 connections, 30 s idle timeout, the parser's default limits, 4 MiB
        /// responses.
        public init(connectionCountMax: Int = 64, idleTimeout: Duration = .seconds(30),
                    parserLimits: HTTPRequestParser.Limits = .init(), responseBytesMax: Int = 4 << 20) {
            precondition((1...10_000).contains(connectionCountMax), "connectionCountMax \(connectionCountMax)")
            precondition(idleTimeout >= .milliseconds(10) && idleTimeout <= .seconds(3600),
                         "idleTimeout \(idleTimeout) is outside 10 ms...1 h")
            precondition((4096...(1 << 30)).contains(responseBytesMax), "responseBytesMax \(responseBytesMax)")
            self.connectionCountMax = connectionCountMax
            self.idleTimeout = idleTimeout
            self.parserLimits = parserLimits
            self.responseBytesMax = responseBytesMax
        }
    }

    /// What the server has done since it was made, for its own metrics.
    public struct Counters: Sendable, Equatable {
        /// Connections accepted and served.
        public var connectionsAccepted = 0
        /// Connections refused because `connectionCountMax` were open (answered 503, or reset when even
        /// the refusals pile up).
        public var connectionsRejected = 0
        /// Requests answered by a handler, 404 or 405.
        public var requestsAnswered = 0
        /// Requests the parser refused.
        public var requestsMalformed = 0
        /// Connections closed by the idle timeout.
        public var idleTimeouts = 0
    }

    /// The loop the server runs on.
    public let loop: EventLoop
    /// The server's bounds.
    public let configuration: Configuration
    /// What the server has done so far.
    public internal(set) var counters = Counters()
    private var routes: [String: Handler] = [:]
    private var listener: TCPListener?
    private var sweepTimer: LoopTimer?
    private var isClosed = false
    /// Connections by their loop-wide number; removed when they have closed.
    var connections: [Int: AdminConnection] = [:]

    /// Makes a server that is not listening yet. Loop thread only.
    public init(loop: EventLoop, configuration: Configuration = .init()) {
        loop.preconditionOnLoopThread("AdminHTTPServer.init")
        self.loop = loop
        self.configuration = configuration
    }

    /// The port the server listens on, or nil before `listen`.
    public var port: Int? { listener?.port }

    /// Connections open now, including ones closing.
    public var connectionCount: Int { connections.count }

    /// Serves `GET` and `HEAD` requests for exactly `path` (compared before any `?query`, escapes as sent)
    /// with `handler`, replacing an earlier handler for it. A path not starting with `/` is a programmer
    /// error.
    public func route(_ path: String, _ handler: @escaping Handler) {
        loop.preconditionOnLoopThread("AdminHTTPServer.route")
        precondition(path.hasPrefix("/"), "admin route \(path.debugDescription) must start with '/'")
        routes[path] = handler
    }

    /// Starts listening on a numeric address and port (0 lets the system choose) and returns the port.
    /// Listening twice, or after `close()`, is a programmer error.
    @discardableResult
    public func listen(host: String, port: Int) throws(UVError) -> Int {
        loop.preconditionOnLoopThread("AdminHTTPServer.listen")
        precondition(listener == nil && !isClosed, "AdminHTTPServer.listen called twice or after close()")
        let limits = ConnectionLimits(
            writeQueueBytesMax: configuration.responseBytesMax,
            writeQueueLowWaterBytes: configuration.responseBytesMax / 4, framing: .raw)
        let listener = try loop.listen(host: host, port: port, limits: limits) { [self] connection in
            accept(connection)
        }
        self.listener = listener
        let interval = min(max(configuration.idleTimeout / 4, .milliseconds(5)), .seconds(1))
        sweepTimer = loop.schedule(after: interval, repeating: interval) { [self] in
            sweep()
        }
        return listener.port
    }

    /// Stops listening and closes every connection in an orderly way (responses already queued are
    /// written; one that does not drain within `idleTimeout` is reset). Closing twice is harmless. Not
    /// needed after the loop stopped, which closes everything itself.
    public func close() {
        loop.preconditionOnLoopThread("AdminHTTPServer.close")
        guard !isClosed else { return }
        isClosed = true
        listener?.close()
        for connection in connections.values { connection.beginClosing() }
        cancelSweepWhenDone()
    }

    private func accept(_ connection: TCPConnection) {
        let deadline = loop.now + configuration.idleTimeout
        if isClosed || connections.count >= 2 * configuration.connectionCountMax {
            // Refusals themselves are piling up: reset at once rather than hold another handle.
            counters.connectionsRejected += 1
            connection.abort()
            return
        }
        let admin = AdminConnection(server: self, connection: connection, deadline: deadline)
        connections[connection.number] = admin
        let serving = connections.values.count(where: { $0.phase == .serving })
        if serving > configuration.connectionCountMax {
            counters.connectionsRejected += 1
            loop.logger.notice("admin connection refused: too many connections",
                               metadata: ["connection": "\(connection.number)",
                                          "connectionCountMax": "\(configuration.connectionCountMax)"])
            admin.refuse(HTTPResponse.text("too many admin connections; try again later\n",
                                           status: .serviceUnavailable))
        } else {
            counters.connectionsAccepted += 1
        }
    }

    /// Applies every connection's deadline; runs on the repeating sweep timer.
    private func sweep() {
        let now = loop.now
        for connection in Array(connections.values) { connection.checkDeadline(now: now) }
    }

    /// Called by a connection once it has closed.
    func connectionDidClose(_ connection: AdminConnection) {
        connections.removeValue(forKey: connection.connection.number)
        cancelSweepWhenDone()
    }

    private func cancelSweepWhenDone() {
        if isClosed && connections.isEmpty {
            sweepTimer?.cancel()
            sweepTimer = nil
        }
    }

    /// The answer to a well-formed request: its route's handler for `GET` and `HEAD`, otherwise 404 or 405.
    func response(to request: HTTPRequest) -> HTTPResponse {
        counters.requestsAnswered += 1
        guard let handler = routes[String(request.path)] else {
            return .text("not found\n", status: .notFound)
        }
        guard request.method == .get || request.method == .head else {
            var response = HTTPResponse.text("method \(request.method) not allowed; use GET or HEAD\n",
                                             status: .methodNotAllowed)
            response.headers.add(name: "Allow", value: "GET, HEAD")
            return response
        }
        return handler(request)
    }
}

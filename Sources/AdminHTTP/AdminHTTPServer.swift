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
/// the connection. Pipelined requests are answered in order. Bounds: each connection must deliver a
/// complete request within `requestTimeout` of connecting or of the request's first byte, and its next
/// request within `idleTimeout` of its previous response (a slow or silent client is closed, with 408 when
/// it was inside a request); a closing connection that does not drain within another `idleTimeout` is
/// reset. Responses are bounded by `responseBytesMax`.
///
/// At most `connectionCountMax` connections are served. When all are taken, a new connection closes the
/// one that has waited longest for a complete request (slow and idle connections go first, so a health
/// check still gets in during a flood of slow connections); only when every connection is busy answering
/// is the new one refused, with 503 and a JSON body `{"status":"overloaded",…}`, which a monitor can tell
/// apart from an application's own 503.
///
/// While listening, the server's listener and timer keep it alive; `close()` (or the loop stopping)
/// releases it.
package final class AdminHTTPServer {
    /// Answers one request; runs on the loop thread.
    package typealias Handler = (HTTPRequest) -> HTTPResponse

    /// The server's bounds.
    package struct Configuration: Sendable, Equatable {
        /// The most connections served at once; further ones are answered 503 and closed.
        package var connectionCountMax: Int
        /// How long a connection may take to deliver its next complete request after a response (not
        /// just its next byte, which would let a slowloris client hold a connection forever).
        package var idleTimeout: Duration
        /// How long a new connection may take to deliver its first complete request, and any request may
        /// take from its first byte; never longer than `idleTimeout`.
        package var requestTimeout: Duration
        /// The request parser's bounds.
        package var parserLimits: HTTPRequestParser.Limits
        /// The largest response (head and body); a handler's larger answer is replaced by a 500. Also the
        /// bound of each connection's write queue.
        package var responseBytesMax: Int

        /// Makes a configuration: 64 connections, 30 s idle timeout, 10 s request timeout, the parser's
        /// default limits, 4 MiB responses.
        package init(
            connectionCountMax: Int = 64, idleTimeout: Duration = .seconds(30),
            requestTimeout: Duration = .seconds(10),
            parserLimits: HTTPRequestParser.Limits = .init(), responseBytesMax: Int = 4 << 20
        ) {
            precondition((1...10_000).contains(connectionCountMax), "connectionCountMax \(connectionCountMax)")
            precondition(
                idleTimeout >= .milliseconds(10) && idleTimeout <= .seconds(3600),
                "idleTimeout \(idleTimeout) is outside 10 ms...1 h")
            precondition(
                requestTimeout >= .milliseconds(10) && requestTimeout <= .seconds(3600),
                "requestTimeout \(requestTimeout) is outside 10 ms...1 h")
            self.requestTimeout = min(requestTimeout, idleTimeout)
            precondition((4096...(1 << 30)).contains(responseBytesMax), "responseBytesMax \(responseBytesMax)")
            self.connectionCountMax = connectionCountMax
            self.idleTimeout = idleTimeout
            self.parserLimits = parserLimits
            self.responseBytesMax = responseBytesMax
        }
    }

    /// What the server has done since it was made, for its own metrics.
    package struct Counters: Sendable, Equatable {
        /// Connections accepted and served.
        package var connectionsAccepted = 0
        /// Connections refused because `connectionCountMax` were busy (answered 503 overloaded, or reset
        /// when even the refusals pile up).
        package var connectionsRejected = 0
        /// Connections without a complete request closed to make room for a new one.
        package var connectionsShed = 0
        /// Requests answered by a handler, 404 or 405.
        package var requestsAnswered = 0
        /// Requests the parser refused.
        package var requestsMalformed = 0
        /// Connections closed by the idle timeout.
        package var idleTimeouts = 0
    }

    /// The loop the server runs on.
    package let loop: EventLoop
    /// The server's bounds.
    package let configuration: Configuration
    /// What the server has done so far.
    package internal(set) var counters = Counters()
    private var routes: [String: Handler] = [:]
    private var listener: TCPListener?
    private var sweepTimer: LoopTimer?
    private var isClosed = false
    private var lastOverloadNote: Ticks?
    /// Connections by their loop-wide number; removed when they have closed.
    var connections: [Int: AdminConnection] = [:]

    /// Makes a server that is not listening yet. Loop thread only.
    package init(loop: EventLoop, configuration: Configuration = .init()) {
        loop.preconditionOnLoopThread("AdminHTTPServer.init")
        self.loop = loop
        self.configuration = configuration
    }

    /// The port the server listens on, or nil before `listen`.
    package var port: Int? { listener?.port }

    /// Connections open now, including ones closing.
    package var connectionCount: Int { connections.count }

    /// Serves `GET` and `HEAD` requests for exactly `path` (compared before any `?query`, escapes as sent)
    /// with `handler`, replacing an earlier handler for it. A path not starting with `/` is a programmer
    /// error.
    package func route(_ path: String, _ handler: @escaping Handler) {
        loop.preconditionOnLoopThread("AdminHTTPServer.route")
        precondition(path.hasPrefix("/"), "admin route \(path.debugDescription) must start with '/'")
        routes[path] = handler
    }

    /// Starts listening on a numeric address and port (0 lets the system choose) and returns the port.
    /// Listening twice, or after `close()`, is a programmer error.
    @discardableResult
    package func listen(host: String, port: Int) throws(UVError) -> Int {
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
    package func close() {
        loop.preconditionOnLoopThread("AdminHTTPServer.close")
        guard !isClosed else { return }
        isClosed = true
        listener?.close()
        for connection in connections.values { connection.beginClosing() }
        cancelSweepWhenDone()
    }

    private func accept(_ connection: TCPConnection) {
        let deadline = loop.now + configuration.requestTimeout
        if isClosed || connections.count >= 2 * configuration.connectionCountMax {
            // Refusals themselves are piling up: reset at once rather than hold another handle.
            counters.connectionsRejected += 1
            connection.abort()
            return
        }
        var serving = connections.values.filter { $0.phase == .serving }
        if serving.count >= configuration.connectionCountMax,
            let oldest = serving.filter(\.isWaitingForRequest).min(by: { $0.waitingSince < $1.waitingSince })
        {
            counters.connectionsShed += 1
            noteOverload("admin connection closed to make room: it had not sent a complete request", connection)
            oldest.shed()
            serving.removeAll { $0 === oldest }
            // A reset frees the descriptor at once; its close callback comes at the end of the loop iteration,
            // after a burst of accepts, which must not count it against the limit below.
            connections.removeValue(forKey: oldest.connection.number)
        }
        let admin = AdminConnection(server: self, connection: connection, deadline: deadline)
        connections[connection.number] = admin
        guard serving.count < configuration.connectionCountMax else {
            counters.connectionsRejected += 1
            noteOverload("admin connection refused: every connection is busy", connection)
            admin.refuse(Self.overloaded(connectionCountMax: configuration.connectionCountMax))
            return
        }
        counters.connectionsAccepted += 1
    }

    /// The answer when every connection is taken: 503 with a body that says so, unlike a handler's 503.
    static func overloaded(connectionCountMax: Int) -> HTTPResponse {
        let body = """
            {"status":"overloaded","reason":"the admin port serves at most \(connectionCountMax) connections \
            and all are busy; try again shortly"}

            """
        var response = HTTPResponse(status: .serviceUnavailable, contentType: "application/json", body: body)
        response.headers.add(name: "Retry-After", value: "1")
        return response
    }

    /// Overload notes, at most one line per 10 s.
    private func noteOverload(_ message: String, _ connection: TCPConnection) {
        let now = loop.now
        if let last = lastOverloadNote, now - last < .seconds(10) { return }
        lastOverloadNote = now
        loop.logger.notice(
            "\(message)",
            metadata: [
                "source": "\(connection.remoteHost ?? "unknown")",
                "connectionCountMax": "\(configuration.connectionCountMax)",
                "shed": "\(counters.connectionsShed)", "rejected": "\(counters.connectionsRejected)",
            ])
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
            var response = HTTPResponse.text(
                "method \(request.method) not allowed; use GET or HEAD\n",
                status: .methodNotAllowed)
            response.headers.add(name: "Allow", value: "GET, HEAD")
            return response
        }
        return handler(request)
    }
}

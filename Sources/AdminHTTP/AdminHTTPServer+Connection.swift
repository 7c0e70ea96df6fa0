import EventLoop
import Logging

/// One admin connection: parses requests as bytes arrive, answers them in order, and enforces its
/// deadline. Loop thread only.
///
/// Bounded: while a response waits for the write queue (`pending`), no further request is parsed, and the
/// connection has stopped reading (a refused send pauses it), so the parser holds at most the request in
/// progress plus one read chunk.
final class AdminConnection {
    enum Phase: Equatable {
        /// Reading requests and answering them.
        case serving
        /// `close()` was asked for; waiting for the queue to drain and the close callback.
        case closing
    }

    let server: AdminHTTPServer
    let connection: TCPConnection
    var parser: HTTPRequestParser
    var phase = Phase.serving
    /// A response the write queue refused, and whether the connection closes after it.
    var pending: (bytes: [UInt8], closesAfter: Bool)?
    /// Serving: when the next complete request must have arrived. Closing: when to give up and reset.
    var deadline: Ticks
    /// When the connection began waiting for its next request (connected, or answered the last one).
    var waitingSince: Ticks

    init(server: AdminHTTPServer, connection: TCPConnection, deadline: Ticks) {
        self.server = server
        self.connection = connection
        self.parser = HTTPRequestParser(limits: server.configuration.parserLimits)
        self.deadline = deadline
        self.waitingSince = server.loop.now
        // The connection holds these closures until it has closed, then releases them, which ends the
        // cycle between it and this object.
        connection.onFrame = { [self] bytes in received(bytes) }
        connection.onWritable = { [self] in writable() }
        connection.onClose = { [self] _ in server.connectionDidClose(self) }
    }

    private func received(_ bytes: [UInt8]) {
        guard phase == .serving else { return }
        if !parser.isInsideRequest && !bytes.isEmpty {
            // A request began: it must be complete within the request timeout, however long the idle one.
            deadline = min(deadline, server.loop.now + server.configuration.requestTimeout)
        }
        parser.append(bytes)
        serveBuffered()
    }

    /// Answers every complete request buffered, in order, until one must wait for the write queue.
    private func serveBuffered() {
        while phase == .serving && pending == nil {
            let request: HTTPRequest
            do {
                guard let next = try parser.next() else { return }
                request = next
            } catch {
                refuseMalformed(error)
                return
            }
            let response = server.response(to: request)
            deadline = server.loop.now + server.configuration.idleTimeout
            waitingSince = server.loop.now
            send(
                response.serialized(keepAlive: request.keepAlive, includeBody: request.method != .head),
                closesAfter: !request.keepAlive)
        }
    }

    private func refuseMalformed(_ error: HTTPParseError) {
        server.counters.requestsMalformed += 1
        server.loop.logger.notice(
            "malformed admin request",
            metadata: [
                "connection": "\(connection.number)", "status": "\(error.status.code)",
                "reason": "\(error.message)",
            ])
        refuse(.text("\(error.message)\n", status: error.status))
    }

    /// Sends `response` and closes the connection after it.
    func refuse(_ response: HTTPResponse) {
        send(response.serialized(keepAlive: false), closesAfter: true)
    }

    private func send(_ bytes: [UInt8], closesAfter: Bool) {
        switch connection.send(bytes) {
        case .queued:
            if closesAfter { beginClosing() }
        case .backpressure:
            pending = (bytes, closesAfter)
        case .frameTooLarge:
            server.loop.logger.error(
                "admin response dropped: larger than responseBytesMax",
                metadata: [
                    "connection": "\(connection.number)", "bytes": "\(bytes.count)",
                    "responseBytesMax": "\(server.configuration.responseBytesMax)",
                ])
            refuse(.text("the response is too large\n", status: .internalServerError))
        case .closed:
            phase = .closing
        }
    }

    private func writable() {
        guard let pending else { return }
        self.pending = nil
        send(pending.bytes, closesAfter: pending.closesAfter)
        serveBuffered()
    }

    /// Whether the connection only waits for a request (nothing to answer, nothing unsent): the kind a new
    /// connection may displace when every slot is taken.
    var isWaitingForRequest: Bool {
        phase == .serving && pending == nil && connection.queuedWriteBytes == 0
    }

    /// Resets the connection to make room for another.
    func shed() {
        phase = .closing
        pending = nil
        connection.abort()
    }

    /// Closes in an orderly way (queued responses are written first), resetting the connection if that
    /// takes longer than the idle timeout. A response still waiting for the write queue is dropped.
    func beginClosing() {
        guard phase == .serving else { return }
        phase = .closing
        pending = nil
        deadline = server.loop.now + server.configuration.idleTimeout
        connection.close()
    }

    /// Acts on a passed deadline: a closing connection that has not drained is reset; a serving one is
    /// closed (with 408 if it was inside a request), or reset if its peer is not reading our responses.
    func checkDeadline(now: Ticks) {
        guard now >= deadline else { return }
        guard phase == .serving else {
            connection.abort()
            return
        }
        server.counters.idleTimeouts += 1
        let insideRequest = parser.isInsideRequest
        server.loop.logger.info(
            "admin connection idle timeout",
            metadata: ["connection": "\(connection.number)", "insideRequest": "\(insideRequest)"])
        if pending != nil || connection.queuedWriteBytes > 0 {
            phase = .closing
            pending = nil
            connection.abort()
        } else if insideRequest {
            refuse(.text("no complete request within the idle timeout\n", status: .requestTimeout))
        } else {
            beginClosing()
        }
    }
}

import EventLoop

/// One client connection and the upstream connection it is forwarded to, with a ``ProxyStream`` each way.
/// Loop thread only.
///
/// Closing follows the peers: an end of stream from one side lets the bytes already read from it drain to
/// the other side, then closes that side in order; a reset (or failure) on one side resets the other at
/// once. Closes the proxy makes itself (a reset fault, a cut) handle both sides where they are made.
final class ProxiedConnection {
    let number: Int
    private let core: ProxyCore
    private var client: TCPConnection?
    private var upstream: TCPConnection?
    private let toUpstream: ProxyStream
    private let toClient: ProxyStream
    private var clientClosed = false
    private var upstreamClosed = false
    private var wasReset = false

    init(number: Int, client: TCPConnection, core: ProxyCore) {
        self.number = number
        self.core = core
        self.client = client
        toUpstream = ProxyStream(direction: .toUpstream, core: core)
        toClient = ProxyStream(direction: .toClient, core: core)
        toUpstream.onForward = { [unowned self] in self.core.clientBytesForwarded(by: self) }
        toClient.shouldCut = { [unowned self] in self.core.cutsAnswer(of: self) }
        toClient.onCut = { [unowned self] in self.cut() }
        // Nothing is read from the client until the upstream connection exists to take it.
        client.pauseReading()
        toUpstream.attach(source: client)
        toClient.attachDestination(client)
        client.onClose = { [unowned self] closed in self.clientDidClose(closed.reason) }
    }

    /// Dials the upstream server; a failure resets the client.
    func connectUpstream() {
        let target = core.target
        core.loop.connect(
            host: target.host, port: target.port, timeout: target.connectTimeout, limits: ProxyCore.limits
        ) { [self] result in
            switch result {
            case .success(let connection):
                self.upstreamConnected(connection)
            case .failure(let error):
                self.core.shared.count { $0.upstreamConnectFailures += 1 }
                self.core.logger.debug(
                    "upstream unreachable", metadata: ["pair": "\(self.number)", "error": "\(error)"])
                self.upstreamClosed = true
                self.client?.abort()
                self.finishIfClosed()
            }
        }
    }

    private func upstreamConnected(_ connection: TCPConnection) {
        guard !clientClosed, !wasReset else {
            upstreamClosed = true
            connection.abort()
            finishIfClosed()
            return
        }
        upstream = connection
        toClient.attach(source: connection)
        toUpstream.attachDestination(connection)
        connection.onClose = { [unowned self] closed in self.upstreamDidClose(closed.reason) }
        client?.resumeReading()
    }

    /// Resets both sides now, dropping whatever is held.
    func reset() {
        wasReset = true
        toUpstream.discard()
        toClient.discard()
        client?.abort()
        upstream?.abort()
    }

    /// The cut of ``ProxyFault/cutAfterNextRequest``: the client never sees the answer (reset), while the
    /// upstream side is closed in order, so the server still reads every request byte already forwarded.
    private func cut() {
        toClient.discard()
        toUpstream.discard()
        client?.abort()
        upstream?.close()
    }

    private func clientDidClose(_ reason: CloseReason) {
        clientClosed = true
        client = nil
        sideClosed(reason, toward: toClient, from: toUpstream, other: upstream)
    }

    private func upstreamDidClose(_ reason: CloseReason) {
        upstreamClosed = true
        upstream = nil
        sideClosed(reason, toward: toUpstream, from: toClient, other: client)
    }

    /// After one side closed: the stream `toward` it lost its destination, the stream `from` it carries the
    /// close on to the `other` side, and the pair finishes once both sides are closed.
    private func sideClosed(_ reason: CloseReason, toward: ProxyStream, from: ProxyStream, other: TCPConnection?) {
        toward.destinationClosed()
        propagate(reason, ending: from, other: other)
        finishIfClosed()
    }

    /// Carries a peer's close to the other side; the proxy's own closes were handled where it made them.
    private func propagate(_ reason: CloseReason, ending stream: ProxyStream, other: TCPConnection?) {
        switch reason {
        case .peerClosed:
            stream.sourceEnded()
        case .peerReset, .failed, .frameTooLarge, .tlsFailed:
            stream.discard()
            other?.abort()
        case .closedLocally, .abortedLocally, .loopStopped:
            break
        }
    }

    private func finishIfClosed() {
        guard clientClosed && upstreamClosed else { return }
        core.pairClosed(self)
    }
}

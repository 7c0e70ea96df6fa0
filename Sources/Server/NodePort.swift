import EventLoop
import PadlockTypes

/// One of the node's listening ports (``ClientListener``, ``PeerTransport``): a listener on the loop whose
/// connections go to ``accepted(_:)`` and whose accept failures go to the runtime.
protocol NodePort: AnyObject {
    /// Limits of the port's connections.
    static var limits: ConnectionLimits { get }
    var loop: EventLoop { get }
    var listener: TCPListener? { get set }
    /// Accepting failed for want of descriptors; true when a waiting connection was closed to make room.
    var onAcceptError: (UVError) -> Bool { get }
    /// Takes a connection the listener accepted.
    func accepted(_ tcp: TCPConnection)
}

extension NodePort {
    /// Listens on `endpoint`; returns the port listened on (the one given, or the one chosen for port 0).
    func listen(on endpoint: SocketAddress, tls: TLSContext?) throws(UVError) -> Int {
        let listener = try loop.listen(host: endpoint.host, port: endpoint.port, limits: Self.limits, tls: tls) {
            [unowned self] connection in self.accepted(connection)
        }
        listener.onAcceptError = onAcceptError
        self.listener = listener
        return listener.port
    }
}

import EventLoop
import Logging
import Synchronization

/// A fault-injecting TCP proxy on its own event loop, for tests and chaos runs.
///
/// It listens on a loopback port and forwards every accepted connection to one upstream `host:port`, each
/// byte unchanged and in order, until a ``ProxyFault`` says otherwise. Faults switch at run time, from any
/// thread or task. The proxy knows nothing of the protocol it carries: it cuts, drops, holds and resets
/// bytes, which is what a network does.
///
/// ```swift
/// let proxy = try await FaultProxy(upstreamPort: 7401)
/// let client = try await PadlockClient(endpoints: [proxy.address], owner: "alice@frontend-2")
/// await proxy.setFault(.blackHole(.toClient))   // requests arrive, answers vanish
/// await proxy.setFault(.pass)
/// await proxy.stop()
/// ```
package final class FaultProxy: Sendable {
    /// What the proxy has done so far; read it with ``counters``.
    package struct Counters: Sendable, Hashable {
        /// Client connections accepted (including ones reset at once while ``ProxyFault/reset`` was set).
        package var connectionsAccepted = 0
        /// Pairs of client and upstream connections not yet fully closed.
        package var connectionsOpen = 0
        /// Client connections reset because ``ProxyFault/reset`` was set.
        package var connectionsReset = 0
        /// Client connections closed because the upstream server could not be reached.
        package var upstreamConnectFailures = 0
        /// Bytes written to the upstream server.
        package var bytesToUpstream = 0
        /// Bytes written to clients.
        package var bytesToClient = 0
        /// Bytes from clients dropped by a black hole (or a cut, or a reset).
        package var bytesDroppedToUpstream = 0
        /// Bytes from the upstream server dropped by a black hole, a cut or a reset.
        package var bytesDroppedToClient = 0
        /// Connections cut by ``ProxyFault/cutAfterNextRequest``.
        package var cuts = 0
    }

    /// The loopback port the proxy listens on.
    package let port: Int
    /// The host the proxy listens on.
    package let host: String
    /// Where every connection is forwarded, as `host:port`.
    package let upstream: String
    private let loop: EventLoop
    private let core: LoopBound<ProxyCore>
    private let shared: ProxyShared

    /// Starts a proxy: its own loop thread, listening on `host:listenPort` (0 lets the system choose; read
    /// ``port``), forwarding to `upstreamHost:upstreamPort`. Each accepted connection dials upstream with
    /// `connectTimeout`; a client whose upstream cannot be reached is reset.
    ///
    /// Throws the `UVError` of a failed listen (or of starting the loop).
    package init(
        upstreamHost: String = "127.0.0.1", upstreamPort: Int, host: String = "127.0.0.1", listenPort: Int = 0,
        connectTimeout: Duration = .seconds(1), name: String = "fault-proxy",
        logger: Logger = Logger(label: "padlock.faultproxy")
    ) async throws {
        let loop = try EventLoop(name: name, mailboxCapacity: 1024, logger: logger)
        let shared = ProxyShared()
        let target = ProxyTarget(host: upstreamHost, port: upstreamPort, connectTimeout: connectTimeout)
        do {
            (core, port) = try await loop.submit {
                let core = ProxyCore(loop: loop, target: target, shared: shared, logger: logger)
                let port = try core.listen(host: host, port: listenPort)
                return (LoopBound(core, loop: loop), port)
            }
        } catch {
            loop.stop()
            throw error
        }
        self.loop = loop
        self.shared = shared
        self.host = host
        self.upstream = "\(upstreamHost):\(upstreamPort)"
    }

    deinit {
        loop.requestStop()
    }

    /// The address clients connect to, as `host:port`.
    package var address: String { "\(host):\(port)" }

    /// The fault in effect now (``ProxyFault/cutAfterNextRequest`` turns back into ``ProxyFault/pass``
    /// once it has cut a connection).
    package var fault: ProxyFault { shared.state.withLock { $0.fault } }

    /// A snapshot of what the proxy has done so far.
    package var counters: Counters { shared.state.withLock { $0.counters } }

    /// Puts `fault` in effect; returns once the proxy's loop applies it, so traffic after the return sees
    /// it. A no-op once the proxy stopped.
    package func setFault(_ fault: ProxyFault) async {
        let core = self.core
        _ = try? await loop.submit { core.value.setFault(fault) }
    }

    /// Resets every connection and stops the proxy's loop; the report says whether every handle closed.
    /// Calling it twice is harmless.
    @discardableResult
    package func stop() async -> StopReport {
        let core = self.core
        _ = try? await loop.submit { core.value.shutDown() }
        return loop.stop()
    }
}

/// Where a proxy forwards its connections.
struct ProxyTarget: Sendable {
    var host: String
    var port: Int
    var connectTimeout: Duration
}

/// The fault and counters, written on the loop thread and read from anywhere.
final class ProxyShared: Sendable {
    struct State {
        var fault = ProxyFault.pass
        var counters = FaultProxy.Counters()
    }

    let state = Mutex(State())

    func count(_ update: (inout FaultProxy.Counters) -> Void) {
        state.withLock { update(&$0.counters) }
    }
}

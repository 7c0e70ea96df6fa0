import FaultProxy
import Foundation
import PadlockClient
import Synchronization

/// A real three-node cluster with a `FaultProxy` in front of each node's client port. The nodes advertise
/// the proxies as their members' client addresses, so a leader hint sends a client back through a proxy and
/// a fault on the proxies reaches every request of a client that was given them.
final class ProxiedCluster: Sendable {
    let cluster: LocalCluster
    /// The proxy in front of node n is `proxies[n - 1]`.
    let proxies: [FaultProxy]

    private init(cluster: LocalCluster, proxies: [FaultProxy]) {
        self.cluster = cluster
        self.proxies = proxies
    }

    /// Starts proxies, then the cluster behind them; `settings` is TOML added to every node's configuration.
    static func start(settings: String = "") async throws -> ProxiedCluster {
        let basePort = Ports.base()
        var proxies: [FaultProxy] = []
        for node in 1...3 {
            proxies.append(try await FaultProxy(upstreamPort: basePort + node - 1, name: "proxy-\(node)"))
        }
        do {
            let cluster = try LocalCluster(
                nodes: 3, basePort: basePort, advertisedClientAddresses: proxies.map(\.address), settings: settings)
            return ProxiedCluster(cluster: cluster, proxies: proxies)
        } catch {
            for proxy in proxies { await proxy.stop() }
            throw error
        }
    }

    /// The proxies' addresses, one per node, for a client whose traffic the tests disturb.
    var endpoints: [String] { proxies.map(\.address) }

    func proxy(_ node: Int) -> FaultProxy { proxies[node - 1] }

    /// Puts `fault` on every proxy.
    func setFault(_ fault: ProxyFault) async {
        for proxy in proxies { await proxy.setFault(fault) }
    }

    /// A client through the proxies.
    func client(
        owner: String, configuration: PadlockClient.Configuration = .faultTests()
    ) async throws
        -> PadlockClient
    {
        try await PadlockClient(endpoints: endpoints, owner: owner, configuration: configuration)
    }

    /// A client straight to node `node`'s own client port, past every proxy: the other party of a partition.
    func directClient(
        to node: Int, owner: String, configuration: PadlockClient.Configuration = .faultTests()
    ) async throws
        -> PadlockClient
    {
        try await PadlockClient(endpoints: [cluster.endpoints[node - 1]], owner: owner, configuration: configuration)
    }

    /// The node that leads now, asked through the proxies, waiting (up to `seconds`) until one does.
    func leader(using client: PadlockClient, seconds: Double = 20) async throws -> Int {
        var found: Int?
        _ = await waitUntil(seconds: seconds) {
            found = await cluster.leader(using: client)
            return found != nil
        }
        guard let found else { throw ClusterError("no leader within \(seconds) s: \(cluster.nodeLog(1).suffix(800))") }
        return found
    }

    func stop() async {
        cluster.stop()
        for proxy in proxies { await proxy.stop() }
    }
}

/// Starts a proxied cluster, runs `body`, and stops everything on every path.
func withProxiedCluster(
    settings: String = "", _ body: (ProxiedCluster) async throws -> Void
) async throws {
    let proxied = try await ProxiedCluster.start(settings: settings)
    do {
        try await body(proxied)
    } catch {
        await proxied.stop()
        throw error
    }
    await proxied.stop()
}

extension PadlockClient.Configuration {
    /// Generous deadlines for a loaded two-core machine, short enough to keep the tests quick.
    static func faultTests(
        ttl: Duration = .seconds(10), callDeadline: Duration = .seconds(10), attemptTimeout: Duration = .seconds(1)
    ) -> PadlockClient.Configuration {
        var configuration = PadlockClient.Configuration()
        configuration.sessionTTL = ttl
        configuration.callDeadline = callDeadline
        configuration.attemptTimeout = attemptTimeout
        configuration.closeDeadline = .seconds(3)
        return configuration
    }
}

/// Every state a lock's `states` stream reported, with when it arrived.
final class StateLog: Sendable {
    private let entries = Mutex<[(state: LeaseState, at: ContinuousClock.Instant)]>([])
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    /// Starts following `lock.states`.
    init(_ lock: Lock) {
        let stream = lock.states
        let follower = Task { [weak self] in
            for await state in stream {
                let now = ContinuousClock.now
                self?.entries.withLock { $0.append((state, now)) }
            }
        }
        task.withLock { $0 = follower }
    }

    var states: [LeaseState] { entries.withLock { $0.map(\.state) } }

    /// When `state` was first reported, if it was.
    func firstTime(of state: LeaseState) -> ContinuousClock.Instant? {
        entries.withLock { $0.first { $0.state == state }?.at }
    }

    deinit { task.withLock { $0?.cancel() } }
}

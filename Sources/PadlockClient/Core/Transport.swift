import Logging
import Wire

/// The client's view of the cluster's endpoints: one lazily opened link per endpoint and the cached leader.
/// Loop thread only.
final class Transport {
    /// The most endpoints the client keeps: those it was given plus those leader hints named.
    static let endpointCountMax = 32

    let environment: any ClientEnvironment
    let handshake: Handshake
    let configuration: PadlockClient.Configuration
    let logger: Logger
    let metrics: ClientMetrics
    private(set) var endpoints: [EndpointAddress]
    private var links: [EndpointAddress: Link] = [:]
    /// The endpoint that last answered as leader, where leader-bound requests go first.
    var leader: Int? {
        didSet { if let leader, leader != oldValue { onLeaderChanged?(leader) } }
    }
    /// Called with each event any link receives (protocol v2), and the link it came on.
    var onEvent: ((ClientEvent, Link) -> Void)?
    /// Called when a link closes, after it was forgotten.
    var onLinkClosed: ((Link) -> Void)?
    /// Called when another endpoint than before answers as leader.
    var onLeaderChanged: ((Int) -> Void)?
    /// Where the next exchange without a known leader starts, so that load spreads across endpoints.
    private var nextStart = 0
    private(set) var isShutDown = false

    init(
        environment: any ClientEnvironment, endpoints: [EndpointAddress], handshake: Handshake,
        configuration: PadlockClient.Configuration, logger: Logger, metrics: ClientMetrics
    ) {
        self.environment = environment
        self.endpoints = endpoints
        self.handshake = handshake
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
    }

    /// Where an exchange that follows the leader starts.
    func startingEndpoint() -> Int {
        if let leader { return leader }
        nextStart = (nextStart + 1) % endpoints.count
        return nextStart
    }

    /// The index of the endpoint at `address`, adding it when a leader hint names an endpoint the client was
    /// not given (a member added later); nil when the address is not numeric or the table is full.
    func endpointIndex(for address: String) -> Int? {
        guard let parsed = EndpointAddress(address) else { return nil }
        if let index = endpoints.firstIndex(of: parsed) { return index }
        guard endpoints.count < Self.endpointCountMax else { return nil }
        logger.debug("learned a new endpoint from a leader hint", metadata: ["endpoint": "\(parsed)"])
        endpoints.append(parsed)
        return endpoints.count - 1
    }

    /// Sends `attempt` to endpoint `index`, connecting first when needed.
    func submit(_ attempt: Attempt, to index: Int) {
        guard !isShutDown else { return attempt.deliver(.lost(wasSent: false, reason: "the client is closing")) }
        let address = endpoints[index]
        let link: Link
        if let existing = links[address] {
            link = existing
        } else {
            link = Link(address: address, window: configuration.requestWindowPerConnection, logger: logger)
            links[address] = link
            link.onClosed = { [weak self] closed in
                guard let self, self.links[closed.address] === closed else { return }
                self.links[closed.address] = nil
                self.onLinkClosed?(closed)
            }
            link.onEvent = { [weak self] event, link in self?.onEvent?(event, link) }
            link.open(environment: environment, handshake: handshake, timeout: configuration.connectTimeout)
        }
        link.submit(attempt)
    }

    /// The open (or opening) link to endpoint `index`, if there is one.
    func link(at index: Int) -> Link? {
        guard endpoints.indices.contains(index) else { return nil }
        return links[endpoints[index]]
    }

    /// Takes back a pending attempt; its answer, if one comes, is dropped.
    func withdraw(_ attempt: Attempt) {
        if let link = attempt.link {
            link.withdraw(attempt)
        } else {
            attempt.detach()
        }
    }

    /// A full-jitter backoff delay for the `retry`-th retry: uniform in zero to min(cap, base × 2^retry).
    func backoff(retry: Int) -> Duration {
        let bound = backoffBound(retry: retry).wholeMilliseconds
        return .milliseconds(Int64(environment.random(in: 0...UInt64(max(bound, 1)))))
    }

    /// The largest backoff of the `retry`th retry: the base doubled per retry, up to the cap.
    func backoffBound(retry: Int) -> Duration {
        ExchangeMachine.backoffBound(retry: retry, base: configuration.backoffBase, cap: configuration.backoffCap)
    }

    /// Closes every link; attempts still pending are answered `lost`.
    func shutDown() {
        isShutDown = true
        let open = links.values
        links = [:]
        for link in open { link.shutDown() }
    }
}

import EventLoop
import Logging
import Node
import PadlockTypes
import PeerWire
import Raft
import Wire

/// Raft traffic between nodes. Each node keeps one outgoing connection per member for what it sends, and
/// accepts the other members' outgoing connections for what it receives, so no pair ever has to decide who
/// connects. Everything queued for a peer between two flushes leaves as one batch frame (or a few), and
/// heartbeats go out even while the node's disk is busy (the node hands them over between Readies).
///
/// Loop thread only.
final class PeerTransport: NodePort {
    /// What the transport hands to its node; the runtime wires each to a `Node` call. None is ever called
    /// from inside the node's own call (a report that arises while the node sends waits for the flush).
    struct Events {
        /// A Raft message from an authenticated member, with the incarnation its link announced.
        var onPeerMessage: (Message, _ incarnation: UInt64) -> Void
        /// A member's wall clock, read when its batch left, for the skew the node tracks.
        var onPeerClock: (NodeID, _ wallMilliseconds: UInt64) -> Void
        /// Messages for this peer could not be sent (no link, or no address): Raft slows down for it.
        var onUnreachable: (NodeID) -> Void
        /// A snapshot stream to this peer ended: every chunk written, or abandoned.
        var onSnapshotSent: (NodeID, SnapshotStatus) -> Void
        /// Accepting failed for want of descriptors; true when a waiting connection was closed to make room.
        var onAcceptError: (UVError) -> Bool
    }

    let loop: EventLoop
    let selfID: NodeID
    let clusterID: UInt64
    let logger: Logger
    let settings: ServerSettings
    let metrics: ServerMetrics
    let events: Events
    var listener: TCPListener?
    var outbound: [NodeID: OutboundPeer] = [:]
    var inbound: [Int: InboundPeer] = [:]
    var membership: Membership?
    var nextTransfer: UInt64 = 1
    var closing = false
    /// This node's incarnation, announced on every link it opens.
    var incarnation: UInt64 { settings.incarnation }
    /// Reports for the node that arose while the node itself was sending (inside its flush): delivered once
    /// the transport's own flush is over, so the node is never re-entered.
    private var deferred: [() -> Void] = []
    /// Sends what was queued in this loop iteration, once its callbacks (and the node's flush) are over.
    private lazy var flushHook = loop.beforeWaiting { [weak self] in self?.flushOutbound() }

    /// Limits of peer connections: frames up to the peer wire's, a deep write queue (snapshot chunks are
    /// 1 MiB), and reading never paused by a full write queue (the link is two-way).
    static let limits = ConnectionLimits(
        maxFrameBytes: PeerWireLimits.default.framePayloadByteCountMax + 1_024, writeQueueBytesMax: 32 << 20,
        writeQueueLowWaterBytes: 8 << 20, pausesReadingWhenWriteQueueFull: false)
    let gate: ConnectionGate

    init(
        loop: EventLoop, settings: ServerSettings, logger: Logger, metrics: ServerMetrics, gate: ConnectionGate,
        events: Events
    ) {
        self.gate = gate
        self.loop = loop
        self.selfID = NodeID(settings.nodeID)
        self.clusterID = settings.clusterID
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
        self.events = events
    }

    var onAcceptError: (UVError) -> Bool { events.onAcceptError }

    /// Where to dial `peer`: the local route override, else the address the cluster records for it.
    func dialAddress(_ peer: NodeID) -> SocketAddress? {
        if let route = settings.peerRoutes[peer.rawValue] { return route }
        return membership?.addresses[peer].flatMap { SocketAddress($0.peer) }
    }

    /// Connects to new members and lets go of removed ones.
    func update(_ membership: Membership) {
        self.membership = membership
        let members = Set(membership.configuration.members).subtracting([selfID])
        for peer in members.sorted() {
            guard let address = dialAddress(peer) else {
                logger.warning("no peer address for member; cannot reach it", metadata: ["peer": "\(peer)"])
                continue
            }
            if let existing = outbound[peer] {
                existing.retarget(address)
            } else {
                outbound[peer] = OutboundPeer(id: peer, endpoint: address, transport: self)
            }
        }
        for peer in outbound.keys.sorted() where !members.contains(peer) {
            // A node being removed still hears from the leader until its removal commits; if Raft addresses
            // it again, `enqueue` opens a new link from the address book.
            outbound.removeValue(forKey: peer)?.shutDown()
        }
    }

    /// Queues a message for the next flush; a node without an address is unreachable.
    func enqueue(_ message: Message) {
        guard let peer = outbound[message.to] ?? makePeer(message.to) else {
            let unreachable = events.onUnreachable
            later { unreachable(message.to) }
            return
        }
        peer.queue(message)
        flushHook.request()
    }

    /// A node Raft addresses that the membership does not list any more (a removal in flight).
    private func makePeer(_ id: NodeID) -> OutboundPeer? {
        guard !closing, id != selfID, let address = dialAddress(id) else { return nil }
        let peer = OutboundPeer(id: id, endpoint: address, transport: self)
        outbound[id] = peer
        return peer
    }

    /// Sends everything queued since the last flush, then delivers the reports that had to wait. Runs from
    /// the transport's end-of-iteration hook, after the node's flush (whose hook was created first).
    func flushOutbound() {
        for id in outbound.keys.sorted() { outbound[id]?.flush() }
        let reports = deferred
        deferred = []
        for report in reports { report() }
    }

    /// Asks for `flushOutbound` before the loop next waits (a link came up with messages waiting).
    func requestFlush() { flushHook.request() }

    /// Delivers `report` to the node after the transport's next flush.
    func later(_ report: @escaping () -> Void) {
        deferred.append(report)
        flushHook.request()
    }

    /// The transport's view of each peer, for metrics: connected or not.
    var connectedPeers: [NodeID: Bool] {
        outbound.mapValues(\.isReady)
    }

    /// Closes every peer connection and stops listening.
    func close() {
        closing = true
        listener?.close()
        listener = nil
        for peer in outbound.values { peer.shutDown() }
        outbound = [:]
        for peer in inbound.values { peer.connection.close() }
        inbound = [:]
        flushHook.cancel()
        deferred = []
    }
}

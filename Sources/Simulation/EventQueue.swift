import Node

/// Something that happens at one instant of simulated time.
enum SimEvent {
    /// A node's tick timer fired (ignored if the node restarted since: `incarnation` differs).
    case tick(node: Int, incarnation: Int)
    /// A node asked for a flush.
    case flush(node: Int, incarnation: Int)
    /// The oldest write in a node's disk queue completes.
    case diskDone(node: Int, incarnation: Int)
    /// Work a node gave its environment to encode is done (`NodeEnvironment.encode`); `deliver` hands the
    /// bytes back.
    case encoded(node: Int, incarnation: Int, deliver: () -> Void)
    /// A peer frame arrives.
    case peerFrame(from: Int, to: Int, payload: [UInt8], senderWall: UInt64)
    /// A frame no member sent (the forged-frame fault).
    case forgedFrame(from: Int, to: Int, payload: [UInt8])
    /// A whole snapshot transfer arrives (its chunk payloads, in order); the sender learns the outcome.
    case snapshotTransfer(from: Int, to: Int, chunks: [[UInt8]], senderIncarnation: Int)
    /// The sender of a snapshot learns how the transfer ended.
    case snapshotReport(from: Int, to: Int, delivered: Bool, senderIncarnation: Int)
    /// A client request frame arrives at a node on a connection.
    case clientRequest(node: Int, connection: UInt64, payload: [UInt8])
    /// A response frame arrives at a client.
    case clientResponse(client: Int, connection: UInt64, payload: [UInt8])
    /// A client's connection to a node was reset (the node's process died).
    case connectionReset(client: Int, connection: UInt64)
    /// A client closed a connection; the node hears of it.
    case clientHangUp(node: Int, connection: UInt64)
    /// A client's timer fired.
    case clientTimer(client: Int, token: UInt64)
    /// A paused client's pause may be over: what reached it meanwhile is handled, in order.
    case clientResume(client: Int)
    /// The fault schedule acts.
    case fault(FaultAction)
    /// The fault phase ends: everything heals for the liveness phase.
    case endOfFaults
}

/// The pending events of a run, by time and then by the order they were scheduled: the node's `DeadlineHeap`,
/// whose tie-break keeps a seed's replay exact.
typealias EventQueue = DeadlineHeap<SimEvent>

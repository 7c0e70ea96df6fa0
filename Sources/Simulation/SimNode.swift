import Node
import PadlockTypes
import PeerWire
import Raft
import Storage
import StorageTesting
import Wire

/// What a simulated node is doing.
enum SimNodeState: Equatable {
    case up
    /// Crashed or stopped; it restarts when the fault schedule says so.
    case down
    /// SIGSTOP: nothing runs; events wait until it resumes.
    case paused
    /// Refused to start on a corrupted disk (the expected outcome) or stopped for good.
    case dead
}

/// One node process under simulation: its clock, its disk, and the production `Node` running on it.
final class SimNode {
    let index: Int
    let id: NodeID
    var clock: SimClock
    let disk: SimDisk
    var node: Node<SimHost>?
    var host: SimHost?
    var state: SimNodeState = .down
    /// Bumped at every start, so events of an earlier life are recognised and dropped.
    var incarnation = 0
    /// Events that arrived while paused, replayed in order on resume.
    var deferred: [SimEvent] = []
    /// Snapshot transfers being reassembled, by sender.
    var assemblers: [Int: SnapshotAssembler] = [:]
    /// The node stopped itself (failed sync) and waits to be restarted.
    var stoppedByFailure: NodeFailure?
    /// A bit was flipped on its disk while it was down: it must refuse to start.
    var corrupted = false
    /// The incarnation its data directory was created with (a wiped directory gets a new one); every
    /// message it sends arrives with it, as its peer links would announce it.
    var directoryIncarnation: UInt64
    /// Its directory was wiped or restored from an old copy: the cluster may refuse it for the rest of the run.
    var lostData = false
    /// Until when (simulated µs) peers may still hold a reading of this node's wall clock a day ahead: for
    /// good while it is, then for `Simulation.staleReadingMicroseconds` after it is set right.
    var clockAheadUntil: UInt64 = 0
    /// A copy of its durable data, taken earlier, that a `restore` fault puts back.
    var backup: FaultyLogStore?
    var random: SimRandom

    init(index: Int, clock: SimClock, random: SimRandom) {
        self.index = index
        self.id = NodeID(UInt64(index + 1))
        self.clock = clock
        var random = random
        disk = SimDisk(random: random.fork())
        directoryIncarnation = random.next() | 1
        self.random = random
    }
}

/// The environment a simulated node runs in: clocks from its `SimClock`, the network and disk of the
/// simulation. Every call only schedules events; nothing calls back into the node synchronously.
final class SimHost: NodeEnvironment {
    unowned let simulation: Simulation
    let index: Int
    let incarnation: Int

    init(simulation: Simulation, index: Int, incarnation: Int) {
        self.simulation = simulation
        self.index = index
        self.incarnation = incarnation
    }

    var monotonicMilliseconds: UInt64 { simulation.nodes[index].clock.monotonicMilliseconds(at: simulation.now) }

    var wallMilliseconds: UInt64 { simulation.nodes[index].clock.wallMilliseconds(at: simulation.now) }

    func send(_ message: Message) { simulation.sendPeer(from: index, message) }

    func respond(_ response: ClientResponse, to client: ClientID) {
        simulation.sendResponse(from: index, response, connection: client.rawValue)
    }

    func notify(_ event: ClientEvent, to client: ClientID) {
        simulation.sendEvent(from: index, event, connection: client.rawValue)
    }

    func persist(_ write: DiskWrite, completion: @escaping (Result<Void, any Error>) -> Void) {
        simulation.submitDiskWrite(node: index, incarnation: incarnation, write, completion: completion)
    }

    /// Encodes at once but hands the bytes back later, as another thread would: 1 ms plus 1 µs per 20 bytes of
    /// simulated time, during which the node takes other inputs.
    func encode(_ work: @escaping @Sendable () -> [UInt8], completion: @escaping ([UInt8]) -> Void) {
        let bytes = work()
        simulation.schedule(
            .encoded(node: index, incarnation: incarnation, deliver: { completion(bytes) }),
            after: 1_000 + UInt64(bytes.count / 20))
    }

    func scheduleFlush() {
        simulation.schedule(.flush(node: index, incarnation: incarnation), after: 0)
    }

    func nodeStopped(_ failure: NodeFailure) { simulation.nodeStopped(index, failure) }

    func membershipChanged(_ membership: Membership) {}

    func peerRefused(_ peer: NodeID, _ refusal: IdentityRefusal) {
        simulation.note("n\(index + 1): \(refusal)")
    }

    func lostAcknowledgements(_ lost: LostAcknowledgement) {
        simulation.note("n\(index + 1) (leader) found data loss: \(lost)")
    }
}

import LockTable
import Node
import PadlockTypes
import PeerWire
import Raft
import Storage
import StorageTesting
import Wire

/// Feeds random, well-formed peer messages to one real `Node` as if they came from the other members of
/// its cluster over authenticated links, and checks what the node can check alone (docs/simulation.md,
/// "Hostile peers").
///
/// The node is node 1 of a three-voter cluster; the fuzzer plays nodes 2 and 3 (and, now and then, nodes
/// that are not members, or node 1 itself). Messages are every Raft kind, sometimes answers to what the node
/// just sent (so it wins elections and leads), with terms, indexes, rounds and counts drawn near the node's
/// own values or from the extremes (0, 2^62 − 1, 2^62, 2^63, 2^64 − 1). Every message travels as peer-wire
/// bytes (a batch, or snapshot chunks through a `SnapshotAssembler`). The fuzzer also ticks the node, moves
/// and jumps its clocks, reports peer wall clocks (extreme ones too), completes its disk writes, and restarts
/// it from its store, dropping writes in flight.
///
/// Checked after every step: the node never stops (nothing here fails its disk); within one life its term,
/// commit index and applied index never decrease and no entry is applied twice; every restart finds the
/// persisted state decodable and within the limits. A trap ends the process, which the caller reports.
package enum PeerMessageFuzzer {
    /// Runs `messages` peer messages (plus the ticks, writes and restarts between them) from `seed`.
    package static func run(seed: UInt64, messages: Int) -> PeerFuzzReport {
        let run = PeerFuzzRun(seed: seed)
        run.run(messages: messages)
        return run.report
    }
}

/// What one fuzz run did and found.
package struct PeerFuzzReport: Sendable, CustomStringConvertible {
    /// Messages delivered to the node.
    package var messages = 0
    /// Of those, how many the node dropped as malformed or impossible (Raft's count, summed over lives).
    package var dropped = 0
    /// Terms in which the node became leader.
    package var leaderships = 0
    /// Restarts from the store.
    package var restarts = 0
    /// Entries the node applied.
    package var applied = 0
    /// The highest term the node reached.
    package var highestTerm: UInt64 = 0
    /// Broken guarantees, with the step they were found at.
    package var failures: [String] = []

    /// One line for people.
    package var description: String {
        "\(messages) messages (\(dropped) dropped as impossible), \(leaderships) leaderships, \(applied) entries "
            + "applied, \(restarts) restarts, highest term \(highestTerm), \(failures.count) failures"
    }
}

/// The node's environment under the fuzzer: hand-moved clocks, an in-memory store, writes completed when the
/// fuzzer says so.
final class FuzzHost: NodeEnvironment {
    var monotonicMilliseconds: UInt64 = 5_000_000
    var wallMilliseconds = UInt64(SimClock.wallEpochMilliseconds)
    let store: MemoryLogStore
    var pendingWrites: [(write: DiskWrite, completion: (Result<Void, any Error>) -> Void)] = []
    var flushRequested = false
    var stopped: NodeFailure?
    /// The latest messages the node sent, for answers that look like a real peer's.
    var sent: [Message] = []

    init(store: MemoryLogStore) { self.store = store }

    func send(_ message: Message) {
        sent.append(message)
        if sent.count > 32 { sent.removeFirst(sent.count - 32) }
    }
    func respond(_ response: ClientResponse, to client: ClientID) {}
    func notify(_ event: ClientEvent, to client: ClientID) {}
    func persist(_ write: DiskWrite, completion: @escaping (Result<Void, any Error>) -> Void) {
        pendingWrites.append((write, completion))
    }
    /// Encodings wait for `completeWrites`, like writes: completions never come inside the call.
    var pendingEncodings: [(work: @Sendable () -> [UInt8], completion: ([UInt8]) -> Void)] = []
    func encode(_ work: @escaping @Sendable () -> [UInt8], completion: @escaping ([UInt8]) -> Void) {
        pendingEncodings.append((work, completion))
    }
    func scheduleFlush() { flushRequested = true }
    func nodeStopped(_ failure: NodeFailure) { stopped = failure }
    func membershipChanged(_ membership: Membership) {}
}

/// Counts applied entries and catches one applied twice or out of order.
final class FuzzObserver: NodeObserver {
    var lastApplied: LogIndex = .zero
    var applied = 0
    var problems: [String] = []

    func node(_ node: NodeID, applied entry: Entry, result: LockTable.Applied?, table: LockTable) {
        if entry.index <= lastApplied { problems.append("entry \(entry.index) applied after \(lastApplied)") }
        lastApplied = entry.index
        applied += 1
    }

    func node(_ node: NodeID, installedSnapshotAt index: LogIndex, table: LockTable) {
        if index <= lastApplied { problems.append("snapshot \(index) installed after applying \(lastApplied)") }
        lastApplied = index
    }

    func node(_ node: NodeID, becameRole role: RaftNode.Role, term: Term) {}
}

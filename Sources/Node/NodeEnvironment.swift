import PadlockTypes
import Raft
import Storage
import Wire

/// Everything a node needs from the world around it: clocks, the network, the disk. The libuv runtime and
/// the simulator each implement it; the node's code is the same under both.
///
/// Every call is made on the node's own thread, and every completion the environment reports back must be
/// delivered on that thread too, and never from inside the call that started it: an answer known at once (a
/// refused disk write, work done on the spot) is handed back after the call returned, like any other input.
/// The node counts on it (it changes its state after starting the work) and checks it: a completion
/// delivered inside its call stops the node with a message naming the call.
package protocol NodeEnvironment: AnyObject {
    /// This node's monotonic clock in milliseconds: it never goes back and keeps counting while the process
    /// is stopped. Lock-lease deadlines are measured on it.
    var monotonicMilliseconds: UInt64 { get }
    /// This node's wall clock in milliseconds since the Unix epoch. Only entry stamps come from it
    /// (`since` fields, waiter deadlines, audit times); no safety decision depends on it.
    var wallMilliseconds: UInt64 { get }
    /// Sends a Raft message to the peer it names. Best effort: messages may be lost, delayed or reordered.
    func send(_ message: Message)
    /// Sends an answer to a client connection; dropped silently if that connection is gone.
    func respond(_ response: ClientResponse, to client: ClientID)
    /// Sends an event to a subscribed client connection (`docs/events.md`); dropped silently if that
    /// connection is gone. A connection that cannot keep up keeps only the latest `keyState` per key.
    func notify(_ event: ClientEvent, to client: ClientID)
    /// Makes `write` durable (`DiskWrite.perform(on:)` against the node's log store) and then calls
    /// `completion`. Writes complete in the order they were submitted.
    func persist(_ write: DiskWrite, completion: @escaping (Result<Void, any Error>) -> Void)
    /// Runs `work` (pure computation on copies the node made, such as encoding a snapshot) and later calls
    /// `completion` with its result, like any other input. An environment with threads to spare runs `work` on
    /// one of them so the node keeps serving meanwhile; one without may run it on the node's thread, but
    /// still delivers the result after `encode` returned.
    func encode(_ work: @escaping @Sendable () -> [UInt8], completion: @escaping ([UInt8]) -> Void)
    /// Asks for `Node.flush()` to be called soon, after the inputs that are already queued: the node batches
    /// everything that arrived in between into one disk write and one message per peer.
    func scheduleFlush()
    /// The membership changed (or is announced for the first time): connect to members, drop removed ones.
    func membershipChanged(_ membership: Membership)
    /// The node hit an error it must not survive (a failed write or sync, an unusable snapshot). It has
    /// stopped taking inputs; the environment should end the process (or, in the simulator, the node).
    func nodeStopped(_ failure: NodeFailure)
    /// Something about clocks an operator should know (a bounded clock jump, a clock behind the log, a peer's
    /// skew); the node gives each kind at most once a minute. The default ignores it.
    func clockWarning(_ warning: ClockWarning)
    /// Messages from a peer were refused for its identity: a sentence for the operator's log. The node calls
    /// it at most once per 10 s for each peer.
    func peerRefused(_ peer: NodeID, _ refusal: IdentityRefusal)
    /// This leader found a follower whose log lost entries it had acknowledged (it refuses it from now on).
    func lostAcknowledgements(_ lost: LostAcknowledgement)
}

extension NodeEnvironment {
    /// Ignores the warning.
    package func clockWarning(_ warning: ClockWarning) {}

    /// Messages from a peer were refused for its identity (reported at most once per 10 s for each peer).
    package func peerRefused(_ peer: NodeID, _ refusal: IdentityRefusal) {}

    /// This leader found a follower whose log lost entries it had acknowledged.
    package func lostAcknowledgements(_ lost: LostAcknowledgement) {}
}

/// A client connection, numbered by the environment.
package struct ClientID: Hashable, Sendable, CustomStringConvertible {
    /// The environment's number for the connection.
    package var rawValue: UInt64

    /// Wraps a connection number.
    package init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// `client-N`.
    package var description: String { "client-\(rawValue)" }
}

/// Why a node stopped for good.
package enum NodeFailure: Error, Sendable, CustomStringConvertible {
    /// A write, sync or snapshot save failed; nothing is retried after a failed sync.
    case storage(String)
    /// The log or a snapshot could not be read back into a state machine.
    case corruptState(String)
    /// The stored state holds a term or index no election reaches (2^62 or more): written by a build that
    /// trusted a forged peer message, or corrupted. The node cannot know which votes it cast, so it refuses
    /// to start until an operator removes it and adds it back with an empty data directory; restarting
    /// would only refuse again (padlockd exits with status 2).
    case impossibleState(String)

    /// A sentence for the operator.
    package var description: String {
        switch self {
        case .storage(let detail): "storage failed, the node stops (fail-stop): \(detail)"
        case .corruptState(let detail): "the replicated state is unusable, the node stops: \(detail)"
        case .impossibleState(let detail): "the stored state is impossible, the node refuses to start: \(detail)"
        }
    }
}

/// One unit of durable work: what a `Ready` (or a local snapshot) needs on disk, done in one call on the
/// disk thread. Order: the snapshot (which replaces the log when it came from the leader), then the entries
/// and hard state as one synced batch, then compaction of the log up to the snapshot.
package struct DiskWrite: Sendable {
    /// A snapshot to save first.
    package var snapshot: StoredSnapshot?
    /// Entries to append (replacing any conflicting suffix).
    package var entries: [StoredEntry]
    /// The hard state to record with the entries.
    package var hardState: StoredHardState?
    /// Drop log entries through this index after saving `snapshot`.
    package var compactThrough: UInt64?

    /// A write of the given parts.
    package init(
        snapshot: StoredSnapshot? = nil, entries: [StoredEntry] = [], hardState: StoredHardState? = nil,
        compactThrough: UInt64? = nil
    ) {
        self.snapshot = snapshot
        self.entries = entries
        self.hardState = hardState
        self.compactThrough = compactThrough
    }

    /// Whether there is nothing to write.
    package var isEmpty: Bool { snapshot == nil && entries.isEmpty && hardState == nil && compactThrough == nil }

    /// Carries the write out on `store`; returns once everything is durable, or throws the store's error.
    package func perform(on store: any LogStore) throws {
        if let snapshot { try store.saveSnapshot(snapshot) }
        if !entries.isEmpty || hardState != nil { try store.append(entries, hardState: hardState) }
        if let compactThrough { try store.compact(upTo: compactThrough) }
    }
}

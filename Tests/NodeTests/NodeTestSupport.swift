import LockTable
import Node
import PadlockTypes
import Raft
import Storage
import StorageTesting
import Wire

/// An environment the test drives by hand: its clock moves when told, writes wait until completed, and
/// everything the node sends is recorded.
final class ManualEnvironment: NodeEnvironment {
    var monotonicMilliseconds: UInt64 = 10_000
    /// Added to the wall clock (wrapping, so a "negative" shift puts it behind): a clock that jumped.
    var wallShift: UInt64 = 0
    var wallMilliseconds: UInt64 { (1_767_225_600_000 + monotonicMilliseconds) &+ wallShift }
    var clockWarnings: [ClockWarning] = []
    func clockWarning(_ warning: ClockWarning) { clockWarnings.append(warning) }
    var sent: [Message] = []
    var responses: [(client: ClientID, response: ClientResponse)] = []
    var pendingWrites: [(write: DiskWrite, completion: (Result<Void, any Error>) -> Void)] = []
    var flushRequested = false
    var stopped: NodeFailure?
    let store: MemoryLogStore

    /// An environment on `store` (a fresh one unless given: pass another's to restart a node on its data).
    init(store: MemoryLogStore = MemoryLogStore()) { self.store = store }

    func send(_ message: Message) { sent.append(message) }
    func respond(_ response: ClientResponse, to client: ClientID) { responses.append((client, response)) }
    var events: [(client: ClientID, event: ClientEvent)] = []
    func notify(_ event: ClientEvent, to client: ClientID) { events.append((client, event)) }
    func persist(_ write: DiskWrite, completion: @escaping (Result<Void, any Error>) -> Void) {
        pendingWrites.append((write, completion))
    }
    func scheduleFlush() { flushRequested = true }
    func nodeStopped(_ failure: NodeFailure) { stopped = failure }
    var memberships: [Membership] = []
    func membershipChanged(_ membership: Membership) { memberships.append(membership) }
    var refusals: [IdentityRefusal] = []
    func peerRefused(_ peer: NodeID, _ refusal: IdentityRefusal) { refusals.append(refusal) }
    var lostAcknowledgements: [LostAcknowledgement] = []
    func lostAcknowledgements(_ lost: LostAcknowledgement) { lostAcknowledgements.append(lost) }
    /// When set, `encode` keeps its work until `completeEncodings`, as a slow thread of its own would;
    /// otherwise `settle` completes it (never `encode` itself: completions come after the call returned).
    var defersEncoding = false
    var pendingEncodings: [(work: @Sendable () -> [UInt8], completion: ([UInt8]) -> Void)] = []

    func encode(_ work: @escaping @Sendable () -> [UInt8], completion: @escaping ([UInt8]) -> Void) {
        pendingEncodings.append((work, completion))
    }

    /// Runs every deferred encoding and hands its bytes back, in order.
    func completeEncodings() {
        while !pendingEncodings.isEmpty {
            let (work, completion) = pendingEncodings.removeFirst()
            completion(work())
        }
    }

    /// Completes every queued write on the memory store, in order.
    func completeWrites() {
        while !pendingWrites.isEmpty {
            let (write, completion) = pendingWrites.removeFirst()
            completion(Result { try write.perform(on: store) })
        }
    }

    /// Fails the oldest queued write as a dying disk would.
    func failOldestWrite() {
        let (_, completion) = pendingWrites.removeFirst()
        completion(.failure(StorageError(code: .io, operation: "fdatasync", errorNumber: 5, detail: "I/O error")))
    }
}

extension ManualEnvironment {
    /// Flushes `node` whenever it asked to be, and completes its writes (and, unless `defersEncoding`, its
    /// encodings), until it has nothing left to do.
    func settle(_ node: Node<ManualEnvironment>) {
        for _ in 0..<100 {
            if flushRequested {
                flushRequested = false
                node.flush()
            }
            let encodings = defersEncoding ? 0 : pendingEncodings.count
            if pendingWrites.isEmpty && !flushRequested && encodings == 0 { return }
            completeWrites()
            if !defersEncoding { completeEncodings() }
        }
    }
}

/// A one-node cluster on a `ManualEnvironment`: enough to drive the node's whole request path.
final class SingleNodeCluster {
    let environment: ManualEnvironment
    var node: Node<ManualEnvironment>
    var nextCorrelation: UInt64 = 1
    let client = ClientID(1)

    static func configuration(snapshotEntryThreshold: UInt64 = 50_000) -> NodeConfiguration {
        NodeConfiguration(
            id: NodeID(1),
            initialMembers: [NodeID(1): MemberAddresses(peer: "127.0.0.1:7501", client: "127.0.0.1:7401")],
            bootstrapVoters: [NodeID(1)],
            checkpointIntervalMilliseconds: 500, snapshotEntryThreshold: snapshotEntryThreshold)
    }

    init(
        environment: ManualEnvironment = ManualEnvironment(), snapshotEntryThreshold: UInt64 = 50_000,
        configure: (inout NodeConfiguration) -> Void = { _ in }
    ) throws {
        self.environment = environment
        var configuration = Self.configuration(snapshotEntryThreshold: snapshotEntryThreshold)
        configure(&configuration)
        let restored = try NodeRestore.load(from: environment.store, configuration: configuration)
        node = try Node(configuration: configuration, environment: environment, restored: restored, seed: 1)
    }

    /// Flushes and completes writes until the node has nothing left to do.
    func settle() { environment.settle(node) }

    /// Ticks (10 ms each, moving the clock) until the node leads.
    func elect() {
        for _ in 0..<100 where !node.isLeader { tick() }
        settle()
    }

    func tick(milliseconds: UInt64 = 10) {
        environment.monotonicMilliseconds += milliseconds
        node.tick()
        settle()
    }

    /// Sends one request; returns its correlation id.
    @discardableResult
    func send(_ operation: ClientOperation, caller: Caller? = nil, from connection: ClientID? = nil) -> CorrelationID {
        let correlation = CorrelationID(nextCorrelation)
        nextCorrelation += 1
        node.receive(
            ClientRequest(correlation: correlation, operation: operation), from: connection ?? client, caller: caller)
        return correlation
    }

    /// Sends one request, settles, and returns its answer (nil when none came).
    func ask(
        _ operation: ClientOperation, caller: Caller? = nil, from connection: ClientID? = nil
    )
        -> Result<ClientResult, ClientFailure>?
    {
        let correlation = send(operation, caller: caller, from: connection)
        settle()
        return answer(to: correlation)
    }

    func answer(to correlation: CorrelationID) -> Result<ClientResult, ClientFailure>? {
        environment.responses.last { $0.response.correlation == correlation }?.response.outcome
    }

    /// Opens a session and returns it.
    func openSession(ttl: UInt64 = 5_000, owner: String = "alice@frontend-2") throws -> SessionID {
        guard
            case .success(.sessionOpened(let grant))? = ask(.openSession(owner: owner, nonce: 7, ttlMilliseconds: ttl))
        else { throw TestFailure("the session did not open") }
        return grant.session
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func key(_ string: String) -> LockKey { try! LockKey(string) }

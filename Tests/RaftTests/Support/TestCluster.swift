import PadlockTypes
import Raft

/// What one node wrote to its "disk" through `Ready`s: the only thing that survives a restart.
struct DurableState {
    var hardState = HardState()
    var snapshot: Snapshot
    var entries: [Entry] = []

    init(voters: [NodeID]) {
        snapshot = RestoreState.bootstrap(voters: voters).snapshot
    }

    /// Persists a `Ready` the way its documentation says: snapshot, then entries, then hard state.
    mutating func persist(_ ready: Ready) {
        if let installed = ready.snapshot {
            snapshot = installed
            entries = []
        }
        if let first = ready.entries.first {
            entries.removeAll { $0.index >= first.index }
            entries.append(contentsOf: ready.entries)
        }
        if let hardState = ready.hardState { self.hardState = hardState }
    }

    /// Replaces the entries through `snapshot`'s index with it, as a state machine's compaction would.
    mutating func compact(to newSnapshot: Snapshot) {
        snapshot = newSnapshot
        entries.removeAll { $0.index <= newSnapshot.metadata.index }
    }

    var restoreState: RestoreState { RestoreState(hardState: hardState, snapshot: snapshot, entries: entries) }
}

/// An in-memory cluster: nodes, their durable state, and a network queue the test controls.
final class TestCluster {
    var nodes: [NodeID: RaftNode] = [:]
    var durable: [NodeID: DurableState] = [:]
    var configs: [NodeID: Config] = [:]
    /// Entries each node applied, in order, since it last restarted from a snapshot.
    var applied: [NodeID: [Entry]] = [:]
    /// Messages sent and not yet delivered, in send order.
    var network: [Message] = []
    /// Links that drop messages, as (from, to) pairs.
    var cutLinks: Set<[UInt64]> = []
    var restarts: UInt64 = 0
    /// Copies of nodes' durable state taken by `save-copy`, as an operator's backup would be.
    var copies: [NodeID: DurableState] = [:]

    var ids: [NodeID] { nodes.keys.sorted() }

    func add(_ id: NodeID, voters: [NodeID], config: Config) {
        precondition(nodes[id] == nil, "node \(id) added twice")
        var state = DurableState(voters: voters)
        state.hardState = HardState()
        durable[id] = state
        configs[id] = config
        applied[id] = []
        nodes[id] = try! RaftNode(config: config, restore: state.restoreState, random: SplitMix64(seed: id.rawValue))
    }

    /// Throws the node away and starts it again from what it persisted.
    func restart(_ id: NodeID) {
        restarts += 1
        let state = durable[id]!
        nodes[id] = try! RaftNode(
            config: configs[id]!, restore: state.restoreState, random: SplitMix64(seed: id.rawValue &* 1000 &+ restarts)
        )
        applied[id] = []
    }

    func isCut(_ from: NodeID, _ to: NodeID) -> Bool { cutLinks.contains([from.rawValue, to.rawValue]) }

    func isolate(_ id: NodeID) {
        for other in ids where other != id {
            cutLinks.insert([id.rawValue, other.rawValue])
            cutLinks.insert([other.rawValue, id.rawValue])
        }
    }

    func cut(_ a: NodeID, _ b: NodeID) {
        cutLinks.insert([a.rawValue, b.rawValue])
        cutLinks.insert([b.rawValue, a.rawValue])
    }

    func heal() { cutLinks = [] }

    /// Handles one node's `Ready`: persist, apply, send (dropping messages on cut links). Returns the
    /// Ready and the messages the network dropped.
    @discardableResult
    func processReady(_ id: NodeID) -> (ready: Ready, dropped: [Message]) {
        var node = nodes[id]!
        let ready = node.ready()
        durable[id]!.persist(ready)
        if ready.snapshot != nil { applied[id] = [] }
        applied[id]!.append(contentsOf: ready.committedEntries)
        var dropped: [Message] = []
        for message in ready.messages + ready.messagesAfterPersist {
            if isCut(message.from, message.to) || nodes[message.to] == nil {
                dropped.append(message)
            } else {
                network.append(message)
            }
        }
        node.advance(ready)
        nodes[id] = node
        for message in dropped { lost(message) }
        return (ready, dropped)
    }

    /// Delivers every queued message addressed to `id`, in order; snapshots are reported to their sender.
    @discardableResult
    func deliver(to id: NodeID) -> [Message] {
        let batch = network.filter { $0.to == id }
        network.removeAll { $0.to == id }
        for message in batch { deliver(message) }
        return batch
    }

    func deliver(_ message: Message) {
        guard var node = nodes[message.to] else { return }
        node.step(message)
        nodes[message.to] = node
        if case .snapshot = message.kind, var sender = nodes[message.from] {
            sender.reportSnapshot(to: message.to, status: .finished)
            nodes[message.from] = sender
        }
    }

    /// A message the network lost. A transport notices a failed snapshot send and reports it, which is
    /// what lets the leader try again.
    func lost(_ message: Message) {
        if case .snapshot = message.kind, nodes[message.from] != nil {
            with(message.from) { $0.reportSnapshot(to: message.to, status: .failed) }
        }
    }

    func with<T, E: Error>(_ id: NodeID, _ body: (inout RaftNode) throws(E) -> T) throws(E) -> T {
        var node = nodes[id]!
        defer { nodes[id] = node }
        let result = try body(&node)
        nodes[id] = node
        return result
    }

    /// Processes Readies and delivers messages until nothing moves (bounded, so a livelock fails loudly).
    func stabilize(maxRounds: Int = 1000) {
        for _ in 0..<maxRounds {
            var moved = false
            for id in ids where nodes[id]!.hasReady {
                processReady(id)
                moved = true
            }
            for id in ids where network.contains(where: { $0.to == id }) {
                deliver(to: id)
                moved = true
            }
            if !moved { return }
        }
        preconditionFailure("cluster did not stabilize in \(maxRounds) rounds")
    }

    /// Ticks `id` until its role or term changes (it campaigns, or a leader steps down) or an election
    /// timeout has certainly passed.
    func tickUntilCampaign(_ id: NodeID) {
        let limit = 2 * configs[id]!.electionTicks
        let before = (nodes[id]!.role, nodes[id]!.term)
        for _ in 0..<limit {
            with(id) { $0.tick() }
            if nodes[id]!.role != before.0 || nodes[id]!.term != before.1 { return }
        }
    }

    var leaders: [NodeID] { ids.filter { nodes[$0]!.role == .leader } }
}

import PadlockTypes
import Raft

/// One seeded run of a cluster under message loss, duplication, reordering, partitions, restarts,
/// compactions and leadership transfers, with every safety property checked after every step.
struct RandomSchedule {
    let seed: UInt64
    let nodeCount: Int
    let steps: Int
    private var random: SplitMix64
    private let cluster = TestCluster()
    private var checker = InvariantChecker()
    private var proposals = 0
    /// Read requests by context: the highest commit index any node knew when the read was made.
    private var readFloors: [[UInt8]: LogIndex] = [:]
    private(set) var readsConfirmed = 0

    init(seed: UInt64, nodeCount: Int, steps: Int) {
        self.seed = seed
        self.nodeCount = nodeCount
        self.steps = steps
        random = SplitMix64(seed: seed)
        let ids = (1...UInt64(nodeCount)).map { NodeID($0) }
        for id in ids {
            var config = Config(id: id, electionTicks: 10, heartbeatTicks: 2)
            config.maxInflightMessages = 4
            config.maxEntriesPerAppend = 3
            cluster.add(id, voters: ids, config: config)
        }
    }

    /// Runs the schedule; returns nil on success or a description of the failure.
    mutating func run() -> String? {
        for step in 0..<steps {
            takeRandomAction(step: step)
            if let problem = checker.check(cluster) ?? readProblem { return "step \(step): \(problem)" }
        }
        return recover()
    }

    var committedCount: Int { checker.committedCount }

    private var readProblem: String?

    private mutating func pick(_ bound: Int) -> Int { Int(random.next(below: UInt64(bound))) }

    private mutating func randomNode() -> NodeID { cluster.ids[pick(cluster.ids.count)] }

    private mutating func takeRandomAction(step: Int) {
        let roll = pick(100)
        switch roll {
        case 0..<30: cluster.with(randomNode()) { $0.tick() }
        case 30..<55: processRandomReady()
        case 55..<85: deliverRandomMessage()
        case 85..<92: proposeOnLeader(step: step)
        case 92: readOnLeader(step: step)
        case 93: changeMembership()
        case 94: dropRandomMessage()
        case 95: togglePartition()
        case 96: cluster.restart(randomNode())
        case 97: compactRandomNode()
        case 98: transferRandomly()
        default: cluster.with(randomNode()) { $0.campaign() }
        }
    }

    private mutating func processRandomReady() {
        let ready = cluster.ids.filter { cluster.nodes[$0]!.hasReady }
        guard !ready.isEmpty else { return }
        let id = ready[pick(ready.count)]
        let before = cluster.network.count
        let (handled, _) = cluster.processReady(id)
        noteReads(handled.readStates)
        // Faults on the way out: lose or duplicate some of what was just sent.
        var sent = Array(cluster.network[before...])
        cluster.network.removeLast(sent.count)
        sent = sent.flatMap { message -> [Message] in
            switch pick(100) {
            case 0..<5:
                cluster.lost(message)
                return []
            case 5..<8: return [message, message]
            default: return [message]
            }
        }
        cluster.network += sent
    }

    private mutating func deliverRandomMessage() {
        guard !cluster.network.isEmpty else { return }
        let message = cluster.network.remove(at: pick(cluster.network.count))
        cluster.deliver(message)
    }

    private mutating func dropRandomMessage() {
        guard !cluster.network.isEmpty else { return }
        cluster.lost(cluster.network.remove(at: pick(cluster.network.count)))
    }

    private mutating func togglePartition() {
        if cluster.cutLinks.isEmpty {
            cluster.isolate(randomNode())
        } else {
            cluster.heal()
        }
    }

    private mutating func proposeOnLeader(step: Int) {
        guard let leader = cluster.leaders.last else { return }
        proposals += 1
        _ = cluster.with(leader) { $0.propose(Array("s\(seed)-\(step)".utf8)) }
    }

    private mutating func readOnLeader(step: Int) {
        guard let leader = cluster.leaders.last else { return }
        let context = Array("r\(step)".utf8)
        readFloors[context] = cluster.ids.map { cluster.nodes[$0]!.committedIndex }.max() ?? .zero
        _ = cluster.with(leader) { $0.readIndex(context: context) }
    }

    /// Linearizable reads: a confirmed read point covers every commit that happened before the request.
    private mutating func noteReads(_ reads: [ReadState]) {
        for read in reads {
            readsConfirmed += 1
            guard let floor = readFloors[read.context] else { continue }
            if read.index < floor, readProblem == nil {
                readProblem = "read \(Describe.bytes(read.context)) at \(read.index) misses commit \(floor)"
            }
        }
    }

    private mutating func compactRandomNode() {
        let id = randomNode()
        let node = cluster.nodes[id]!
        guard node.appliedIndex > node.snapshotIndex else { return }
        let data = Array("snap\(node.appliedIndex)".utf8)
        if let metadata = try? cluster.with(
            id,
            { (raft: inout RaftNode) throws(RaftError) in
                try raft.compact(snapshotIndex: raft.appliedIndex, snapshotData: data)
            })
        {
            cluster.durable[id]!.compact(to: Snapshot(metadata: metadata, data: data))
        }
    }

    /// Adds, promotes or removes a random node, whichever applies to it; refusals are part of the test.
    private mutating func changeMembership() {
        guard let leader = cluster.leaders.last else { return }
        let target = randomNode()
        let configuration = cluster.nodes[leader]!.configuration
        let change: ConfigChange
        if configuration.isVoter(target) {
            change = .remove(target)
        } else if configuration.isLearner(target) {
            change = .promote(target)
        } else {
            change = .addLearner(target)
        }
        _ = cluster.with(leader) { $0.proposeConfigChange(change) }
    }

    private mutating func transferRandomly() {
        guard let leader = cluster.leaders.last else { return }
        let target = randomNode()
        _ = cluster.with(leader) { $0.transferLeadership(to: target) }
    }
}

extension RandomSchedule {
    /// Liveness after the storm: with the network healed and faults off, the cluster elects a leader and
    /// commits a new entry on every node within a bounded number of ticks.
    private mutating func recover() -> String? {
        cluster.heal()
        var marker: (index: LogIndex, term: Term)?
        for round in 0..<400 {
            for id in cluster.ids { cluster.with(id) { $0.tick() } }
            cluster.stabilize()
            if let problem = checker.check(cluster) ?? readProblem { return "recovery round \(round): \(problem)" }
            // A proposal can be lost to a change of leader; propose again now and then.
            if marker == nil || round % 60 == 59, let leader = cluster.leaders.last {
                if case .accepted(let index, let term) = cluster.with(
                    leader, { $0.propose(Array("final\(round)".utf8)) })
                {
                    marker = (index, term)
                }
            }
            if let marker, isAppliedEverywhere(marker.index, marker.term) { return nil }
        }
        let states = cluster.ids.map { id in
            let node = cluster.nodes[id]!
            return Describe.status(node.status) + " " + node.configuration.description
        }.joined(separator: "; ")
        return "no recovery after healing: \(states)"
    }

    /// Whether every member of the current leader's configuration applied the entry (removed nodes are
    /// not expected to keep up).
    private func isAppliedEverywhere(_ index: LogIndex, _ term: Term) -> Bool {
        guard let leader = cluster.leaders.max(by: { cluster.nodes[$0]!.term < cluster.nodes[$1]!.term }) else {
            return false
        }
        return cluster.nodes[leader]!.configuration.members.allSatisfy { id in
            let node = cluster.nodes[id]!
            return node.appliedIndex >= index && (node.term(at: index) == term || node.snapshotIndex >= index)
        }
    }
}

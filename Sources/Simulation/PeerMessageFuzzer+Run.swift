import Node
import PadlockTypes
import PeerWire
import Raft
import Storage
import StorageTesting

/// One fuzz run: the node, its store, and what its current life has shown so far.
final class PeerFuzzRun {
    var random: SimRandom
    var store = MemoryLogStore()
    let configuration: NodeConfiguration
    var host: FuzzHost
    var node: Node<FuzzHost>?
    var observer = FuzzObserver()
    var report = PeerFuzzReport()
    var step = 0
    var nextTransfer: UInt64 = 1
    /// What the current life has shown: these never decrease within it.
    var lastTerm = Term.zero
    var lastCommit = LogIndex.zero
    var lastRole = RaftNode.Role.follower

    /// Messages before the fuzzer starts over with an empty store.
    static let messagesPerNode = 2_500

    init(seed: UInt64) {
        var seeded = SimRandom(seed: seed ^ 0xF022_0F02_2F02_20F0)
        random = seeded.fork()
        var raft = Config(id: NodeID(1), electionTicks: 10, heartbeatTicks: 2)
        raft.maxEntriesPerAppend = 8
        var addresses: [NodeID: MemberAddresses] = [:]
        for id in 1...3 {
            addresses[NodeID(UInt64(id))] = MemberAddresses(peer: "fuzz-\(id):7501", client: "fuzz-\(id):7401")
        }
        configuration = NodeConfiguration(
            id: NodeID(1), initialMembers: addresses, bootstrapVoters: [NodeID(1), NodeID(2), NodeID(3)],
            tickMilliseconds: 10, raft: raft, snapshotEntryThreshold: 24)
        host = FuzzHost(store: store)
        start()
    }

    func run(messages: Int) {
        while report.messages < messages && report.failures.count < 10 {
            step += 1
            if report.messages > 0 && report.messages % Self.messagesPerNode == 0 && node?.term == lastTerm {
                // A fresh node now and then: a term driven to the last one below the limit is never left.
                store = MemoryLogStore()
                restart()
            }
            guard let node else { return }
            if (step / 150) % 3 == 2 {
                quietStep()
            } else {
                noisyStep(node)
            }
            settle()
            check()
        }
        restart()
        report.restarts -= 1
    }

    /// Mostly hostile messages, with ticks, writes, clock readings and crashes between them.
    func noisyStep(_ node: Node<FuzzHost>) {
        switch random.below(100) {
        case 0..<62: deliver(PeerFuzzMessages.message(for: node, sent: host.sent, random: &random, fuzzRun: self))
        case 62..<80: tick()
        case 80..<94: completeWrites()
        case 94..<98: observeClock()
        default: restart()
        }
    }

    /// A third of the time the "peers" only answer what the node sends, so that it times out, campaigns,
    /// wins and leads, and its leader paths meet the noisy steps that follow.
    func quietStep() {
        switch random.below(100) {
        case 0..<45: tick()
        case 45..<75: completeWrites()
        default:
            guard let last = host.sent.last, let answer = PeerFuzzMessages.answer(to: last, &random) else {
                return tick()
            }
            deliver(answer)
        }
    }

    /// Starts the node from the store; a store it cannot start from is a broken guarantee.
    func start() {
        let previous = host
        host = FuzzHost(store: store)
        host.monotonicMilliseconds = previous.monotonicMilliseconds + 1_000
        host.wallMilliseconds = previous.wallMilliseconds &+ 1_000
        do {
            let restored = try NodeRestore.load(from: store, configuration: configuration)
            let started = try Node(
                configuration: configuration, environment: host, restored: restored, seed: random.next())
            observer = FuzzObserver()
            started.observer = observer
            node = started
            lastTerm = started.term
            lastCommit = started.committedIndex
        } catch {
            fail("the node cannot start from what it persisted: \(error)")
            node = nil
        }
    }

    /// A crash: writes in flight are lost, the rest is on the store.
    func restart() {
        if let node {
            report.dropped += node.droppedRaftMessages
            report.applied += observer.applied
        }
        report.restarts += 1
        host.pendingWrites = []
        host.pendingEncodings = []
        node = nil
        start()
    }

    func deliver(_ message: Message) {
        guard let node else { return }
        report.messages += 1
        if case .snapshot = message.kind {
            var assembler = SnapshotAssembler()
            for payload in PeerWire.snapshotChunks(of: message, transfer: nextTransfer, chunkBytes: 512) {
                do {
                    guard case .snapshotChunk(let chunk) = try PeerWire.decode(payload) else {
                        return fail("a snapshot chunk decoded as something else")
                    }
                    if let whole = try assembler.add(chunk) { node.receive(whole) }
                } catch {
                    return fail("a snapshot chunk the encoder made does not decode: \(error)")
                }
            }
            nextTransfer += 1
            return
        }
        do {
            guard case .messages(let batch) = try PeerWire.decode(PeerWire.encodeBatch([message])) else {
                return fail("a batch decoded as something else")
            }
            for received in batch { node.receive(received) }
        } catch {
            fail("a message the encoder made does not decode: \(error)")
        }
    }

    func tick() {
        let milliseconds = random.chance(0.1) ? random.between(100...2_000) : 10
        host.monotonicMilliseconds += milliseconds
        if random.chance(0.02) {
            // The wall clock jumps a day either way, or back to about the truth.
            host.wallMilliseconds = random.pick([
                host.wallMilliseconds &+ 86_400_000, host.wallMilliseconds &- 86_400_000,
                UInt64(SimClock.wallEpochMilliseconds) + host.monotonicMilliseconds,
            ])
        } else {
            host.wallMilliseconds &+= milliseconds
        }
        node?.tick()
    }

    func completeWrites() {
        let count = random.chance(0.5) ? host.pendingWrites.count : min(1, host.pendingWrites.count)
        for _ in 0..<count where !host.pendingWrites.isEmpty {
            let (write, completion) = host.pendingWrites.removeFirst()
            completion(Result { try write.perform(on: store) })
        }
        let encodings = host.pendingEncodings
        host.pendingEncodings = []
        for (work, completion) in encodings { completion(work()) }
    }

    func observeClock() {
        let peer = NodeID(random.between(2...3))
        let wall =
            random.chance(0.2)
            ? random.pick([0, 1 << 62, 1 << 63, UInt64.max]) : host.wallMilliseconds &+ random.below(4_000) &- 2_000
        node?.observePeerClock(peer, wallMilliseconds: wall)
    }

    /// Flushes until the node asks for nothing more (writes stay pending until `completeWrites`).
    func settle() {
        for _ in 0..<8 {
            guard let node, host.flushRequested else { return }
            host.flushRequested = false
            node.flush()
        }
    }

    func check() {
        guard let node else { return }
        if let stopped = host.stopped { return fail("the node stopped: \(stopped)") }
        if node.term < lastTerm { fail("the term went back from \(lastTerm) to \(node.term)") }
        if node.committedIndex < lastCommit {
            fail("the commit index went back from \(lastCommit) to \(node.committedIndex)")
        }
        if !node.term.isWithinLimit { fail("the node adopted term \(node.term), beyond the limit") }
        for problem in observer.problems { fail(problem) }
        observer.problems = []
        if node.role == .leader && (lastRole != .leader || node.term != lastTerm) { report.leaderships += 1 }
        lastTerm = node.term
        lastCommit = node.committedIndex
        lastRole = node.role
        report.highestTerm = max(report.highestTerm, node.term.rawValue)
    }

    func fail(_ text: String) {
        report.failures.append("step \(step): \(text)")
    }
}

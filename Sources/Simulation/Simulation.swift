import LockHistory
import LockTable
import Node
import PadlockClient
import PadlockTypes
import PeerWire
import Raft
import Storage
import Wire

/// A deterministic simulation of a Padlock cluster: the production `Node` code on simulated clocks, network
/// and disks, driven by seeded faults and simulated CRM clients, with the guarantees of DESIGN.md §2 checked
/// after every step. A seed fully determines a run.
package final class Simulation {
    /// Clients keep this fraction of their TTL as a margin for clock drift (docs/leases.md).
    static let clientMarginFraction = 0.05
    /// The drift bound of every clock: ±1 %.
    static let driftBound = 0.01
    /// A wall clock within this of true time is honest; the clock fault's day-ahead jump is not.
    static let honestSkewMilliseconds: UInt64 = 5_000
    /// How long after a wall clock is set right a peer may still count a reading of it: a node uses readings
    /// of the last 10 s, and a reading can arrive up to 4 s late (a paused receiver) plus a clogged link's delay.
    static let staleReadingMicroseconds: UInt64 = 15_000_000

    package let options: SimulationOptions
    var random: SimRandom
    var queue = EventQueue()
    /// True time, in microseconds.
    var now: UInt64 = 0
    var nodes: [SimNode] = []
    var clients: [SimClient] = []
    var network: SimNetwork
    var store = FencedStore()
    var history = HistoryRecorder()
    var violations: [String] = []
    var trace: [String] = []
    var traceHash = TraceHash()
    var eventCount = 0
    var faultCount = 0
    /// No new fault is drawn before this time (a restored node is being checked by the cluster).
    var quietUntil: UInt64 = 0
    var grantCount = 0
    /// Events nodes sent to client connections (each checked against the committed history).
    var eventsSent = 0
    let faultEnd: UInt64
    var livenessDeadline: UInt64
    var inLivenessPhase = false
    var finished = false
    let observer: SimObserver
    var keys: [LockKey] = []
    /// Per-node settings drawn from the seed, identical for every node of the run.
    var nodeSettings: NodeSettings
    /// The node's side of every client connection, by connection id.
    var serverConnections: [UInt64: ServerConnection] = [:]
    /// The first application answer to each request id, for the exactly-once check.
    var firstAnswers: [RequestID: String] = [:]
    var nextTransfer: UInt64 = 1
    /// Locks an administrator took away; their holders' beliefs no longer count.
    var forciblyReleased: Set<ForcedRelease> = []
    /// Linearizability groups checked, and those whose search hit its step bound.
    var checkedGroups = 0
    var inconclusiveGroups = 0
    /// The highest wall clock reading any node has shown, carried forward (`checkStampBound`).
    var wallHighWater: (wall: Double, at: UInt64) = (0, 0)
    /// The indexes at which a node sent each session a resync (its losses no longer in the leader's ring).
    var resyncs: [SessionID: [UInt64]] = [:]

    /// Prepares a run; `run()` executes it.
    package init(options: SimulationOptions) {
        precondition([1, 3, 5].contains(options.nodeCount), "a simulated cluster has 1, 3 or 5 nodes")
        self.options = options
        var random = SimRandom(seed: options.seed &* SplitMix64.goldenGamma &+ 0x5EED)
        network = SimNetwork(random: random.fork())
        nodeSettings = NodeSettings(random: &random, bug: options.bug)
        faultEnd = UInt64(options.faultTicks) * 10_000
        livenessDeadline = faultEnd + UInt64(options.livenessTicks) * 10_000
        self.random = random
        observer = SimObserver()
        observer.simulation = self
        for record in 0..<options.recordCount {
            keys.append(simulatorKey("crm/contacts/\(record)"))
            keys.append(simulatorKey("crm/contacts/\(record)/phone"))
            keys.append(simulatorKey("crm/contacts/\(record)/email"))
        }
        for index in 0..<options.nodeCount {
            nodes.append(SimNode(index: index, clock: makeClock(), random: self.random.fork()))
        }
        let bugs = ClientInjectedBugs(
            freshSequenceOnRetry: options.bug == .clientFreshSequenceOnRetry,
            leaseIgnoresMargin: options.bug == .clientLeaseIgnoresMargin)
        for index in 0..<options.clientCount {
            let ttl = self.random.between(2_000...4_000)
            let host = ClientHost(
                simulation: self, index: index, endpoint: options.nodeCount + index, clock: makeClock(),
                random: self.random.fork(), bugs: bugs)
            clients.append(SimClient(index: index, host: host, random: self.random.fork(), ttl: ttl, simulation: self))
        }
    }

    private func makeClock() -> SimClock {
        let drift = (random.unit() * 2 - 1) * Self.driftBound
        return SimClock(
            rate: 1 + drift, startLocalMicroseconds: Double(random.between(1_000_000...1_000_000_000)),
            wallSkewMilliseconds: Int64(random.below(400)) - 200)
    }

    /// Runs the simulation to its end and reports what the checkers found.
    package func run() -> SimulationReport {
        for index in nodes.indices { startNode(index) }
        for client in clients { client.start() }
        schedule(.fault(.plan), at: 200_000)
        schedule(.endOfFaults, at: faultEnd)
        while !finished, let (time, event) = queue.popFirst() {
            now = time
            eventCount += 1
            record(event)
            dispatch(event)
            if now >= livenessDeadline || !violations.isEmpty { break }
            if inLivenessPhase && clients.allSatisfy(\.drained) && eventsUnsettled() == nil { break }
        }
        finalChecks()
        var report = SimulationReport(
            seed: options.seed, violations: violations, traceHash: traceHash.value, simulatedMicroseconds: now,
            eventCount: eventCount, operationCount: history.count, grantCount: grantCount, faultCount: faultCount,
            checkedGroups: checkedGroups, inconclusiveGroups: inconclusiveGroups, leaderTerms: observer.leaders.count,
            trace: trace)
        report.holdsPlaced = observer.holdChecker.placements
        report.grantsUnderHolds = observer.holdChecker.grantsUnderHolds
        return report
    }

    func schedule(_ event: SimEvent, at time: UInt64) { queue.insert(event, deadline: max(time, now)) }

    func schedule(_ event: SimEvent, after delay: UInt64) { queue.insert(event, deadline: now + delay) }

    /// Records a violation (the run stops after the current event).
    func violation(_ text: String) {
        let line = "t=\(Self.format(now)) VIOLATION: \(text)"
        violations.append(line)
        if options.trace { trace.append(line) }
    }

    func note(_ text: @autoclosure () -> String) {
        guard options.trace else { return }
        trace.append("t=\(Self.format(now)) \(text())")
    }

    static func format(_ micros: UInt64) -> String {
        let millis = micros / 1000
        let fraction = micros % 1000
        return "\(millis).\(fraction < 100 ? (fraction < 10 ? "00" : "0") : "")\(fraction)ms"
    }

    private func dispatch(_ event: SimEvent) {
        switch event {
        case .tick(let node, let incarnation): nodeTick(node, incarnation)
        case .flush(let node, let incarnation): withNode(node, incarnation, event) { $0.flush() }
        case .diskDone(let node, let incarnation): diskDone(node, incarnation, event)
        case .encoded(let node, let incarnation, let deliver): withNode(node, incarnation, event) { _ in deliver() }
        case .peerFrame(let from, let to, let payload, let wall):
            peerFrameArrived(from: from, to: to, payload, senderWall: wall, event)
        case .forgedFrame(let from, let to, let payload): forgedFrameArrived(from: from, to: to, payload, event)
        case .snapshotTransfer(let from, let to, let chunks, let incarnation):
            snapshotArrived(from: from, to: to, chunks, senderIncarnation: incarnation, event)
        case .snapshotReport(let from, let to, let delivered, let incarnation):
            guard nodes[from].incarnation == incarnation else { return }
            withNode(from, incarnation, event) {
                $0.reportSnapshot(to: self.nodes[to].id, status: delivered ? .finished : .failed)
            }
        case .clientRequest(let node, let connection, let payload):
            clientRequestArrived(node, connection, payload, event)
        case .clientResponse(let client, let connection, let payload):
            clientEvent(client, event) { $0.host.frameArrived(connection, payload) }
        case .connectionReset(let client, let connection):
            clientEvent(client, event) { $0.host.connectionReset(connection) }
        case .clientHangUp(let node, let connection): hangUpArrived(node, connection, event)
        case .clientTimer(let client, let token): clientEvent(client, event) { $0.host.timerFired(token) }
        case .clientResume(let client): resumeClient(client)
        case .fault(let action): apply(action)
        case .endOfFaults: beginLivenessPhase()
        }
    }

    /// Runs `body` on a client unless it is paused; a paused client gets the event when it resumes, after
    /// everything that reached it before (its connections keep their order however often it pauses).
    private func clientEvent(_ index: Int, _ event: SimEvent, _ body: (SimClient) -> Void) {
        let client = clients[index]
        if client.pausedUntil > now || (!client.deferred.isEmpty && !client.replaying) {
            if client.deferred.isEmpty { schedule(.clientResume(client: index), at: client.pausedUntil) }
            client.deferred.append(event)
            return
        }
        body(client)
        observeEvents(of: client)
    }

    /// Hands a client what reached it while it was paused, in order, once its pause is over.
    private func resumeClient(_ index: Int) {
        let client = clients[index]
        guard client.pausedUntil <= now else {
            return schedule(.clientResume(client: index), at: client.pausedUntil)
        }
        let backlog = client.deferred
        client.deferred = []
        client.replaying = true
        for event in backlog { dispatch(event) }
        client.replaying = false
    }

    /// Runs `body` on a node's `Node` if it is up in that incarnation; a paused node gets it on resume.
    func withNode(_ index: Int, _ incarnation: Int?, _ event: SimEvent, _ body: (Node<SimHost>) -> Void) {
        let node = nodes[index]
        if let incarnation, incarnation != node.incarnation { return }
        switch node.state {
        case .up:
            if let live = node.node {
                body(live)
                observer.checkCommitted(index, live)
            }
        case .paused: node.deferred.append(event)
        case .down, .dead: break
        }
    }

    private func record(_ event: SimEvent) {
        traceHash.add(now)
        switch event {
        case .tick(let node, _): traceHash.add(UInt64(1 << 8 | node))
        case .flush(let node, _): traceHash.add(UInt64(2 << 8 | node))
        case .diskDone(let node, _): traceHash.add(UInt64(3 << 8 | node))
        case .encoded(let node, _, _): traceHash.add(UInt64(13 << 8 | node))
        case .peerFrame(let from, let to, let payload, _):
            traceHash.add(UInt64(4 << 16 | from << 8 | to))
            traceHash.add(TraceHash.of(payload))
        case .forgedFrame(let from, let to, let payload):
            traceHash.add(UInt64(14 << 16 | from << 8 | to))
            traceHash.add(TraceHash.of(payload))
        case .snapshotTransfer(let from, let to, let chunks, _):
            traceHash.add(UInt64(5 << 16 | from << 8 | to))
            traceHash.add(UInt64(chunks.count))
        case .snapshotReport(let from, let to, let delivered, _):
            traceHash.add(UInt64(6 << 16 | from << 8 | to) + (delivered ? 1 : 0))
        case .clientRequest(let node, let connection, let payload):
            traceHash.add(UInt64(7 << 8 | node))
            traceHash.add(connection)
            traceHash.add(TraceHash.of(payload))
        case .clientResponse(let client, _, let payload):
            traceHash.add(UInt64(8 << 8 | client))
            traceHash.add(TraceHash.of(payload))
        case .connectionReset(let client, let connection): traceHash.add(UInt64(9 << 8 | client) ^ connection)
        case .clientHangUp(let node, let connection): traceHash.add(UInt64(15 << 8 | node) ^ connection)
        case .clientTimer(let client, let token): traceHash.add(UInt64(10 << 8 | client) ^ token)
        case .clientResume(let client): traceHash.add(UInt64(16 << 8 | client))
        case .fault: traceHash.add(11)
        case .endOfFaults: traceHash.add(12)
        }
    }

    /// A random key among the records and their fields.
    func randomKey(_ random: inout SimRandom) -> LockKey { random.pick(keys) }

    /// A session some other client holds open, for the administrator to revoke.
    func randomOpenSession(_ random: inout SimRandom, excluding client: SimClient) -> SessionID? {
        let candidates = clients.filter { $0 !== client }.flatMap(\.driver.openSessions)
        return candidates.isEmpty ? nil : random.pick(candidates)
    }
}

/// A key the simulator spells itself; one that does not validate is a bug in the simulator.
func simulatorKey(_ text: String) -> LockKey {
    do {
        return try LockKey(text)
    } catch {
        preconditionFailure("the simulator's own key \(text) is invalid: \(error)")
    }
}

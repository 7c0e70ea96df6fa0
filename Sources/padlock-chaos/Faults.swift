import FaultProxy
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The faults `--faults` may name.
enum FaultKind: String, CaseIterable, Sendable, Comparable {
    case kill, pause, partition, clock, disk, restart, packet, wipe, flood, latency
    case killAll = "kill-all"

    static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One planned fault: what, which variant, how long it lasts and how long the cluster then has to recover.
/// The plan is a pure function of the seed; which node is the leader when it is applied is not.
struct PlannedFault: Sendable {
    var kind: FaultKind
    var variant: Int
    var seconds: Double
    var gapSeconds: Double
}

/// FAKETIME specifications the clock fault picks from: offsets both ways, and rates faster and slower than
/// real time (libfaketime applies both to CLOCK_MONOTONIC as well unless FAKETIME_DONT_FAKE_MONOTONIC=1).
let faketimeSpecifications = ["+5s x1.2", "-20s x0.9", "+300s", "+0 x1.5", "-2s x1.05"]

/// The seeded schedule: kinds in shuffled rounds so every kind in the list comes up, durations and variants
/// drawn from the seed.
func planFaults(kinds: [FaultKind], seed: UInt64, seconds: Double) -> [PlannedFault] {
    guard !kinds.isEmpty else { return [] }
    var random = SeededGenerator(seed: seed).derived(0xFA17)
    var plan: [PlannedFault] = []
    var budget = seconds - 3  // warm-up
    var round: [FaultKind] = []
    while budget > 4 {
        if round.isEmpty { round = kinds.shuffled(using: &random) }
        let kind = round.removeFirst()
        let length: Double
        switch kind {
        case .kill: length = Double.random(in: 1...3, using: &random)
        case .pause: length = Double.random(in: 4.5...6, using: &random)  // longer than the 4 s lock lease
        case .partition: length = Double.random(in: 2...4, using: &random)
        case .clock: length = Double.random(in: 4...7, using: &random)
        case .disk: length = Double.random(in: 5...8, using: &random)
        case .restart: length = 0
        case .packet: length = Double.random(in: 3...5, using: &random)
        case .wipe: length = Double.random(in: 2...3, using: &random)
        case .flood: length = Double.random(in: 4...7, using: &random)
        case .killAll: length = Double.random(in: 1...3, using: &random)
        case .latency: length = Double.random(in: 4...7, using: &random)
        }
        let fault = PlannedFault(
            kind: kind, variant: Int.random(in: 0..<60, using: &random), seconds: length,
            gapSeconds: Double.random(in: 2.5...4, using: &random))
        plan.append(fault)
        budget -= length + fault.gapSeconds + (kind == .restart || kind == .wipe || kind == .killAll ? 6 : 0)
    }
    return plan
}

/// A fault that was applied and healed, for the report and the recovery checker.
struct AppliedFault: Sendable {
    var kind: FaultKind
    var detail: String
    var injectedNs: UInt64
    var healedNs: UInt64
}

/// Applies a plan to a cluster, one fault at a time, each healed before the next.
final class FaultInjector: @unchecked Sendable {
    let cluster: ChaosCluster
    let history: HistoryWriter
    private(set) var applied: [AppliedFault] = []
    /// Things worth reporting that are not violations (a disk fault that never filled a write, …).
    private(set) var notes: [String] = []
    /// The records of the store (`acme/contacts/1…N`), for the survey after a kill-all.
    var recordCount = 20
    var op = 0
    /// Packet drops and slow links on the namespace's loopback, when the run has a network namespace of its own.
    let packets: PacketFaults?

    init(cluster: ChaosCluster, history: HistoryWriter) {
        self.cluster = cluster
        self.history = history
        packets = PacketFaults.unavailableReason() == nil ? PacketFaults() : nil
    }

    func run(_ plan: [PlannedFault], until deadline: UInt64) async {
        await pause(.seconds(3))
        for fault in plan {
            let needed = UInt64((fault.seconds + 1) * 1e9)
            guard Clocks.monotonicNanoseconds() + needed < deadline else { break }
            if fault.kind == .disk && cluster.tmpfsNode == nil { continue }
            if fault.kind == .clock && !cluster.faketimeWorks { continue }
            if fault.kind == .packet && packets == nil { continue }
            restartUnexpectedlyStopped()
            await apply(fault)
            await pause(.milliseconds(Int64(fault.gapSeconds * 1000)))
        }
    }

    func record(_ f: String, _ kind: FaultKind, _ detail: String) {
        op += 1
        var event = HistoryEvent(process: "nemesis", type: "info", f: f, op: op)
        event.kind = kind.rawValue
        event.detail = detail
        history.record(event)
        progress("\(f) \(kind.rawValue): \(detail)")
    }

    private func apply(_ fault: PlannedFault) async {
        let leader = await cluster.leader()
        let target = leader ?? ChaosCluster.nodes[fault.variant % 3]
        let others = ChaosCluster.nodes.filter { $0 != target }
        let injected = Clocks.monotonicNanoseconds()
        var detail = ""
        let hold = Duration.milliseconds(Int64(fault.seconds * 1000))
        switch fault.kind {
        case .kill:
            detail = "SIGKILL node \(target)\(leader == target ? " (leader)" : ""), restart after \(hold)"
            record("fault", .kill, detail)
            cluster.kill9(target)
            await pause(hold)
            try? cluster.startNode(target)
        case .pause:
            detail = "SIGSTOP node \(target)\(leader == target ? " (leader)" : "") for \(hold)"
            record("fault", .pause, detail)
            let stopped = Clocks.monotonicNanoseconds()
            cluster.signal(target, SIGSTOP)
            await pause(hold)
            cluster.signal(target, SIGCONT)
            let resumed = Clocks.monotonicNanoseconds()
            detail +=
                "; stopped " + String(format: "%.2f s", Double(resumed - stopped) / 1e9)
                + " (stopped_ns \(stopped), resumed_ns \(resumed))"
        case .partition:
            detail = await partition(fault, target: target, others: others)
            record("fault", .partition, detail)
            await pause(hold)
            await cluster.healNetwork()
        case .clock:
            // The leader one time in three: its clock decides when leases expire.
            let node = ([target] + others)[fault.variant % 3]
            let spec = faketimeSpecifications[fault.variant % faketimeSpecifications.count]
            detail =
                "restart node \(node)\(leader == node ? " (leader)" : "") under FAKETIME=\"\(spec)\" for \(hold), then restart it on the real clock"
            record("fault", .clock, detail)
            cluster.terminate(node)
            try? cluster.startNode(node, faketime: spec)
            await pause(hold)
            cluster.terminate(node)
            try? cluster.startNode(node)
        case .disk:
            detail = await fillDisk(hold)
        case .restart:
            detail = await rollingRestart(leader: leader)
        case .wipe:
            detail = await wipe(others[fault.variant % 2], hold: hold)
        case .flood:
            detail = await floodPeerPorts(fault, target: target, isLeader: leader == target, hold: hold)
        case .killAll:
            detail = await killAll(hold: hold)
        case .latency:
            detail = await slowLinks(fault, target: target, others: others)
            record("fault", .latency, detail)
            await pause(hold)
            await cluster.healNetwork()
        case .packet:
            guard let applied = impairPackets(fault, target: target) else { return }
            detail = applied
            record("fault", .packet, detail)
            await pause(hold)
            if let effects = packets?.clear(), !effects.isEmpty { detail += "; \(effects)" }
        }
        let healed = Clocks.monotonicNanoseconds()
        record("heal", fault.kind, detail)
        restartUnexpectedlyStopped()
        applied.append(AppliedFault(kind: fault.kind, detail: detail, injectedNs: injected, healedNs: healed))
    }

    func note(_ text: String) {
        notes.append(text)
        progress(text)
    }

    /// Nodes that died although no fault left them down (a crash of padlockd itself): noted, and restarted
    /// so that the run goes on.
    func restartUnexpectedlyStopped() {
        for node in ChaosCluster.nodes where !cluster.isRunning(node) {
            let ending = cluster.process(node).map(ChaosCluster.ending) ?? "?"
            let note = "node \(node) had died on its own (\(ending)); see node-\(node)/padlockd.log"
            notes.append(note)
            var event = HistoryEvent(process: "nemesis", type: "info", f: "crash", op: 0)
            event.detail = note
            history.record(event)
            progress(note)
            try? cluster.startNode(node)
        }
    }

    /// Black holes on peer or client links; returns what was done.
    private func partition(_ fault: PlannedFault, target: Int, others: [Int]) async -> String {
        let peers = cluster.peerProxies
        switch fault.variant % 7 {
        case 0:
            for other in others {
                await peers[target]![other]!.setFault(.blackHole(.both))
                await peers[other]![target]!.setFault(.blackHole(.both))
            }
            return "node \(target) isolated from its peers (both ways)"
        case 1:
            for other in others { await peers[target]![other]!.setFault(.blackHole(.toUpstream)) }
            return "one-way: node \(target) → peers dropped (it still hears them)"
        case 2:
            for other in others { await peers[other]![target]!.setFault(.blackHole(.toUpstream)) }
            return "one-way: peers → node \(target) dropped (it can still send)"
        case 3:
            await peers[others[0]]![others[1]]!.setFault(.blackHole(.both))
            await peers[others[1]]![others[0]]!.setFault(.blackHole(.both))
            return "nodes \(others[0]) and \(others[1]) cut from each other; node \(target) sees both"
        case 4:
            await cluster.clientProxies[target]!.setFault(.blackHole(.both))
            return "clients cut from node \(target) (its client proxy drops everything)"
        case 5:
            for node in ChaosCluster.nodes { await cluster.clientProxies[node]!.setFault(.reset) }
            return "every client connection reset, and refused while the fault lasts"
        default:
            for proxy in peers.values.flatMap({ $0.values }) { await proxy.setFault(.reset) }
            return "every peer connection reset, and new ones reset while the fault lasts"
        }
    }

    /// Drops or slows packets on the target's links (PacketFaults); returns what was done, or nil (with a note)
    /// when the kernel refused it. Unlike a proxy's black hole, lost packets leave both ends' TCP connections
    /// open and retransmitting, so a link comes back only as fast as TCP's backoff allows.
    private func impairPackets(_ fault: PlannedFault, target: Int) -> String? {
        guard let packets else { return nil }
        let outbound = cluster.peerProxies[target]!.values.map(\.port)
        let peerLinks = PortMatch.either(cluster.peerPort(target)) + outbound.flatMap(PortMatch.either)
        let failure: String?
        let text: String
        switch fault.variant % 5 {
        case 0:
            failure = packets.drop(percent: 100, matching: peerLinks)
            text = "every packet on node \(target)'s peer links dropped, both ways (no reset: TCP retransmits)"
        case 1:
            // What the node sends: from its listening port on inbound links, to the proxies on outbound ones.
            let sent =
                [PortMatch(field: "sport", port: cluster.peerPort(target))]
                + outbound.map { PortMatch(field: "dport", port: $0) }
            failure = packets.drop(percent: 100, matching: sent)
            text = "one-way: every packet node \(target) sends on its peer links dropped"
        case 2:
            failure = packets.drop(percent: 30, matching: peerLinks)
            text = "30 % of the packets on node \(target)'s peer links dropped at random"
        case 3:
            failure = packets.drop(percent: 10, matching: nil)
            text = "10 % of every TCP packet (every node, proxy and client) dropped at random"
        default:
            failure = packets.limit(kilobits: 1000, matching: peerLinks)
            text = "node \(target)'s peer links slowed to 1 Mbit/s (tc htb, 100-packet queue)"
        }
        if let failure {
            note("packet: not applied: \(failure)")
            return nil
        }
        return text
    }

    /// Fills the tmpfs under one node's data directory; the node must stop on ENOSPC (exit status 1). Heals by
    /// freeing the space and restarting the node if it stopped.
    private func fillDisk(_ hold: Duration) async -> String {
        guard let node = cluster.tmpfsNode else { return "skipped" }
        let fill = cluster.dataDirectory(node).appendingPathComponent("chaos-fill").path
        record("fault", .disk, "filling node \(node)'s tmpfs data directory for \(hold)")
        shell("dd if=/dev/zero of='\(fill)' bs=1M 2>/dev/null; sync")
        let deadline = ContinuousClock.now + hold
        while ContinuousClock.now < deadline && cluster.isRunning(node) { await pause(.milliseconds(50)) }
        let stopped = !cluster.isRunning(node)
        shell("rm -f '\(fill)'")
        var detail: String
        if stopped {
            let ending = cluster.process(node).map(ChaosCluster.ending) ?? "?"
            detail = "node \(node) stopped on a full disk (\(ending))"
            if ending != "exit 1" { notes.append("disk: node \(node) ended with \(ending), not exit 1 (fail-stop)") }
            try? cluster.startNode(node)
            detail += "; restarted with space"
        } else {
            detail = "node \(node) kept running on a full disk for \(hold) (no write needed new space)"
            notes.append("disk: " + detail)
        }
        return detail
    }

    /// Strangers on the peer ports (PeerFlood), by variant: 64 idle connections held on every node's peer
    /// port while the target restarts (an election must still happen); half-sent handshakes held on every
    /// peer port; a burst of undecodable handshakes on the target's peer port. At most 20,000 connections,
    /// for the fault's duration, from loopback.
    private func floodPeerPorts(_ fault: PlannedFault, target: Int, isLeader: Bool, hold: Duration) async -> String {
        let everyPort = ChaosCluster.nodes.map(cluster.peerPort)
        let flood: PeerFlood
        var text: String
        switch fault.variant % 3 {
        case 0:
            flood = PeerFlood(ports: everyPort, perPort: 64, style: .idle, seconds: fault.seconds + 1)
            text =
                "64 idle connections held on every peer port; node \(target)\(isLeader ? " (leader)" : "") restarted meanwhile"
        case 1:
            flood = PeerFlood(ports: everyPort, perPort: 64, style: .halfHandshake, seconds: fault.seconds + 1)
            text = "64 half-sent handshakes held on every peer port"
        default:
            flood = PeerFlood(
                ports: [cluster.peerPort(target)], perPort: 16, style: .garbage, seconds: fault.seconds + 1)
            text = "a burst of undecodable handshakes on node \(target)'s peer port"
        }
        record("fault", .flood, text)
        flood.start()
        if fault.variant % 3 == 0 {
            await pause(.milliseconds(500))
            let ending = cluster.terminate(target)
            if ending != "exit 0" { notes.append("flood: node \(target) ended with \(ending) on SIGTERM, not exit 0") }
            try? cluster.startNode(target)
            await pause(hold - .milliseconds(500))
        } else {
            await pause(hold)
        }
        flood.stop()
        let counts = flood.counts
        text += "; \(counts.opened) connections opened, \(counts.refused) connects refused"
        return text
    }

    /// SIGTERM each node in turn (followers first), restarting it and waiting until it answers.
    private func rollingRestart(leader: Int?) async -> String {
        let order = ChaosCluster.nodes.filter { $0 != leader } + (leader.map { [$0] } ?? [])
        record("fault", .restart, "rolling restart, order \(order.map(String.init).joined(separator: ","))")
        var statuses: [String] = []
        for node in order {
            let ending = cluster.terminate(node)
            statuses.append("node \(node) \(ending)")
            if ending != "exit 0" { notes.append("restart: node \(node) ended with \(ending) on SIGTERM, not exit 0") }
            try? cluster.startNode(node)
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                if await cluster.statuses().contains(where: { Int($0.node.rawValue) == node }) { break }
                await pause(.milliseconds(100))
            }
            await pause(.milliseconds(500))
        }
        return "rolling restart: " + statuses.joined(separator: ", ")
    }
}

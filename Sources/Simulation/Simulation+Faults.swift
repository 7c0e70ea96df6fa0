import Node
import Raft

/// One step of the fault schedule.
enum FaultAction {
    /// Draw the next fault.
    case plan
    case healPartition
    case restoreLinks
    case unclog(Int)
    case restart(Int)
    case resume(Int)
    case normalDisk(Int)
    case rejoinClient(Int)
    /// A node stopped itself on a failed sync: take it down like a crash.
    case crashStopped(Int)
    /// A wall clock that jumped a day ahead is set right again (to the given skew).
    case clockBack(Int, Int64)
    /// The second half of the `wipe` sequence: the leader stops and the follower's directory is wiped.
    case wipeAfterAcknowledgements(leader: Int, stopped: Int, wiped: Int)
}

extension Simulation {
    func apply(_ action: FaultAction) {
        switch action {
        case .plan:
            guard !inLivenessPhase else { return }
            injectFault()
            schedule(.fault(.plan), after: random.between(options.faultInterval))
        case .healPartition:
            network.healPartitions()
            note("partitions heal")
        case .restoreLinks:
            network.lossRate = 0
            network.duplicationRate = 0
            note("loss and duplication stop")
        case .unclog(let node):
            network.clogged[node] = nil
        case .restart(let node):
            startNode(node)
        case .resume(let node):
            resume(node)
        case .normalDisk(let node):
            nodes[node].disk.latencyMean = options.diskLatencyMean
        case .rejoinClient(let client):
            unblock(endpoint: clients[client].endpoint)
        case .crashStopped(let node):
            crash(node)
            schedule(.fault(.restart(node)), after: random.between(50_000...800_000))
        case .clockBack(let node, let skew):
            noteWallHighWater()
            nodes[node].clock.wallSkewMilliseconds = skew
            nodes[node].clockAheadUntil = now + Self.staleReadingMicroseconds
            note("n\(nodes[node].id)'s wall clock is set right")
        case .wipeAfterAcknowledgements(let leader, let stopped, let wiped):
            // Faults stop when the liveness phase begins, the second half of a wipe sequence too: it takes the
            // leader down for seconds, and clients that drained meanwhile would end the run without a leader.
            guard !inLivenessPhase else {
                note("wipe sequence: called off, faults have stopped")
                return
            }
            wipeAfterAcknowledgements(leader: leader, stopped: stopped, wiped: wiped)
        }
    }

    private func injectFault() {
        let enabled = FaultKind.allCases.filter { options.faults.contains($0) }
        guard !enabled.isEmpty, now >= quietUntil else { return }
        faultCount += 1
        switch random.pick(enabled) {
        case .partition: partition()
        case .loss: lossy()
        case .clog: clog()
        case .crash: crashSomeNode()
        case .pause: pauseSomeNode()
        case .disk: diskFault()
        case .clock: clockFault()
        case .client: clientFault()
        case .forged: forgedFrames()
        case .wipe: startWipeSequence()
        case .restore: backupOrRestore()
        }
    }

    var upNodes: [Int] { nodes.indices.filter { nodes[$0].state == .up } }

    var leaderIndex: Int? {
        nodes.indices.first { nodes[$0].state == .up && nodes[$0].node?.isLeader == true }
    }

    /// A node to hurt: the leader half the time (faults matter most there), else any node that is up.
    func victim() -> Int? {
        if let leader = leaderIndex, random.chance(options.leaderBias) { return leader }
        let candidates = upNodes
        return candidates.isEmpty ? nil : random.pick(candidates)
    }

    /// Whether taking one more node out still leaves a majority up (kept most of the time, not always).
    private func mayTakeDown() -> Bool {
        upNodes.count - 1 >= nodes.count / 2 + 1 || random.chance(0.15)
    }

    /// Splits the nodes in two: the victim (the leader half the time) with up to a minority of others on
    /// one side, the rest on the other; both ways, or one way only. Sometimes clients are stranded with the
    /// smaller side.
    private func partition() {
        guard nodes.count > 1 else { return }
        let isolated = victim() ?? 0
        var side = [isolated]
        let others = nodes.indices.filter { $0 != isolated }
        let companions = Int(random.below(UInt64((nodes.count - 1) / 2 + 1)))
        for other in others where side.count <= companions && random.chance(0.5) { side.append(other) }
        let oneWay = random.chance(0.3)
        for inside in side {
            for outside in nodes.indices where !side.contains(outside) {
                network.block(inside, outside)
                if !oneWay { network.block(outside, inside) }
            }
        }
        if random.chance(0.3) {
            for client in clients where random.chance(0.5) {
                for node in nodes.indices where !side.contains(node) { network.block(client.endpoint, node) }
            }
        }
        let names = side.map { "n\(nodes[$0].id)" }.joined(separator: ",")
        note("\(names) cut off from the rest\(oneWay ? " one way (their sends are lost)" : "")")
        schedule(.fault(.healPartition), after: random.between(200_000...3_000_000))
    }

    private func lossy() {
        network.lossRate = random.unit() * 0.2
        network.duplicationRate = random.unit() * 0.1
        note("loss \(network.lossRate), duplication \(network.duplicationRate)")
        schedule(.fault(.restoreLinks), after: random.between(300_000...3_000_000))
    }

    private func clog() {
        guard let node = victim() else { return }
        network.clogged[node] = random.between(20_000...300_000)
        note("n\(nodes[node].id)'s links crawl")
        schedule(.fault(.unclog(node)), after: random.between(300_000...2_000_000))
    }

    private func crashSomeNode() {
        guard let node = victim(), mayTakeDown() else { return }
        crash(node)
        schedule(.fault(.restart(node)), after: random.between(options.downtime))
    }

    private func pauseSomeNode() {
        guard let node = victim() else { return }
        pause(node)
        schedule(.fault(.resume(node)), after: random.between(100_000...4_000_000))
    }

    private func diskFault() {
        guard let node = victim() else { return }
        let roll = random.unit()
        if roll < 0.6 {
            nodes[node].disk.latencyMean = Double(random.between(5_000...60_000))
            note("n\(nodes[node].id)'s disk turns slow")
            schedule(.fault(.normalDisk(node)), after: random.between(300_000...2_000_000))
        } else if roll < 0.9 {
            nodes[node].disk.failNextSync()
            note("n\(nodes[node].id)'s next fsync will fail")
        } else if lostNodeCount < (nodes.count - 1) / 2, mayTakeDown(),
            !nodes[node].disk.hasPendingWrites
        {
            // Only a disk whose every write completed: a bit flipped in a torn, never-acknowledged tail is
            // rightly discarded by recovery rather than reported.
            crash(node)
            if let bit = nodes[node].disk.corrupt() {
                nodes[node].corrupted = true
                note("n\(nodes[node].id)'s disk is corrupted: \(bit)")
            }
            schedule(.fault(.restart(node)), after: random.between(20_000...500_000))
        }
    }

    private func clockFault() {
        guard let node = victim() else { return }
        // The entry-time checker needs the highest reading before a clock steps back.
        noteWallHighWater()
        let drift = (random.unit() * 2 - 1) * Self.driftBound
        nodes[node].clock.setRate(1 + drift, at: now)
        let honest = nodes[node].clock.wallSkewMilliseconds.magnitude <= Self.honestSkewMilliseconds
        if random.chance(0.1) && honest && mayJumpClock(node) {
            // A bad time source sets the wall clock a day ahead (issue 18, finding 5), until someone notices.
            let skew = nodes[node].clock.wallSkewMilliseconds
            nodes[node].clock.wallSkewMilliseconds = skew + 86_400_000
            nodes[node].clockAheadUntil = .max
            schedule(.fault(.clockBack(node, skew)), after: random.between(300_000...3_000_000))
            note("n\(nodes[node].id)'s wall clock jumps a day ahead")
        } else if random.chance(0.3) && honest {
            // The wall clock steps (an NTP correction), within ±5 s of true time: only entry stamps see it.
            let step = Int64(random.between(0...4_000)) - 2_000
            nodes[node].clock.wallSkewMilliseconds = min(
                max(nodes[node].clock.wallSkewMilliseconds + step, -5_000), 5_000)
        }
        note("n\(nodes[node].id)'s clock drifts \(drift)")
    }

    /// Whether `node`'s wall clock may jump a day ahead: only while the jumped clocks, counting the ones peers
    /// may still hold a recent reading of, stay fewer than the clocks it takes to corroborate a stamp (this
    /// node's and another's, and a quorum of voters; `Node.wallIsCorroborated`). A quorum of voters whose
    /// clocks agree on the same wrong time is beyond what any node can detect (docs/leases.md, "Clocks").
    private func mayJumpClock(_ node: Int) -> Bool {
        let ahead = nodes.filter { $0.index != node && now < $0.clockAheadUntil }.count
        return ahead + 1 < max(2, nodes.count / 2 + 1)
    }

    private func clientFault() {
        let client = random.pick(clients)
        if random.chance(0.5) {
            for node in nodes.indices {
                network.block(client.endpoint, node)
                network.block(node, client.endpoint)
            }
            note("\(client.owner) is cut off from the cluster")
            schedule(.fault(.rejoinClient(client.index)), after: random.between(200_000...4_000_000))
        } else if options.clientPauses {
            client.pausedUntil = max(client.pausedUntil, now + random.between(200_000...UInt64(client.ttl) * 1_500))
            note("\(client.owner) pauses")
        }
    }

    private func unblock(endpoint: Int) {
        // Partitions are rebuilt without this endpoint: simplest is to heal all and let the schedule cut again.
        network.healPartitions()
        note("endpoint \(endpoint) rejoins")
    }

    /// The fault phase is over: everything heals, crashed nodes restart, and clients finish their work.
    func beginLivenessPhase() {
        inLivenessPhase = true
        network.healAll()
        for index in nodes.indices {
            nodes[index].disk.latencyMean = options.diskLatencyMean
            switch nodes[index].state {
            case .paused: resume(index)
            case .down: startNode(index)
            case .up, .dead: break
            }
        }
        for client in clients {
            // A paused client resumes when its pause ends, not now: what reached it meanwhile waits until then,
            // in order, and must not be overtaken by what arrives after (a connection keeps its order).
            client.draining = true
            client.after(milliseconds: 1) { $0.think() }
        }
        note("faults stop; liveness phase")
    }
}

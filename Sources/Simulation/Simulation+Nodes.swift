import LockTable
import Node
import PadlockTypes
import Raft
import Storage

/// The node configuration of one run, drawn from its seed: Raft's batching and window sizes, snapshot
/// frequency and lock-delay vary from run to run so that different seeds exercise different paths.
struct NodeSettings {
    var maxEntriesPerAppend: Int
    var maxInflightMessages: Int
    var snapshotEntryThreshold: UInt64
    var lockDelayMilliseconds: UInt64
    var bug: InjectedBug?

    init(random: inout SimRandom, bug: InjectedBug?) {
        maxEntriesPerAppend = random.chance(0.3) ? 1 : Int(random.between(2...64))
        maxInflightMessages = Int(random.between(1...32))
        snapshotEntryThreshold = random.between(40...400)
        lockDelayMilliseconds = random.pick([0, 100, 500, 1_000])
        self.bug = bug
        if bug == .commitPreviousTermByCounting { maxEntriesPerAppend = 1 }
    }

    func configuration(for id: NodeID, voters: [NodeID]) -> NodeConfiguration {
        var raft = Config(id: id, electionTicks: 10, heartbeatTicks: 2)
        raft.maxEntriesPerAppend = maxEntriesPerAppend
        raft.maxInflightMessages = maxInflightMessages
        var table = LockTableConfiguration(waitersPerKeyMax: 16, lockDelayMillisecondsDefault: lockDelayMilliseconds)
        var addresses: [NodeID: MemberAddresses] = [:]
        for voter in voters {
            addresses[voter] = MemberAddresses(
                peer: "sim-node-\(voter.rawValue):7501", client: "10.0.0.\(voter.rawValue):\(ClientHost.clientPort)")
        }
        switch bug {
        case .commitPreviousTermByCounting?: raft.injectedBugs.commitsPreviousTermByCounting = true
        case .grantWithoutConflictCheck?: table.injectedBugs.ignoresOverlappingHolders = true
        case .skipDeduplication?: table.injectedBugs.skipsDeduplication = true
        case .ignoreHolds?: table.injectedBugs.ignoresHolds = true
        default: break
        }
        var configuration = NodeConfiguration(
            id: id, initialMembers: addresses, bootstrapVoters: voters, tickMilliseconds: 10, raft: raft,
            lockTable: table, checkpointIntervalMilliseconds: 500, snapshotEntryThreshold: snapshotEntryThreshold)
        configuration.injectedBugs.acknowledgesBeforeFsync = bug == .acknowledgeBeforeFsync
        configuration.injectedBugs.expiresSessionsEarly = bug == .expireSessionEarly
        configuration.injectedBugs.trustsWallClock = bug == .trustWallClock
        configuration.injectedBugs.identityCheckDisabled = bug == .identityCheckDisabled
        configuration.injectedBugs.notifiesLossesOnProposal = bug == .lossNoticeOnProposal
        return configuration
    }
}

extension Simulation {
    var voterIDs: [NodeID] { nodes.map(\.id) }

    /// Starts (or restarts) a node from what its disk holds. A disk whose durable data was corrupted must be
    /// refused by recovery; a node that starts on one anyway is a violation.
    func startNode(_ index: Int) {
        let node = nodes[index]
        node.disk.latencyMean = max(node.disk.latencyMean, options.diskLatencyMean)
        guard node.state == .down else { return }
        if node.incarnation > 0 {
            do {
                try node.disk.restart()
            } catch {
                if node.corrupted {
                    note("n\(node.id) refuses to start on its corrupted disk: \(error)")
                } else {
                    violation("n\(node.id) cannot recover a disk that was never corrupted: \(error)")
                }
                node.state = .dead
                return
            }
        }
        if node.corrupted {
            violation("n\(node.id) started on a corrupted disk without noticing")
            node.state = .dead
            return
        }
        node.incarnation += 1
        var configuration = nodeSettings.configuration(for: node.id, voters: voterIDs)
        configuration.incarnation = node.directoryIncarnation
        let host = SimHost(simulation: self, index: index, incarnation: node.incarnation)
        do {
            let restored = try NodeRestore.load(from: node.disk.store, configuration: configuration)
            let live = try Node(
                configuration: configuration, environment: host, restored: restored, seed: node.random.next())
            live.observer = observer
            node.node = live
            node.host = host
            node.state = .up
            node.stoppedByFailure = nil
            note("n\(node.id) starts (incarnation \(node.incarnation))")
            scheduleTick(index)
        } catch {
            violation("n\(node.id) cannot start from its recovered disk: \(error)")
            node.state = .dead
        }
    }

    func scheduleTick(_ index: Int) {
        let node = nodes[index]
        let local = node.clock.localMicroseconds(at: now) + 10_000
        schedule(
            .tick(node: index, incarnation: node.incarnation), at: node.clock.trueTime(atLocal: local, notBefore: now))
    }

    func nodeTick(_ index: Int, _ incarnation: Int) {
        let node = nodes[index]
        guard incarnation == node.incarnation else { return }
        switch node.state {
        case .up:
            node.node?.tick()
            scheduleTick(index)
        case .paused:
            // A stopped process's timers do not fire; the loop ticks again after it resumes.
            break
        case .down, .dead:
            break
        }
    }

    /// Crashes a node: its process and connections die, queued writes are lost or torn.
    func crash(_ index: Int) {
        let node = nodes[index]
        guard node.state == .up || node.state == .paused else { return }
        let torn = node.disk.crash()
        node.node = nil
        node.host = nil
        node.deferred = []
        node.assemblers = [:]
        node.state = .down
        note("n\(node.id) crashes\(torn.isEmpty ? "" : "; disk: \(torn)")")
        resetConnections(to: index)
    }

    func pause(_ index: Int) {
        guard nodes[index].state == .up else { return }
        nodes[index].state = .paused
        note("n\(nodes[index].id) paused")
    }

    func resume(_ index: Int) {
        let node = nodes[index]
        guard node.state == .paused else { return }
        node.state = .up
        note("n\(node.id) resumes")
        let backlog = node.deferred
        node.deferred = []
        for event in backlog { schedule(event, after: 0) }
        scheduleTick(index)
    }

    func submitDiskWrite(
        node index: Int, incarnation: Int, _ write: DiskWrite, completion: @escaping (Result<Void, any Error>) -> Void
    ) {
        let done = nodes[index].disk.submit(write, now: now, completion: completion)
        schedule(.diskDone(node: index, incarnation: incarnation), at: done)
    }

    func diskDone(_ index: Int, _ incarnation: Int, _ event: SimEvent) {
        let node = nodes[index]
        guard incarnation == node.incarnation else { return }
        switch node.state {
        case .up: node.disk.completeOldest()
        case .paused: node.deferred.append(event)
        case .down, .dead: break
        }
    }

    /// The node stopped itself (a failed sync): it is down until the schedule restarts it.
    func nodeStopped(_ index: Int, _ failure: NodeFailure) {
        let node = nodes[index]
        note("n\(node.id) stops: \(failure)")
        node.stoppedByFailure = failure
        schedule(.fault(.crashStopped(index)), after: 0)
    }
}

import Node
import Raft

// The operator's mistakes with data directories (issue 18): a directory wiped and the node bootstrapped
// again with a new incarnation, and a node restarted from an old copy of its directory. Both lose log
// entries the node had acknowledged; the cluster must refuse the node instead of counting its votes and
// acknowledgements. At most a minority of nodes, counting corrupted and dead ones, ever loses data in a run.

extension Simulation {
    /// Nodes that refuse to start, or whose data was wiped or restored: they may never serve again.
    var lostNodeCount: Int { nodes.filter { $0.state == .dead || $0.corrupted || $0.lostData }.count }

    /// Whether every node is up and has applied `index`'s current incarnation as the cluster's record: the
    /// state in which a lost directory must be refused. (Before the record is applied everywhere — the first
    /// moments of a cluster, or a node that was down since — the check cannot protect it; docs/operations.md.)
    func isRecordedEverywhere(_ index: Int) -> Bool {
        let expected = MemberIncarnation(value: nodes[index].directoryIncarnation)
        return nodes.allSatisfy { node in
            node.state == .up && node.node?.membership.incarnations[nodes[index].id] == expected
        }
    }

    /// Whether one more node may lose its data in this run.
    private var mayLoseData: Bool {
        nodes.count >= 3 && !nodes.contains(where: \.lostData) && lostNodeCount < (nodes.count - 1) / 2
    }

    /// Stops a follower, so that what the leader and the other follower acknowledge next is on them only.
    func startWipeSequence() {
        // A run that took a backup keeps its one data loss for the restore.
        guard nodes.count == 3, mayLoseData, nodes.allSatisfy({ $0.backup == nil }), let leader = leaderIndex
        else { return }
        let followers = nodes.indices.filter { $0 != leader }
        guard followers.allSatisfy(isRecordedEverywhere), isRecordedEverywhere(leader) else { return }
        let stopped = random.pick(followers)
        let wiped = followers.first { $0 != stopped } ?? stopped
        crash(stopped)
        note(
            "wipe sequence: n\(nodes[stopped].id) stops; n\(nodes[leader].id) and n\(nodes[wiped].id) go on acknowledging"
        )
        schedule(
            .fault(.wipeAfterAcknowledgements(leader: leader, stopped: stopped, wiped: wiped)),
            after: random.between(300_000...900_000))
    }

    /// The leader stops and the follower that acknowledged with it loses its directory; both followers start,
    /// the wiped one on an empty directory with a new incarnation (a forced bootstrap). The leader comes back
    /// later, and must find every acknowledged entry still there.
    func wipeAfterAcknowledgements(leader: Int, stopped: Int, wiped: Int) {
        guard nodes[wiped].state == .up || nodes[wiped].state == .paused, !nodes[wiped].lostData else { return }
        crash(leader)
        crash(wiped)
        let node = nodes[wiped]
        node.disk.replace(with: node.disk.store.emptyTwin(generator: node.random.fork()))
        node.directoryIncarnation = node.random.next() | 1
        node.lostData = true
        note("n\(node.id)'s data directory is wiped; it will bootstrap again with a new incarnation")
        schedule(.fault(.restart(stopped)), after: random.between(20_000...200_000))
        schedule(.fault(.restart(wiped)), after: random.between(20_000...200_000))
        schedule(.fault(.restart(leader)), after: random.between(1_000_000...2_500_000))
    }

    /// Takes a backup of a node's directory, or, once one exists and the cluster is otherwise healthy,
    /// restarts that node from it. No other fault is drawn for two seconds after a restore, so the leader's
    /// check runs with the leadership that knew what the node acknowledged (the limit docs/operations.md names).
    func backupOrRestore() {
        guard mayLoseData else { return }
        guard let index = nodes.indices.first(where: { nodes[$0].backup != nil }) else {
            guard let victim = victim(), nodes[victim].state == .up else { return }
            let node = nodes[victim]
            node.backup = node.disk.store.visibleCopy(generator: node.random.fork())
            note("n\(node.id)'s data directory is copied")
            return
        }
        let healthy =
            nodes.allSatisfy { $0.state == .up } && !network.hasPartitions && network.lossRate == 0
            && network.clogged.isEmpty
        guard healthy, let leader = leaderIndex, leader != index, let backup = nodes[index].backup else { return }
        crash(index)
        nodes[index].disk.replace(with: backup)
        nodes[index].backup = nil
        nodes[index].lostData = true
        quietUntil = now + 2_000_000
        note("n\(nodes[index].id) is restored from its old copy")
        schedule(.fault(.restart(index)), after: random.between(20_000...100_000))
    }
}

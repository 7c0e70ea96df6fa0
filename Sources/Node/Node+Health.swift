import PadlockTypes
import Raft
import Wire

// Whether the cluster can commit, as the leader sees it (`padlock status`, `/health`): a quorum of voters —
// the leader itself, and followers that answered recently, are not refused for their identity and are not
// stuck — must exist for a write to commit. A follower is stuck when its match has stayed behind the leader's
// log, without moving, for `stuckAfterMilliseconds` while it kept answering.

/// The leader's record of when each follower's match last moved.
struct FollowerWatch {
    var match: LogIndex
    var since: UInt64
}

extension Node {
    /// A follower whose match has not moved for this long while behind and answering counts as stuck.
    static var stuckAfterMilliseconds: UInt64 { 5_000 }

    /// Notes, on each tick of a ready leader, when each follower's match last moved.
    func watchFollowers() {
        let now = environment.monotonicMilliseconds
        var watched: [NodeID: FollowerWatch] = [:]
        for (peer, progress) in raft.status.progress where peer != id {
            if let previous = identity.followers[peer], previous.match == progress.match {
                watched[peer] = previous
            } else {
                watched[peer] = FollowerWatch(match: progress.match, since: now)
            }
        }
        identity.followers = watched
    }

    /// Whether the cluster can commit, and the sentences saying what is wrong. Only the leader can tell
    /// whether a quorum is caught up; a follower that knows a leader reports true, a node that knows none
    /// false (nothing commits without a leader), each with the members it refuses.
    func clusterHealth(reachable: (NodeID) -> Bool) -> (canCommit: Bool, problems: [String]) {
        guard raft.role == .leader else {
            let refusals = refusedPeers.prefix(WireLimits.clusterMembersMax).map { Self.clipped("\($0)") }
            return (raft.leader != nil, Array(refusals))
        }
        let status = raft.status
        let now = environment.monotonicMilliseconds
        var problems: [String] = []
        for lost in status.lostAcknowledgements { problems.append("data loss found on node \(lost.node): \(lost)") }
        let refused = Dictionary(uniqueKeysWithValues: refusedPeers.map { ($0.node, $0) })
        for refusal in refused.values.sorted(by: { $0.node < $1.node }) { problems.append("\(refusal)") }
        var healthyVoters = 0
        for voter in status.configuration.voters {
            if voter == id {
                healthyVoters += 1
                continue
            }
            guard refused[voter] == nil else { continue }
            guard reachable(voter) else {
                problems.append("node \(voter) does not answer")
                continue
            }
            let progress = status.progress.first { $0.0 == voter }?.1
            if let progress, progress.match < status.lastIndex, let watch = identity.followers[voter],
                watch.match == progress.match, now &- watch.since >= Self.stuckAfterMilliseconds
            {
                problems.append(
                    "node \(voter) is stuck at index \(progress.match) (the leader's log ends at \(status.lastIndex)) "
                        + "for \((now &- watch.since) / 1_000) s")
                continue
            }
            healthyVoters += 1
        }
        let quorum = status.configuration.quorum
        let canCommit = healthyVoters >= quorum
        if !canCommit {
            problems.insert(
                "the cluster cannot commit: \(healthyVoters) of \(status.configuration.voters.count) voters are "
                    + "reachable, accepted and caught up; \(quorum) are needed", at: 0)
        }
        return (canCommit, Array(problems.prefix(WireLimits.clusterMembersMax).map(Self.clipped)))
    }

    private static func clipped(_ text: String) -> String {
        var result = text
        while result.utf8.count > WireLimits.messageByteCountMax { result.removeLast() }
        return result
    }
}

import PadlockTypes
import Raft

/// Checks Raft's safety properties (Figure 3 of the paper) over a `TestCluster` after every step.
struct InvariantChecker {
    /// The leader seen for each term (election safety).
    private var leaderOfTerm: [Term: NodeID] = [:]
    /// Every entry any node has reported committed, and the lowest term in which that was seen.
    private var committed: [LogIndex: (entry: Entry, observedTerm: Term)] = [:]

    /// Returns a description of the first violated property, or nil.
    mutating func check(_ cluster: TestCluster) -> String? {
        var logs: [NodeID: [Entry]] = [:]
        for id in cluster.ids {
            let node = cluster.nodes[id]!
            logs[id] = node.entries(from: .zero, through: node.lastIndex)
        }
        return checkElectionSafety(cluster) ?? checkCommitted(cluster, logs) ?? checkLogMatching(cluster, logs)
            ?? checkLeaderCompleteness(cluster, logs) ?? checkApplied(cluster)
    }

    /// "At most one leader can be elected in a given term."
    private mutating func checkElectionSafety(_ cluster: TestCluster) -> String? {
        for id in cluster.leaders {
            let term = cluster.nodes[id]!.term
            if let other = leaderOfTerm[term], other != id { return "two leaders in term \(term): \(other) and \(id)" }
            leaderOfTerm[term] = id
        }
        return nil
    }

    /// Committed entries never change: every node's committed prefix agrees with what was committed before.
    private mutating func checkCommitted(_ cluster: TestCluster, _ logs: [NodeID: [Entry]]) -> String? {
        for id in cluster.ids {
            let node = cluster.nodes[id]!
            for entry in logs[id]! where entry.index <= node.committedIndex {
                if let known = committed[entry.index] {
                    if known.entry != entry {
                        return "node \(id) committed \(entry) where \(known.entry) was committed"
                    }
                } else {
                    committed[entry.index] = (entry, node.term)
                }
            }
        }
        return nil
    }

    /// "If two logs contain an entry with the same index and term, the logs are identical up to that index."
    private func checkLogMatching(_ cluster: TestCluster, _ logs: [NodeID: [Entry]]) -> String? {
        let ids = cluster.ids
        for (position, a) in ids.enumerated() {
            for b in ids[(position + 1)...] {
                if let problem = compare(a, logs[a]!, b, logs[b]!) { return problem }
            }
        }
        return nil
    }

    private func compare(_ a: NodeID, _ logA: [Entry], _ b: NodeID, _ logB: [Entry]) -> String? {
        guard let firstA = logA.first, let firstB = logB.first else { return nil }
        let low = max(firstA.index, firstB.index)
        let high = min(logA.last!.index, logB.last!.index)
        guard low <= high else { return nil }
        var matched = false
        var index = high
        while index >= low {
            let entryA = logA[index - firstA.index]
            let entryB = logB[index - firstB.index]
            if matched && entryA != entryB {
                return "log matching broken at \(index): \(a) has \(entryA), \(b) has \(entryB)"
            }
            if entryA.term == entryB.term {
                if entryA != entryB { return "same index and term, different entries at \(index) on \(a) and \(b)" }
                matched = true
            }
            if index == .zero { break }
            index = index.previous
        }
        return nil
    }

    /// "If a log entry is committed in a given term, that entry will be present in the logs of the
    /// leaders for all higher-numbered terms."
    private func checkLeaderCompleteness(_ cluster: TestCluster, _ logs: [NodeID: [Entry]]) -> String? {
        for id in cluster.leaders {
            let node = cluster.nodes[id]!
            for (index, known) in committed where node.term >= known.observedTerm && index > node.snapshotIndex {
                if node.term(at: index) != known.entry.term {
                    return "leader \(id) of term \(node.term) lacks committed entry \(known.entry)"
                }
            }
        }
        return nil
    }

    /// State machine safety: every node applies the same entry at each index.
    private func checkApplied(_ cluster: TestCluster) -> String? {
        for id in cluster.ids {
            for entry in cluster.applied[id]! {
                guard let known = committed[entry.index] else { return "node \(id) applied uncommitted \(entry)" }
                if known.entry != entry { return "node \(id) applied \(entry) where \(known.entry) was committed" }
            }
        }
        return nil
    }

    /// The number of distinct committed entries seen.
    var committedCount: Int { committed.count }
}

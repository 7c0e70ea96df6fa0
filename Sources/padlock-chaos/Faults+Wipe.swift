import Foundation
import PadlockClient
import PadlockTypes

#if canImport(Glibc)
    import Glibc
#endif

// The `wipe` fault (issue 18): a follower's data directory is deleted and the node started again the way a
// hurried operator would, with --bootstrap. The cluster must refuse it (its incarnation is not the one the
// cluster recorded) while the other two keep serving; then the harness follows the runbook of
// docs/operations.md so the run can go on: remove the node, start it on an empty directory with --join, add
// it as a learner, and promote it once it has caught up.

extension FaultInjector {
    func wipe(_ node: Int, hold: Duration) async -> String {
        record("fault", .wipe, "node \(node)'s data directory deleted; restarted with --bootstrap for \(hold)")
        cluster.kill9(node)
        if let problem = cluster.emptyDataDirectory(node) { note("wipe: \(problem)") }
        try? cluster.startNode(node, bootstrap: true)
        let refusedLine = "refused node \(node): its incarnation"
        let deadline = ContinuousClock.now + hold
        var refused: [Int] = []
        while ContinuousClock.now < deadline {
            refused = ChaosCluster.nodes.filter { $0 != node && cluster.log(of: $0).contains(refusedLine) }
            await pause(.milliseconds(100))
        }
        var detail =
            "node \(node) wiped and bootstrapped again: refused by node(s) \(refused.map(String.init).joined(separator: ","))"
        if refused.isEmpty { note("wipe: no node logged a refusal of node \(node) within \(hold)") }
        detail += "; " + (await readd(node))
        return detail
    }

    /// The runbook: remove, start empty with --join, add as a learner, promote once caught up.
    private func readd(_ node: Int) async -> String {
        guard let admin = cluster.adminClient else { return "no admin client: node \(node) left out" }
        let id = NodeID(UInt64(node))
        guard await retry("remove", { _ = try await admin.removeMember(id) }) else {
            note("wipe: node \(node) could not be removed")
            return "remove failed"
        }
        cluster.kill9(node)
        if let problem = cluster.emptyDataDirectory(node) { note("wipe: \(problem)") }
        try? cluster.startNode(node, join: true)
        let added = await retry("add") {
            let members = try await admin.members()
            if members.contains(where: { $0.node == id }) { return }
            _ = try await admin.addMember(
                node: id, peerAddress: "127.0.0.1:\(cluster.peerPort(node))",
                clientAddress: cluster.clientProxies[node]!.address)
        }
        var promoted = false
        if added { promoted = await retry("promote") { _ = try await admin.promoteMember(id) } }
        if !promoted { note("wipe: node \(node) was not added back and promoted") }
        return promoted ? "removed, added back empty with --join and promoted" : "re-adding failed"
    }

    /// Runs `body` until it succeeds, for up to 20 s.
    private func retry(_ what: String, _ body: () async throws -> Void) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            do {
                try await body()
                return true
            } catch {
                await pause(.milliseconds(300))
            }
        }
        return false
    }
}

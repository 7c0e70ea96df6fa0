import FaultProxy
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension FaultInjector {
    /// SIGKILL every node at once (no node left to remember anything but its disk), start them all again after
    /// `hold`, wait for a leader, and survey every key (``survey()``): checker 3 then asks that every grant and
    /// release acknowledged before the kill survived it.
    func killAll(hold: Duration) async -> String {
        record("fault", .killAll, "SIGKILL every node at once, restart them all after \(hold)")
        // Every SIGKILL sent before waiting for any process to end, so no node outlives another by more than
        // the kernel's delivery.
        for node in ChaosCluster.nodes { cluster.signal(node, SIGKILL) }
        for node in ChaosCluster.nodes { cluster.kill9(node) }
        await pause(hold)
        var started: [String] = []
        for node in ChaosCluster.nodes {
            do {
                try cluster.startNode(node)
                started.append("\(node)")
            } catch {
                note("kill-all: node \(node) did not start again: \(error)")
            }
        }
        let leader = await cluster.waitForLeader(seconds: 20)
        let surveyed = await survey()
        return "SIGKILL nodes 1, 2, 3 at once; restarted \(started.joined(separator: ", ")) after \(hold); "
            + (leader.map { "node \($0) leads; " } ?? "no leader within 20 s; ")
            + "\(surveyed) keys surveyed"
    }

    /// Inspects every record, field and sentinel key through the harness's direct client and records each
    /// answer as a `survey` line (process `survey`), for the kill-all part of checker 3.
    func survey() async -> Int {
        guard let client = cluster.adminClient else { return 0 }
        var keys: [String] = []
        for record in 1...max(1, recordCount) {
            keys += ["acme/contacts/\(record)", "acme/contacts/\(record)/phone", "acme/contacts/\(record)/email"]
        }
        keys += (1...3).map { "acme/sentinel/\($0)" }
        var answered = 0
        for key in keys {
            op += 1
            var event = HistoryEvent(process: "survey", type: "invoke", f: "survey", op: op, key: key)
            history.record(event)
            do {
                let inspection = try await client.inspect(key)
                event.type = "ok"
                event.holders = inspection.holders.filter { $0.key.string == key }.map {
                    HistoryEvent.HolderEntry(
                        session: $0.holder.session.rawValue, fence: $0.holder.fence.rawValue, mode: "\($0.holder.mode)")
                }
                answered += 1
            } catch {
                event.type = "fail"
                event.error = "\(error)"
            }
            history.record(event)
        }
        return answered
    }

    /// Slows links with the proxies' latency fault, one direction more than the other, by variant: what the
    /// target sends to its peers; what its peers send to it; the two other nodes' links to each other, both
    /// ways but unequally; the clients' requests to the target. Returns what was done.
    func slowLinks(_ fault: PlannedFault, target: Int, others: [Int]) async -> String {
        let peers = cluster.peerProxies
        let slow = ProxyLatency(minimum: .milliseconds(40 + Int64(fault.variant % 4) * 20), jitter: .milliseconds(60))
        let slight = ProxyLatency(minimum: .milliseconds(2), jitter: .milliseconds(8))
        switch fault.variant % 4 {
        case 0:
            // Proxy i→j carries node i's connection to node j: toUpstream is what i sends, toClient j's answers.
            for other in others {
                await peers[target]![other]!.setFault(.latency(toUpstream: slow, toClient: slight))
                await peers[other]![target]!.setFault(.latency(toUpstream: slight, toClient: slow))
            }
            return "node \(target) → peers slowed to \(slow), peers → node \(target) \(slight)"
        case 1:
            for other in others {
                await peers[target]![other]!.setFault(.latency(toUpstream: slight, toClient: slow))
                await peers[other]![target]!.setFault(.latency(toUpstream: slow, toClient: slight))
            }
            return "peers → node \(target) slowed to \(slow), node \(target) → peers \(slight)"
        case 2:
            await peers[others[0]]![others[1]]!.setFault(.latency(toUpstream: slow, toClient: slight))
            await peers[others[1]]![others[0]]!.setFault(.latency(toUpstream: slight, toClient: slow))
            return "node \(others[0]) → node \(others[1]) slowed to \(slow), the other way \(slight)"
        default:
            await cluster.clientProxies[target]!.setFault(.latency(toUpstream: slow, toClient: slight))
            return "clients → node \(target) slowed to \(slow), its answers \(slight)"
        }
    }
}

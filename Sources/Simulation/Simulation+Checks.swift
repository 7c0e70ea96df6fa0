import LockHistory
import LockTable
import Node
import PadlockClient
import PadlockTypes
import Raft

/// Watches every node through the node's observer hook and checks the cluster-wide invariants as entries are
/// applied and roles change.
final class SimObserver: NodeObserver {
    weak var simulation: Simulation?
    /// Every committed entry as first seen applied: term and a hash of its kind and data.
    var committed: [LogIndex: (term: Term, hash: UInt64)] = [:]
    /// The table's snapshot hash at sampled applied indexes.
    var stateHashes: [LogIndex: UInt64] = [:]
    /// The leader of each term.
    var leaders: [Term: NodeID] = [:]
    /// Sessions whose expiry was applied somewhere already.
    var expired: Set<SessionID> = []
    /// The term of every entry any node has counted as committed, as first seen.
    var committedTerms: [LogIndex: Term] = [:]
    /// Per node (by position), the commit index up to which its log was compared with `committedTerms`.
    var commitChecked: [Int: LogIndex] = [:]
    /// Holders and losses by committed index, for checking the events nodes send.
    var eventHistory = EventHistory()
    /// The holds in place and the queued requests' roles, for checking every grant against the holds.
    var holdChecker = HoldChecker()

    /// Raft's commit safety, checked at commit time rather than at apply time: whatever a node counts as
    /// committed must be the entry every other node counted at that index, whether or not anyone applied it
    /// yet. (A node's commit index is volatile: after a restart it relearns it, and is compared again.)
    func checkCommitted(_ position: Int, _ node: Node<SimHost>) {
        let commit = node.committedIndex
        var index = min(commitChecked[position] ?? .zero, commit).next
        while index <= commit {
            if let term = node.logTerm(at: index) {
                if let known = committedTerms[index], known != term {
                    simulation?.violation(
                        "n\(node.id) counts entry \(index) of term \(term) as committed, but another node counted "
                            + "term \(known)'s entry at that index as committed: two different committed entries")
                } else {
                    committedTerms[index] = term
                }
            }
            index = index.next
        }
        commitChecked[position] = commit
    }

    func node(_ node: NodeID, applied entry: Entry, result: LockTable.Applied?, table: LockTable) {
        guard let simulation else { return }
        var hash = TraceHash()
        hash.addByte(entry.kind.rawValue)
        hash.add(bytes: entry.data)
        let isFirst = committed[entry.index] == nil
        if let known = committed[entry.index] {
            if known.term != entry.term || known.hash != hash.value {
                simulation.violation(
                    "n\(node) applied entry \(entry.index) of term \(entry.term), but term \(known.term)'s entry "
                        + "was applied at that index before: two different committed entries")
            }
        } else {
            committed[entry.index] = (entry.term, hash.value)
            firstApplied(entry, result: result, table: table)
        }
        if entry.index.rawValue % 16 == 0 { compareState(node, at: entry.index, table) }
        if result != nil { simulation.checkStampBound(table.lastTime, node: node, index: entry.index) }
        if case .sessionExpiredNow(let session)? = result?.result, !expired.contains(session) {
            expired.insert(session)
            simulation.sessionExpired(session, on: node)
        }
        for event in result?.events ?? [] {
            // A force-unlock, takeover, revocation or hold placed with `endsHolders` takes a lock away on
            // purpose: its holder is no longer protected (the fenced store still is).
            guard case .lockReleased(let key, let previous, .lost(let loss)) = event, loss != .expired else { continue }
            simulation.forciblyReleased.insert(
                ForcedRelease(session: previous.session, key: key, fence: previous.fence))
            if isFirst, case .placeHold? = entry.command {
                simulation.history.endedByHold(
                    session: previous.session, key: key, fence: previous.fence, at: simulation.now)
            }
        }
    }

    /// An entry applied for the first time anywhere: recorded for the events and checked by the holds checker.
    private func firstApplied(_ entry: Entry, result: LockTable.Applied?, table: LockTable) {
        guard let result else {
            // A no-op or a membership entry changes no lock, but states are read at its index too.
            eventHistory.noteApplied(index: entry.index.rawValue)
            return
        }
        let command = entry.command
        eventHistory.record(index: entry.index.rawValue, command: command, result: result, table: table)
        for problem in holdChecker.check(index: entry.index.rawValue, command: command, applied: result, table: table) {
            simulation?.violation(problem)
        }
    }

    func node(_ node: NodeID, installedSnapshotAt index: LogIndex, table: LockTable) {
        compareState(node, at: index, table)
    }

    func node(_ node: NodeID, becameRole role: RaftNode.Role, term: Term) {
        guard let simulation, role == .leader else { return }
        simulation.note("n\(node) leads term \(term)")
        if let other = leaders[term], other != node {
            simulation.violation("two leaders in term \(term): n\(other) and n\(node)")
        }
        leaders[term] = node
    }

    private func compareState(_ node: NodeID, at index: LogIndex, _ table: LockTable) {
        let hash = TraceHash.of(table.snapshot())
        if let known = stateHashes[index] {
            if known != hash {
                simulation?.violation(
                    "n\(node)'s lock table at index \(index) differs from another node's at that index")
            }
        } else {
            stateHashes[index] = hash
        }
    }
}

extension Simulation {
    /// A client was just granted `lock`: no client may still believe it holds a conflicting lock of another
    /// session (its lease not lost on its own clock) unless an administrator took that lock away
    /// (guarantee 1 under bounded drift, and guarantee 2).
    func checkGrant(_ lock: Lock, to client: SimClient) {
        grantCount += 1
        let grant = lock.holder
        // A grant learned late (through resolve) may already have been taken away by an administrator.
        if forciblyReleased.contains(ForcedRelease(session: grant.session, key: lock.key, fence: grant.fence)) {
            return
        }
        for other in clients {
            for held in other.held where held.holder.session != grant.session && held.key.overlaps(lock.key) {
                // A lock being downgraded counts as shared: its holder stopped editing when it asked.
                let heldMode = other.downgrading.contains(ObjectIdentifier(held)) ? .shared : held.holder.mode
                if heldMode == .shared && grant.mode == .shared { continue }
                let state = held.state
                guard state == .safe || state == .atRisk else { continue }
                if forciblyReleased.contains(
                    ForcedRelease(session: held.holder.session, key: held.key, fence: held.fence))
                {
                    continue
                }
                violation(
                    "\(client.owner) was granted \(lock.key) (\(grant.mode), \(grant.fence)) while \(held.holder.owner) "
                        + "still holds \(held.key) (\(held.holder.mode), \(held.fence)) and believes it \(state) until "
                        + "\(Self.format(other.host.trueTime(of: held.believedUntil)))")
            }
        }
    }

    /// A session's expiry was applied for the first time: no client may still believe it alive.
    func sessionExpired(_ session: SessionID, on node: NodeID) {
        history.sessionExpired(.endSession(session: session), at: now)
        note("\(session) expires (first applied on n\(node))")
        for client in clients {
            guard let deadline = client.believedDeadline(of: session), now < deadline else { continue }
            violation(
                "\(session) of \(client.owner) expired at \(Self.format(now)) while its holder believes it alive until "
                    + "\(Self.format(deadline))")
        }
    }

    /// The checks that need the whole run: liveness, nothing acknowledged lost, linearizability, fencing.
    func finalChecks() {
        guard violations.isEmpty else { return }
        if !clients.allSatisfy(\.drained) {
            let stuck = clients.filter { !$0.drained }.map(\.owner)
            violation(
                "liveness: \(stuck.joined(separator: ", ")) still had work pending when the liveness phase ended; "
                    + describeState())
            return
        }
        if let problem = eventsUnsettled() {
            return violation(
                "events: after the final heal, \(problem) when the liveness phase ended; " + describeState())
        }
        checkNothingHeldAfterRelease()
        for problem in store.violations() { violation(problem) }
        let operations = history.operations(heldKeys: observer.holdChecker.keysEverHeld)
        if options.trace { for operation in operations { trace.append("history \(operation)") } }
        for problem in FenceOrderCheck().check(operations) { violation("fences: \(problem)") }
        let report = LinearizabilityChecker(maxSteps: 200_000).check(operations)
        for problem in report.violations { violation("linearizability: \(problem)") }
        inconclusiveGroups = report.groups.filter { $0.verdict == .inconclusive }.count
        checkedGroups = report.groups.count
    }

    /// Every client released everything it was granted before it drained; the leader's table must agree for
    /// the sessions the clients still use (an acknowledged release or close that was lost would show here).
    private func checkNothingHeldAfterRelease() {
        guard let leader = nodes.first(where: { $0.state == .up && $0.node?.isLeader == true })?.node else {
            violation("liveness: no leader at the end of the liveness phase")
            return
        }
        let table = leader.lockTable
        for client in clients {
            for session in client.driver.openSessions where client.believedDeadline(of: session) != nil {
                guard let info = table.session(session) else { continue }
                // Odd-numbered clients open as authenticated callers (clientRequestArrived): the replicated
                // session must name that client, and no other session may.
                let expected = client.index % 2 == 1 ? "sim-client-\(client.index)" : nil
                if info.client != expected {
                    violation(
                        "\(session) of \(client.owner) records client \(info.client ?? "none"), not \(expected ?? "none")"
                    )
                }
                let held = client.owners.flatMap { table.list(owner: $0, limit: 1_000).locks }
                if let first = held.first(where: { $0.holder.session == session }) {
                    violation(
                        "\(client.owner) released everything, but the leader's table still shows \(session) holding "
                            + "\(first.key) with \(first.holder.fence)")
                }
            }
        }
    }
}

extension Simulation {
    /// Every node's and stuck client's state in one line, for liveness reports.
    func describeState() -> String {
        var parts: [String] = []
        for node in nodes {
            if let live = node.node {
                parts.append(
                    "n\(node.id) \(node.state) \(live.role) term \(live.term) commit \(live.committedIndex) "
                        + "applied \(live.appliedIndex)")
            } else {
                parts.append("n\(node.id) \(node.state)")
            }
        }
        for client in clients where !client.drained {
            parts.append(
                "\(client.owner) busy \(client.busy) core idle \(client.driver.isIdle) sessions "
                    + "\(client.driver.openSessions.map(\.description).joined(separator: ","))")
        }
        return parts.joined(separator: "; ")
    }
}

/// A lock an administrator took away (force-unlock or revocation).
struct ForcedRelease: Hashable {
    var session: SessionID
    var key: LockKey
    var fence: FenceToken
}

extension Simulation {
    /// The clock checker: no entry time runs ahead of the highest reading of any honest wall clock (within
    /// ±5 s of true time; a clock a day ahead is not) by more than the jump allowance. The highest reading is
    /// carried forward at the fastest drift the simulation allows, because a clock that steps back does not
    /// take back what it read. Stamps never go back, so one that did would poison every later time. Entries
    /// are applied after they were stamped, so checking at apply time only loosens the bound by the commit
    /// delay.
    func checkStampBound(_ stamp: Timestamp, node: NodeID, index: LogIndex) {
        noteWallHighWater()
        let allowance = NodeConfiguration(id: node, bootstrapVoters: []).clockJumpAllowanceMilliseconds
        let bound = UInt64(wallHighWater.wall) + allowance
        guard stamp.rawValue > bound else { return }
        violation(
            "n\(node) applied entry \(index) stamped \(stamp.rawValue) ms, "
                + "\(stamp.rawValue - bound + allowance) ms ahead of the highest honest wall clock reading: "
                + "a clock jump poisoned entry times")
    }

    /// Moves the high-water mark of wall clock readings to now.
    func noteWallHighWater() {
        let elapsed = Double(now - wallHighWater.at) / 1_000
        let projected = wallHighWater.wall + elapsed * (1 + Self.driftBound)
        let honest = nodes.filter { $0.clock.wallSkewMilliseconds.magnitude <= Self.honestSkewMilliseconds }
        let current = honest.map { Double($0.clock.wallMilliseconds(at: now)) }.max() ?? 0
        wallHighWater = (max(projected, current), now)
    }
}

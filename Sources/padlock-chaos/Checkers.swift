import Foundation
import LockHistory
import PadlockTypes

/// Everything the checkers look at once the run is over.
struct RunRecord {
    var events: [HistoryEvent]
    var accepted: [RecordStore.AcceptedWrite]
    var counters: [String: [RecordStore.Part: Int]]
    var faults: [AppliedFault]
    /// When the workload stopped (recoveries after it are not judged).
    var workloadEndNs: UInt64
}

/// What each checker found.
struct CheckResults {
    var storeFenceOrder: [String] = []
    var staleHolderWrites: [String] = []
    var lostUpdates: [String] = []
    var durability: [String] = []
    var linearizability: [String] = []
    var recovery: [String] = []
    /// (6) Watched keys whose watch did not end equal to the cluster after the final heal (filled in by the
    /// orchestrator from ``ChaosWatcher/converge(deadline:)``).
    var watches: [String] = []
    /// Not violations: what fencing is documented to allow, inconclusive searches, …
    var notes: [String] = []
    var worstRecovery: [FaultKind: Double] = [:]
    /// The longest time without a successful acquire or release from a fault's injection to 2 s after its
    /// heal: what users felt while it lasted (not judged; DESIGN.md §11 aims at failover stalls ≤ 0.5 s).
    var longestStall: [FaultKind: Double] = [:]
    var operations: (ok: Int, fail: Int, info: Int) = (0, 0, 0)
    var acceptedEdits = 0
    /// Pauses of the pausing front ends that stopped and resumed (notes give their measured lengths).
    var pauses = 0
    var rejectedWrites = 0

    var violationCount: Int {
        storeFenceOrder.count + staleHolderWrites.count + lostUpdates.count + durability.count
            + linearizability.count + recovery.count + watches.count
    }
}

/// An invoke and its completion (nil: none was recorded, so the outcome is unknown).
struct Pair {
    var invoke: HistoryEvent
    var completion: HistoryEvent?
    var isUnknown: Bool { completion == nil || completion?.type == "info" }
}

/// A grant the history saw answered.
struct Grant {
    var process: String
    var op: Int
    var key: String
    var mode: String
    var session: UInt64
    var fence: UInt64
    var invokeNs: UInt64
    var completeNs: UInt64
}

func pairs(_ events: [HistoryEvent]) -> [Pair] {
    var open: [String: Int] = [:]
    var result: [Pair] = []
    for event in events where event.process != "nemesis" && event.f != "pause" {
        let id = "\(event.process)#\(event.op)"
        if event.type == "invoke" {
            open[id] = result.count
            result.append(Pair(invoke: event))
        } else if let index = open.removeValue(forKey: id) {
            result[index].completion = event
        }
    }
    return result
}

func lockMode(_ text: String?) -> LockMode { LockMode.allCases.first { "\($0)" == text } ?? .exclusive }

struct Checkers {
    let record: RunRecord

    func run() -> CheckResults {
        var results = CheckResults()
        let all = pairs(record.events)
        for pair in all where ["acquire", "release", "claim", "write", "read"].contains(pair.invoke.f) {
            switch pair.completion?.type {
            case "ok": results.operations.ok += 1
            case "fail": results.operations.fail += 1
            default: results.operations.info += 1
            }
        }
        let grants = all.compactMap { pair -> Grant? in
            guard pair.invoke.f == "acquire", let done = pair.completion, done.type == "ok",
                let session = done.session, let fence = done.fence, let key = done.key
            else { return nil }
            return Grant(
                process: pair.invoke.process, op: pair.invoke.op, key: key, mode: done.mode ?? "exclusive",
                session: session, fence: fence, invokeNs: pair.invoke.monoNs, completeNs: done.monoNs)
        }
        results.acceptedEdits = record.accepted.filter { $0.kind == "write" }.count
        results.rejectedWrites = all.filter { $0.completion?.error == "rejected" }.count
        checkStoreFences(&results)
        checkStaleHolders(grants: grants, &results)
        checkCounters(&results)
        checkDurability(all, grants: grants, &results)
        checkKillAllSurvival(all, grants: grants, &results)
        summarizePauses(&results)
        checkLinearizability(all, grants: grants, &results)
        checkRecovery(all, &results)
        return results
    }

    /// (1a) Per record and fence column, fences of accepted writes never go backwards in commit order.
    private func checkStoreFences(_ results: inout CheckResults) {
        var highest: [String: (fence: UInt64, seq: Int64)] = [:]
        for write in record.accepted {
            for column in write.part.fenceColumns {
                let slot = "\(write.record).\(column)"
                if let top = highest[slot], write.fence < top.fence {
                    results.storeFenceOrder.append(
                        "record \(write.record) \(column): \(write.kind) #\(write.seq) by \(write.process) with fence "
                            + "\(write.fence) accepted after fence \(top.fence) (#\(top.seq))")
                }
                if highest[slot].map({ write.fence >= $0.fence }) ?? true { highest[slot] = (write.fence, write.seq) }
            }
        }
    }

    /// (1b) No accepted write came from a holder whose lock had been granted to another holder who had already
    /// written under it (the store had seen the newer fence). A write accepted after a newer grant but before
    /// that holder's first write is what fencing allows; it is counted as a note.
    private func checkStaleHolders(grants: [Grant], _ results: inout CheckResults) {
        let grantOf = Dictionary(
            grants.map { ("\($0.process)#\($0.fence)#\($0.key)", $0) }, uniquingKeysWith: { a, _ in a })
        // The first accepted claim of each grant: when the store first saw its fence.
        var firstClaim: [String: RecordStore.AcceptedWrite] = [:]
        for write in record.accepted where write.kind == "claim" {
            let id = "\(write.process)#\(write.fence)"
            if firstClaim[id] == nil { firstClaim[id] = write }
        }
        func lockKey(_ write: RecordStore.AcceptedWrite) -> String {
            write.part == .record
                ? "acme/contacts/\(write.record)" : "acme/contacts/\(write.record)/\(write.part.rawValue)"
        }
        var byKey: [String: [Grant]] = [:]
        for grant in grants where grant.mode == "exclusive" { byKey[grant.key, default: []].append(grant) }
        // The last accepted write on each fence column: a write's predecessor in the store.
        var lastOnColumn: [String: RecordStore.AcceptedWrite] = [:]
        var windowWrites = 0
        for write in record.accepted {
            let slots = write.part.fenceColumns.map { "\(write.record).\($0)" }
            let predecessor = slots.compactMap { lastOnColumn[$0] }.max { $0.seq < $1.seq }
            for slot in slots { lastOnColumn[slot] = write }
            let key = lockKey(write)
            guard let mine = grantOf["\(write.process)#\(write.fence)#\(key)"] else { continue }
            let overlapping =
                [key, "acme/contacts/\(write.record)"]
                + (write.part == .record
                    ? ["acme/contacts/\(write.record)/phone", "acme/contacts/\(write.record)/email"] : [])
            // Newer grants that completed before the write, in fence order: the first is the one that took over.
            let newer = Set(overlapping).sorted().flatMap { byKey[$0] ?? [] }
                .filter { $0.fence > mine.fence && $0.completeNs < write.monoNs }
                .sorted { ($0.fence, $0.process) < ($1.fence, $1.process) }
            let written = newer.compactMap { other in
                firstClaim["\(other.process)#\(other.fence)"].flatMap { $0.seq < write.seq ? (other, $0) : nil }
            }
            if let (other, claim) = written.first {
                // Name the write it actually followed in the store, and the first newer holder that had written.
                let after =
                    predecessor.map { "right after #\($0.seq), a \($0.kind) by \($0.process) with fence \($0.fence); " }
                    ?? ""
                results.staleHolderWrites.append(
                    "record \(write.record) \(write.part.rawValue): \(write.kind) #\(write.seq) by \(write.process) "
                        + "(fence \(mine.fence)) accepted \(after)the first newer holder to write was "
                        + "\(other.process)'s grant of \(other.key) with fence \(other.fence) (#\(claim.seq))")
            } else if !newer.isEmpty {
                windowWrites += 1
            }
        }
        if windowWrites > 0 {
            results.notes.append(
                "\(windowWrites) write(s) accepted from a holder whose lock had been granted anew, before the new "
                    + "holder's first fenced write (the window fencing allows; the claim-first workload keeps them "
                    + "from losing updates)")
        }
    }

    /// (2) Every part's counter equals the number of edits the store accepted for it.
    private func checkCounters(_ results: inout CheckResults) {
        var expected: [String: Int] = [:]
        for write in record.accepted where write.kind == "write" {
            expected["\(write.record).\(write.part)", default: 0] += 1
        }
        for (recordKey, parts) in record.counters.sorted(by: { $0.key < $1.key }) {
            for (part, value) in parts.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                let count = expected["\(recordKey).\(part)", default: 0]
                if value != count {
                    results.lostUpdates.append(
                        "record \(recordKey) \(part.rawValue): counter \(value), but \(count) edits were accepted "
                            + "(\(count - value) lost)")
                }
            }
        }
    }

    /// (3) After the heal, the final inspection shows no lock whose release was acknowledged, and every lock
    /// whose holder still held a live lease around the inspection.
    private func checkDurability(_ all: [Pair], grants: [Grant], _ results: inout CheckResults) {
        var released: [String: UInt64] = [:]
        for pair in all where pair.invoke.f == "release" && pair.completion?.type == "ok" {
            released["\(pair.invoke.key ?? "")#\(pair.invoke.session ?? 0)#\(pair.invoke.fence ?? 0)"] =
                pair.completion!.monoNs
        }
        var inspected: [String: (pair: Pair, holders: [HistoryEvent.HolderEntry])] = [:]
        for pair in all where pair.invoke.f == "inspect" {
            guard let done = pair.completion, done.type == "ok", let key = done.key else {
                results.durability.append(
                    "final inspection of \(pair.invoke.key ?? "?") failed: \(pair.completion?.error ?? "no answer")")
                continue
            }
            inspected[key] = (pair, done.holders ?? [])
            for holder in done.holders ?? [] {
                if let at = released["\(key)#\(holder.session)#\(holder.fence)"], at < pair.invoke.monoNs {
                    results.durability.append(
                        "\(key) is still held by session \(holder.session) (fence \(holder.fence)) although its release "
                            + "was acknowledged")
                }
            }
        }
        for pair in all where pair.invoke.f == "hold-check" {
            guard let done = pair.completion, done.type == "ok", let key = done.key, let fence = done.fence else {
                continue
            }
            guard let seen = inspected[key] else { continue }
            if !seen.holders.contains(where: { $0.fence == fence && $0.session == done.session }) {
                results.durability.append(
                    "\(key): the grant with fence \(fence) to session \(done.session ?? 0), whose lease was live around "
                        + "the final inspection, is not held")
            }
        }
    }

    /// (5) After each heal, successful operations resume within 2 s.
    private func checkRecovery(_ all: [Pair], _ results: inout CheckResults) {
        let successes = all.compactMap { pair -> UInt64? in
            guard ["acquire", "release"].contains(pair.invoke.f), let done = pair.completion, done.type == "ok" else {
                return nil
            }
            return done.monoNs
        }.sorted()
        for fault in record.faults {
            var last = fault.injectedNs
            var stall: UInt64 = 0
            for success in successes where success > fault.injectedNs {
                if success > fault.healedNs + 2_000_000_000 { break }
                stall = max(stall, success - last)
                last = success
            }
            results.longestStall[fault.kind] = max(results.longestStall[fault.kind] ?? 0, Double(stall) / 1e9)
            let next = successes.first { $0 >= fault.healedNs }
            let seconds: Double
            if let next {
                seconds = Double(next - fault.healedNs) / 1e9
            } else {
                guard record.workloadEndNs > fault.healedNs + 2_000_000_000 else { continue }
                seconds = .infinity
            }
            results.worstRecovery[fault.kind] = max(results.worstRecovery[fault.kind] ?? 0, seconds)
            if seconds > 2 {
                results.recovery.append(
                    "after \(fault.kind.rawValue) (\(fault.detail)) the first success came \(String(format: "%.2f", seconds)) s "
                        + "after the heal")
            }
        }
    }
}

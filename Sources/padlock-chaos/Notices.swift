import Foundation

/// What the cluster told its clients unasked during a run (issue 21, docs/events.md): lock losses the front
/// ends were told of (with reasons), the administrator's force-unlocks and how long their holders took to
/// hear of them, and the watcher's states, how soon one came after each heal, and whether every watch ended
/// equal to the cluster. Only the last is judged (checker 6); the rest are figures for the report.
struct NoticeSummary {
    /// Locks the front ends found lost at their release, by ``LossCategory`` name.
    var losses: [String: Int] = [:]
    /// Of those, the ones whose `Lock.states` had turned `.lost` before the release was sent.
    var toldBeforeRelease = 0
    var forceUnlocksSent = 0
    var forceUnlocksReleasing = 0
    var forceUnlockedHolders = 0
    /// Seconds from just before the force-unlock was sent to the holder's `.lost`, for each holder told so
    /// (with the reason `force-unlocked`) before it released.
    var forceUnlockDelays: [Double] = []
    var watchStates = 0
    var watchStreamsEnded: [String] = []
    /// The longest wait for the watcher's first state after a heal, per fault kind.
    var firstStateAfterHeal: [FaultKind: Double] = [:]
    var convergence = ChaosWatcher.Convergence()
    var finalHealNs: UInt64 = 0

    init() {}

    init(events: [HistoryEvent], watcher: ChaosWatcher.State, faults: [AppliedFault], workloadEndNs: UInt64) {
        let all = pairs(events)
        var releases: [String: HistoryEvent] = [:]
        for pair in all where pair.invoke.f == "release" {
            guard let done = pair.completion, let loss = done.loss else { continue }
            losses[loss, default: 0] += 1
            if done.toldNs != nil { toldBeforeRelease += 1 }
            releases["\(done.key ?? "")#\(done.session ?? 0)#\(done.fence ?? 0)"] = done
        }
        for pair in all where pair.invoke.f == "force-unlock" {
            forceUnlocksSent += 1
            guard let done = pair.completion, done.type == "ok", let holders = done.holders, !holders.isEmpty else {
                continue
            }
            forceUnlocksReleasing += 1
            forceUnlockedHolders += holders.count
            for holder in holders {
                guard let release = releases["\(done.key ?? "")#\(holder.session)#\(holder.fence)"],
                    release.loss == "force-unlocked", let told = release.toldNs, told >= pair.invoke.monoNs
                else { continue }
                forceUnlockDelays.append(Double(told - pair.invoke.monoNs) / 1e9)
            }
        }
        watchStates = watcher.received
        watchStreamsEnded = watcher.ended
        let arrivals = watcher.arrivals.sorted()
        for fault in faults where fault.healedNs < workloadEndNs {
            guard let first = arrivals.first(where: { $0 >= fault.healedNs }) else { continue }
            let seconds = Double(first - fault.healedNs) / 1e9
            firstStateAfterHeal[fault.kind] = max(firstStateAfterHeal[fault.kind] ?? 0, seconds)
        }
    }

    /// The report's lines about notices and watches.
    var lines: [String] {
        var lines: [String] = []
        let lost = losses.values.reduce(0, +)
        let reasons = (LossCategory.all + ["unknown"]).compactMap { name in losses[name].map { "\(name) \($0)" } }
        lines.append(
            "lock losses the front ends saw: \(lost) (told before releasing \(toldBeforeRelease))"
                + (reasons.isEmpty ? "" : ": " + reasons.joined(separator: ", ")))
        let delays = forceUnlockDelays.sorted()
        let delayText =
            delays.isEmpty
            ? ""
            : String(
                format: "; told from before sending: median %.1f ms, worst %.1f ms",
                delays[delays.count / 2] * 1000, (delays.last ?? 0) * 1000)
        lines.append(
            "force-unlocks: \(forceUnlocksSent) sent, \(forceUnlocksReleasing) released a lock "
                + "(\(forceUnlockedHolders) holders, \(forceUnlockDelays.count) told with the reason before "
                + "releasing)\(delayText)")
        let worst = FaultKind.allCases.compactMap { kind in
            firstStateAfterHeal[kind].map { "\(kind.rawValue) " + String(format: "%.2f s", $0) }
        }
        lines.append(
            "watch states received: \(watchStates) (streams ended and watched again: \(watchStreamsEnded.count))"
                + (worst.isEmpty ? "" : "; first state after a heal, worst: " + worst.joined(separator: ", ")))
        if let matched = convergence.matchedNs {
            let after = { (ns: UInt64) in
                String(format: "%.2f s", Double(ns > finalHealNs ? ns - finalHealNs : 0) / 1e9)
            }
            lines.append(
                "watches after the final heal: all \(convergence.keys) watched key states match the cluster "
                    + "(confirmed \(after(matched)) after the heal; the last state needed arrived "
                    + "\(after(convergence.lastArrivalNs)) after it)")
        } else {
            lines.append(
                "watches after the final heal: \(convergence.mismatches.count) of \(convergence.keys) watched key "
                    + "states still differ from the cluster")
        }
        return lines
    }
}

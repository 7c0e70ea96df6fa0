import Foundation

extension Checkers {
    /// (3, kill-all) Every grant and release acknowledged before a kill-all survived it. After each kill-all
    /// the nemesis surveys every key (`survey` lines); against the latest kill-all injected before a survey:
    /// - a release acknowledged before the kill must not be undone: its (session, fence) is not a holder;
    /// - a grant acknowledged before the kill whose release was sent after the survey ended and answered `ok`
    ///   was held all along (the cluster released it later), so the survey must show it. Grants whose release
    ///   failed or whose lease ran out are not judged: their end is not known.
    func checkKillAllSurvival(_ all: [Pair], grants: [Grant], _ results: inout CheckResults) {
        let kills = record.faults.filter { $0.kind == .killAll }.map(\.injectedNs).sorted()
        guard !kills.isEmpty else { return }
        var releases: [String: Pair] = [:]
        for pair in all where pair.invoke.f == "release" {
            releases["\(pair.invoke.key ?? "")#\(pair.invoke.session ?? 0)#\(pair.invoke.fence ?? 0)"] = pair
        }
        var grantsByKey: [String: [Grant]] = [:]
        for grant in grants { grantsByKey[grant.key, default: []].append(grant) }
        for pair in all where pair.invoke.f == "survey" {
            guard let done = pair.completion, done.type == "ok", let key = done.key,
                let kill = kills.last(where: { $0 < pair.invoke.monoNs })
            else { continue }
            let holders = done.holders ?? []
            for holder in holders {
                let id = "\(key)#\(holder.session)#\(holder.fence)"
                if let release = releases[id], let answer = release.completion, answer.type == "ok",
                    answer.monoNs < kill
                {
                    results.durability.append(
                        "\(key): the release by \(release.invoke.process) of fence \(holder.fence) (session "
                            + "\(holder.session)), acknowledged before the kill-all, was undone: the survey after the "
                            + "restart shows it held")
                }
            }
            for grant in grantsByKey[key] ?? [] where grant.completeNs < kill {
                let id = "\(key)#\(grant.session)#\(grant.fence)"
                guard let release = releases[id], release.invoke.monoNs > done.monoNs,
                    release.completion?.type == "ok"
                else { continue }
                if !holders.contains(where: { $0.session == grant.session && $0.fence == grant.fence }) {
                    results.durability.append(
                        "\(key): the grant to \(grant.process) with fence \(grant.fence) (session \(grant.session)), "
                            + "acknowledged before the kill-all and released successfully after it, is missing from "
                            + "the survey after the restart")
                }
            }
        }
    }
}

extension Checkers {
    /// A note on the pausing front ends' pauses as they happened (their `pause` `ok` lines): how many, how long
    /// they stopped against what was planned, and how many fell short of the 2 s lease they must lapse.
    func summarizePauses(_ results: inout CheckResults) {
        var planned: [String: Int] = [:]
        var measured: [(planned: Int?, stopped: Double)] = []
        for event in record.events where event.f == "pause" {
            if event.type == "info" {
                planned[event.process] = event.value
            } else if let stopped = event.stoppedNs, let resumed = event.resumedNs {
                measured.append((planned.removeValue(forKey: event.process), Double(resumed - stopped) / 1e9))
            }
        }
        let unfinished = planned.count
        guard !measured.isEmpty || unfinished > 0 else { return }
        let lengths = measured.map(\.stopped).sorted()
        let plans = measured.compactMap(\.planned).map { Double($0) / 1000 }.sorted()
        let short = measured.filter { $0.stopped < 2 }.count
        results.pauses = measured.count
        results.notes.append(
            "front-end pauses: \(measured.count) stopped for "
                + (lengths.isEmpty ? "-" : String(format: "%.2f–%.2f s", lengths[0], lengths[lengths.count - 1]))
                + " (planned " + (plans.isEmpty ? "-" : String(format: "%.2f–%.2f s", plans[0], plans[plans.count - 1]))
                + "); \(short) shorter than the 2 s lease; \(unfinished) planned but never resumed")
    }
}

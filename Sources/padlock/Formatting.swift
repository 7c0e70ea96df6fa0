import Foundation
import PadlockClient
import PadlockTypes

/// How the command line shows what the cluster answers.
enum Formatting {
    /// A timestamp (milliseconds since the Unix epoch, on the leader's clock) as local date and time.
    static func time(_ timestamp: Timestamp) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: Double(timestamp.rawValue) / 1000))
    }

    /// `free again in 4.2 s, at 10:02:07` for a key under lock-delay until `date` (on the leader's clock).
    static func freeAgain(at date: Date, now: Date = Date()) -> String {
        let seconds = max(0, date.timeIntervalSince(now))
        let wait =
            seconds < 1
            ? "\(Int(seconds * 1000)) ms"
            : seconds < 60
                ? String(format: "%.1f s", seconds)
                : "\(Int(seconds.rounded()) / 60) min \(Int(seconds.rounded()) % 60) s"
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return "free again in \(wait), at \(formatter.string(from: date.addingTimeInterval(0.999)))"
    }

    /// `alice@frontend-2 (session 12, exclusive, fence 34) since 2026-12-02 10:02:03, note "editing phone"`.
    static func holder(_ holder: Holder) -> String {
        var text =
            "\(holder.owner) (session \(holder.session.rawValue), \(holder.mode), fence \(holder.fence.rawValue)) "
            + "since \(time(holder.since))"
        if !holder.note.isEmpty { text += ", note \"\(holder.note)\"" }
        return text
    }

    /// `held by alice@frontend-2 (…) on acme/contacts/42/phone`, one line per conflicting holder (marked when
    /// it is this client's own), and a last line when the cluster listed only some.
    static func held(_ error: PadlockError) -> String {
        var lines = error.conflicts.map { conflict in
            (conflict.isOwn ? "held by this client's own lock: " : "held by ") + holder(conflict.holder)
                + " on \(conflict.key)"
        }
        if error.holdersTruncated { lines.append("and more holders not listed (padlock inspect shows them all)") }
        return lines.joined(separator: "\n")
    }

    static func lock(_ lock: LockInfo) -> String {
        "\(lock.key)  \(holder(lock.holder))  lease until \(time(lock.leaseDeadline))"
    }

    static func inspection(_ inspection: Inspection) -> String {
        var lines: [String] = []
        if inspection.holders.isEmpty {
            lines.append("\(inspection.key) is free")
        } else {
            lines.append("held:")
            for held in inspection.holders { lines.append("  " + lock(held)) }
        }
        if !inspection.waiters.isEmpty {
            lines.append("waiting:")
            for waiter in inspection.waiters {
                lines.append(
                    "  \(waiter.key)  \(waiter.owner) (session \(waiter.session.rawValue), \(waiter.mode)) since \(time(waiter.since))"
                )
            }
        }
        if let until = inspection.lockDelayedUntilDate {
            lines.append("lock-delay: \(freeAgain(at: until)) (released by force or expiry)")
        }
        if !inspection.holds.isEmpty {
            lines.append("holds (edits refused except to exempt roles and on editable fields):")
            for held in inspection.holds { lines.append("  " + hold(held)) }
        }
        return lines.joined(separator: "\n")
    }

    static func audit(_ record: AuditRecord) -> String {
        if let hold = holdAudit(record) { return hold }
        if record.action == .takeover, let key = record.key, let previous = record.previousHolder {
            // The taker's fence is the index of the entry that took the lock over.
            return "#\(record.sequence) \(time(record.time)) takeover by \(record.identity): took \(key) from "
                + "\(holder(previous)), new fence \(record.index.rawValue)"
                + (record.reason.isEmpty ? "" : ": \(record.reason)")
        }
        var text = "#\(record.sequence) \(time(record.time)) \(record.action) by \(record.identity)"
        text += " session \(record.session.rawValue)"
        if let key = record.key { text += " key \(key)" }
        if let previous = record.previousHolder { text += " (held by \(holder(previous)))" }
        if !record.reason.isEmpty { text += ": \(record.reason)" }
        return text
    }

    static func member(_ member: MemberInfo) -> String {
        "node \(member.node.rawValue)  \(member.isVoter ? "voter  " : "learner")  peer \(member.peerAddress)  client \(member.clientAddress)"
    }
}

/// `padlock status` as a table or JSON.
enum StatusReport {
    static func table(_ statuses: [NodeStatus], endpoints: [String]) -> String {
        var lines = ["node  role       term  commit  applied  last  sessions  locks  waiters  health         lag"]
        let leader = statuses.first { $0.role == .leader }
        for status in statuses.sorted(by: { $0.node < $1.node }) {
            let lag = leader.flatMap { leader in
                leader.peers.first { $0.node == status.node }.map {
                    leader.lastIndex.rawValue &- $0.matchIndex.rawValue
                }
            }
            let health =
                status.leader == nil && status.role != .leader ? "no leader" : status.canCommit ? "ok" : "cannot commit"
            lines.append(
                [
                    pad("\(status.node.rawValue)", 4), pad("\(status.role)", 9), pad("\(status.term.rawValue)", 4),
                    pad("\(status.commitIndex.rawValue)", 6), pad("\(status.appliedIndex.rawValue)", 7),
                    pad("\(status.lastIndex.rawValue)", 4), pad("\(status.sessionCount)", 8),
                    pad("\(status.lockCount)", 5),
                    pad("\(status.waiterCount)", 7), pad(health, 13), lag.map(String.init) ?? "-",
                ].joined(separator: "  "))
        }
        for status in statuses.sorted(by: { $0.node < $1.node }) {
            for problem in status.problems { lines.append("node \(status.node.rawValue): \(problem)") }
        }
        return lines.joined(separator: "\n")
    }

    /// One line for each endpoint that did not answer, with the node id when the members list names it and
    /// the reason; and one for each voter that no endpoint reached.
    static func silent(
        endpoints: [String], answers: [Result<NodeStatus, PadlockError>], members: [MemberInfo]
    ) -> [String] {
        var lines: [String] = []
        var answered = Set<NodeID>()
        for answer in answers { if case .success(let status) = answer { answered.insert(status.node) } }
        for (endpoint, answer) in zip(endpoints, answers) {
            guard case .failure(let error) = answer else { continue }
            let member = members.first { $0.clientAddress == endpoint }
            let name =
                member.map { "node \($0.node.rawValue) at \(endpoint)" } ?? "endpoint \(endpoint) (node id unknown)"
            lines.append("\(name) did not answer: \(error.message)")
        }
        for member in members where !answered.contains(member.node) && !endpoints.contains(member.clientAddress) {
            lines.append(
                "node \(member.node.rawValue) (client \(member.clientAddress)) did not answer: not among the endpoints asked"
            )
        }
        return lines
    }

    static func json(_ statuses: [NodeStatus]) -> String {
        let objects: [[String: Any]] = statuses.sorted(by: { $0.node < $1.node }).map { status in
            [
                "node": status.node.rawValue, "role": "\(status.role)", "term": status.term.rawValue,
                "leader": status.leader.map { $0.rawValue as Any } ?? NSNull(),
                "commitIndex": status.commitIndex.rawValue, "appliedIndex": status.appliedIndex.rawValue,
                "lastIndex": status.lastIndex.rawValue, "snapshotIndex": status.snapshotIndex.rawValue,
                "sessions": status.sessionCount, "locks": status.lockCount, "waiters": status.waiterCount,
                "canCommit": status.canCommit, "problems": status.problems,
                "voters": status.members.map(\.rawValue), "learners": status.learners.map(\.rawValue),
                "peers": status.peers.map { peer in
                    [
                        "node": peer.node.rawValue, "matchIndex": peer.matchIndex.rawValue,
                        "reachable": peer.isReachable,
                        "lag": status.lastIndex.rawValue &- peer.matchIndex.rawValue,
                    ] as [String: Any]
                },
            ]
        }
        guard let data = try? JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
        else {
            return "[]"
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}

import PadlockTypes
import Raft

/// Compact, stable text forms of the core's values, used by the script output.
enum Describe {
    static func bytes(_ data: [UInt8]) -> String {
        "\"" + String(decoding: data, as: UTF8.self) + "\""
    }

    static func entry(_ entry: Entry) -> String {
        let position = "\(entry.index)@\(entry.term)"
        switch entry.kind {
        case .noop: return "\(position) noop"
        case .normal: return "\(position) \(bytes(entry.data))"
        case .configChange:
            let change = ConfigChange(encoded: entry.data).map(\.description) ?? "undecodable"
            return "\(position) conf(\(change))"
        }
    }

    static func entries(_ entries: [Entry]) -> String {
        entries.map(entry).joined(separator: ", ")
    }

    static func node(_ id: NodeID?) -> String { id.map(\.description) ?? "none" }

    static func hardState(_ state: HardState) -> String {
        "term=\(state.term) vote=\(node(state.vote)) commit=\(state.commit)"
    }

    static func message(_ message: Message) -> String {
        "\(message.from)->\(message.to) \(kind(message.kind)) term=\(message.term)\(details(message.kind))"
    }

    private static func kind(_ kind: Message.Kind) -> String {
        switch kind {
        case .preVote: return "PreVote"
        case .preVoteResponse: return "PreVoteResp"
        case .vote: return "Vote"
        case .voteResponse: return "VoteResp"
        case .append: return "App"
        case .appendResponse: return "AppResp"
        case .heartbeat: return "Heartbeat"
        case .heartbeatResponse: return "HeartbeatResp"
        case .snapshot: return "Snapshot"
        case .timeoutNow: return "TimeoutNow"
        }
    }

    private static func details(_ kind: Message.Kind) -> String {
        switch kind {
        case .preVote(let index, let term):
            return " last=\(index)@\(term)"
        case .vote(let index, let term, let transfer):
            return " last=\(index)@\(term)" + (transfer ? " transfer" : "")
        case .preVoteResponse(let granted), .voteResponse(let granted):
            return granted ? " granted" : " rejected"
        case .append(let prevIndex, let prevTerm, let entries, let commit):
            let list = entries.isEmpty ? "" : " [\(Describe.entries(entries))]"
            return " prev=\(prevIndex)@\(prevTerm) commit=\(commit)\(list)"
        case .appendResponse(let index, let rejected, let hintIndex, let hintTerm):
            return rejected ? " reject index=\(index) hint=\(hintIndex)@\(hintTerm)" : " index=\(index)"
        case .heartbeat(let commit, let round):
            return " commit=\(commit) round=\(round)"
        case .heartbeatResponse(let round, _):
            return " round=\(round)"
        case .snapshot(let snapshot):
            let metadata = snapshot.metadata
            return " index=\(metadata.index)@\(metadata.term) \(metadata.configuration) data=\(bytes(snapshot.data))"
        case .timeoutNow:
            return ""
        }
    }

    static func ready(_ ready: Ready, dropped: [Message]) -> [String] {
        var lines: [String] = []
        if let hardState = ready.hardState { lines.append("  HardState " + Describe.hardState(hardState)) }
        if let snapshot = ready.snapshot {
            let metadata = snapshot.metadata
            lines.append("  Snapshot index=\(metadata.index)@\(metadata.term) \(metadata.configuration)")
        }
        if !ready.entries.isEmpty { lines.append("  Entries: " + entries(ready.entries)) }
        if !ready.committedEntries.isEmpty { lines.append("  Committed: " + entries(ready.committedEntries)) }
        for read in ready.readStates { lines.append("  ReadState index=\(read.index) context=\(bytes(read.context))") }
        lines += messageLines("Messages", ready.messages, dropped: dropped)
        lines += messageLines("Messages after persist", ready.messagesAfterPersist, dropped: dropped)
        return lines
    }

    private static func messageLines(_ title: String, _ messages: [Message], dropped: [Message]) -> [String] {
        guard !messages.isEmpty else { return [] }
        return ["  \(title):"] + messages.map { "    " + message($0) + (dropped.contains($0) ? " (dropped)" : "") }
    }

    static func status(_ status: Status) -> String {
        var line =
            "\(status.id): \(status.role) term=\(status.term) vote=\(node(status.vote)) leader=\(node(status.leader))"
        line += " last=\(status.lastIndex) commit=\(status.committedIndex) applied=\(status.appliedIndex)"
        if status.snapshotIndex > .zero { line += " snapshot=\(status.snapshotIndex)" }
        return line
    }

    static func progress(_ status: Status) -> [String] {
        var lines = ["  " + status.configuration.description]
        if let target = status.transferTarget { lines.append("  transferring to \(target)") }
        for (member, progress) in status.progress where member != status.id {
            let state: String
            switch progress.state {
            case .probe: state = "probe"
            case .replicate: state = "replicate"
            case .snapshot(let index): state = "snapshot(\(index))"
            }
            var learner = progress.isLearner ? " learner" : ""
            if !status.configuration.members.contains(member) { learner += " removed" }
            lines.append("  \(member): \(state) match=\(progress.match) next=\(progress.next)\(learner)")
        }
        for lost in status.lostAcknowledgements { lines.append("  lost: \(lost)") }
        return lines
    }

    static func proposeResult(_ result: ProposeResult) -> String {
        switch result {
        case .accepted(let index, let term): return "accepted index=\(index) term=\(term)"
        case .notLeader(let hint): return "not leader (leader: \(node(hint)))"
        case .transferInProgress: return "refused: leadership transfer in progress"
        case .overloaded: return "refused: overloaded"
        case .rejected(let reason): return "rejected: \(reason)"
        }
    }
}

import PadlockTypes
import Raft

extension ScriptRunner {
    /// `inject from=F to=T term=N kind=K ...`: hands one message that no node sent (a forged or corrupted
    /// frame) straight to node T, then prints T's state and how many messages it dropped so far. Kinds and
    /// their fields (every number a full `UInt64`): `heartbeat commit= round=`, `timeout-now`,
    /// `append prev= prev-term= commit= entries=(index@term,...)`, `app-resp index= hint= hint-term= reject=`,
    /// `vote last= last-term=`, `pre-vote last= last-term=`, `heartbeat-resp round=`.
    func inject(_ options: [String: String]) throws -> [String] {
        let from = try id(options["from"] ?? "")
        let to = try ids([options["to"] ?? ""])[0]
        let message = Message(
            from: from, to: to, term: Term(try number(options, "term")), kind: try injectedKind(options))
        cluster.deliver(message)
        let status = cluster.nodes[to]!.status
        return ["\(Describe.status(status)) dropped=\(status.droppedMessages)"]
    }

    private func injectedKind(_ options: [String: String]) throws -> Message.Kind {
        switch options["kind"] ?? "" {
        case "heartbeat":
            return .heartbeat(commit: LogIndex(try number(options, "commit")), round: try number(options, "round"))
        case "heartbeat-resp":
            return .heartbeatResponse(
                round: try number(options, "round"), lastIndex: LogIndex(UInt64(options["last"] ?? "0") ?? 0))
        case "timeout-now":
            return .timeoutNow
        case "append":
            return .append(
                prevIndex: LogIndex(try number(options, "prev")), prevTerm: Term(try number(options, "prev-term")),
                entries: try injectedEntries(options["entries"]), commit: LogIndex(try number(options, "commit")))
        case "app-resp":
            return .appendResponse(
                index: LogIndex(try number(options, "index")), rejected: options["reject"] == "true",
                hintIndex: LogIndex(try number(options, "hint")), hintTerm: Term(try number(options, "hint-term")))
        case "vote":
            return .vote(
                lastIndex: LogIndex(try number(options, "last")), lastTerm: Term(try number(options, "last-term")),
                transfer: options["transfer"] == "true")
        case "pre-vote":
            return .preVote(
                lastIndex: LogIndex(try number(options, "last")), lastTerm: Term(try number(options, "last-term")))
        case let other:
            throw Failure(description: "unknown message kind \(other)")
        }
    }

    /// `(3@1,4@1)` to no-op entries with those indexes and terms.
    private func injectedEntries(_ text: String?) throws -> [Entry] {
        guard let text, text != "()" else { return [] }
        let inner = text.trimmingPrefix("(").dropLast(text.hasSuffix(")") ? 1 : 0)
        return try inner.split(separator: ",").map { item in
            let parts = item.split(separator: "@")
            guard parts.count == 2, let index = UInt64(parts[0]), let term = UInt64(parts[1]) else {
                throw Failure(description: "bad entry \(item): write index@term")
            }
            return Entry(term: Term(term), index: LogIndex(index), kind: .noop)
        }
    }

    private func number(_ options: [String: String], _ key: String) throws -> UInt64 {
        guard let text = options[key] else { return 0 }
        guard let value = UInt64(text) else { throw Failure(description: "bad \(key)=\(text)") }
        return value
    }
}

import PadlockTypes
import Raft

/// Runs script commands against a `TestCluster` and returns what each printed.
final class ScriptRunner {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let cluster = TestCluster()

    /// Runs one command line: a verb, positional arguments, and `key=value` options.
    func run(_ line: String) throws -> [String] {
        let words = line.split(separator: " ").map(String.init)
        guard let verb = words.first else { throw Failure(description: "empty command") }
        var positional: [String] = []
        var options: [String: String] = [:]
        for word in words.dropFirst() {
            if let equals = word.firstIndex(of: "=") {
                options[String(word[..<equals])] = String(word[word.index(after: equals)...])
            } else {
                positional.append(word)
            }
        }
        let output = try run(verb, positional, options)
        return output.isEmpty ? ["ok"] : output
    }

    private func run(_ verb: String, _ args: [String], _ options: [String: String]) throws -> [String] {
        switch verb {
        case "add-nodes": return try addNodes(args, options)
        case "campaign": return try campaign(args)
        case "tick": return try tick(args, options)
        case "tick-election": return try tickElection(args)
        case "propose": return try propose(args)
        case "propose-conf": return try proposeConf(args)
        case "stabilize": return try stabilize(args)
        case "process-ready": return try ids(args).flatMap(processReady)
        case "deliver": return try ids(args).flatMap(deliver)
        case "drop": return try drop(options)
        case "isolate": return try isolate(args)
        case "cut": return try cut(args)
        case "heal": cluster.heal(); return []
        case "compact": return try compact(args, options)
        case "status": return try ids(args).flatMap(status)
        case "raft-state": return cluster.ids.map { Describe.status(cluster.nodes[$0]!.status) }
        case "log": return try ids(args).flatMap(log)
        case "read-index": return try readIndex(args)
        case "transfer-leader": return try transfer(args, options)
        case "restart": return try restart(args)
        case "save-copy":
            return try ids(args).flatMap {
                cluster.copies[$0] = cluster.durable[$0]; return [String]()
            }
        case "restore-copy": return try restoreCopy(args)
        case "report-unreachable": return try reportUnreachable(args, options)
        case "inject": return try inject(options)
        default: throw Failure(description: "unknown command \(verb)")
        }
    }

    func id(_ text: String) throws -> NodeID {
        guard let raw = UInt64(text), raw > 0 else { throw Failure(description: "bad node id \(text)") }
        return NodeID(raw)
    }

    func ids(_ args: [String]) throws -> [NodeID] {
        let parsed = try args.map(id)
        for node in parsed where cluster.nodes[node] == nil { throw Failure(description: "no node \(node)") }
        return parsed
    }

    /// `(1,2,3)` to node IDs.
    func idList(_ text: String?) throws -> [NodeID] {
        guard let text else { return [] }
        let inner = text.trimmingPrefix("(").dropLast(text.hasSuffix(")") ? 1 : 0)
        return try inner.split(separator: ",").map { try id(String($0)) }
    }

    func integer(_ options: [String: String], _ key: String, default value: Int) throws -> Int {
        guard let text = options[key] else { return value }
        guard let parsed = Int(text) else { throw Failure(description: "bad \(key)=\(text)") }
        return parsed
    }

    private func addNodes(_ args: [String], _ options: [String: String]) throws -> [String] {
        let voters = try idList(options["voters"])
        let nodes = try idList(options["ids"])
        let initialVoters = options["joining"] == "true" ? [] : voters
        for node in nodes {
            var config = Config(id: node)
            config.electionTicks = try integer(options, "election", default: 10)
            config.heartbeatTicks = try integer(options, "heartbeat", default: 1)
            config.maxInflightMessages = try integer(options, "inflight", default: 256)
            config.maxEntriesPerAppend = try integer(options, "max-entries", default: 64)
            config.maxUncommittedBytes = try integer(options, "max-uncommitted", default: 1 << 20)
            config.preVote = options["prevote"] != "false"
            config.checkQuorum = options["checkquorum"] != "false"
            config.leaderLeaseReads = options["lease"] == "true"
            cluster.add(node, voters: initialVoters, config: config)
        }
        return nodes.map { Describe.status(cluster.nodes[$0]!.status) }
    }

    private func campaign(_ args: [String]) throws -> [String] {
        try ids(args).map { node in
            cluster.with(node) { $0.campaign() }
            return Describe.status(cluster.nodes[node]!.status)
        }
    }

    private func tick(_ args: [String], _ options: [String: String]) throws -> [String] {
        let count = try integer(options, "n", default: 1)
        return try ids(args).map { node in
            for _ in 0..<count { cluster.with(node) { $0.tick() } }
            return Describe.status(cluster.nodes[node]!.status)
        }
    }

    private func tickElection(_ args: [String]) throws -> [String] {
        try ids(args).map { node in
            cluster.tickUntilCampaign(node)
            return Describe.status(cluster.nodes[node]!.status)
        }
    }
}

import PadlockTypes
import Raft

extension ScriptRunner {
    func propose(_ args: [String]) throws -> [String] {
        guard args.count == 2 else { throw Failure(description: "usage: propose <node> <data>") }
        let node = try id(args[0])
        let result = cluster.with(node) { $0.propose(Array(args[1].utf8)) }
        return [Describe.proposeResult(result)]
    }

    func proposeConf(_ args: [String]) throws -> [String] {
        guard args.count == 3 else { throw Failure(description: "usage: propose-conf <node> <change> <target>") }
        let node = try id(args[0])
        let target = try id(args[2])
        let change: ConfigChange
        switch args[1] {
        case "add-learner": change = .addLearner(target)
        case "promote": change = .promote(target)
        case "remove": change = .remove(target)
        default: throw Failure(description: "unknown change \(args[1])")
        }
        let result = cluster.with(node) { $0.proposeConfigChange(change) }
        return [Describe.proposeResult(result)]
    }

    func stabilize(_ args: [String]) throws -> [String] {
        let targets = args.isEmpty ? cluster.ids : try ids(args)
        var lines: [String] = []
        for _ in 0..<1000 {
            var moved = false
            for node in targets where cluster.nodes[node]!.hasReady {
                lines += processReady(node)
                moved = true
            }
            for node in targets where cluster.network.contains(where: { $0.to == node }) {
                lines += deliver(node)
                moved = true
            }
            if !moved { return lines }
        }
        throw Failure(description: "stabilize did not settle")
    }

    func processReady(_ node: NodeID) -> [String] {
        guard cluster.nodes[node]!.hasReady else { return ["> \(node) has no Ready"] }
        let (ready, dropped) = cluster.processReady(node)
        return ["> \(node) handling Ready"] + Describe.ready(ready, dropped: dropped)
    }

    func deliver(_ node: NodeID) -> [String] {
        let batch = cluster.deliver(to: node)
        guard !batch.isEmpty else { return ["> \(node) has no messages"] }
        return ["> \(node) receiving messages"] + batch.map { "  " + Describe.message($0) }
    }

    func drop(_ options: [String: String]) throws -> [String] {
        let from = try options["from"].map(id)
        let to = try options["to"].map(id)
        let matches: (Message) -> Bool = { message in
            (from == nil || message.from == from) && (to == nil || message.to == to)
        }
        let dropped = cluster.network.filter(matches)
        cluster.network.removeAll(where: matches)
        for message in dropped { cluster.lost(message) }
        return dropped.map { "dropped " + Describe.message($0) }
    }

    func isolate(_ args: [String]) throws -> [String] {
        for node in try ids(args) { cluster.isolate(node) }
        return []
    }

    func cut(_ args: [String]) throws -> [String] {
        let nodes = try ids(args)
        guard nodes.count == 2 else { throw Failure(description: "usage: cut <a> <b>") }
        cluster.cut(nodes[0], nodes[1])
        return []
    }

    func compact(_ args: [String], _ options: [String: String]) throws -> [String] {
        let node = try id(args.first ?? "")
        let index = LogIndex(UInt64(try integer(options, "index", default: 0)))
        let data = Array("snap@\(index)".utf8)
        let metadata: SnapshotMetadata
        do {
            metadata = try cluster.with(node) { (raft: inout RaftNode) throws(RaftError) in
                try raft.compact(snapshotIndex: index, snapshotData: data)
            }
        } catch {
            return ["error: \(error)"]
        }
        cluster.durable[node]!.compact(to: Snapshot(metadata: metadata, data: data))
        return log(node)
    }

    func status(_ node: NodeID) -> [String] {
        let status = cluster.nodes[node]!.status
        return [Describe.status(status)] + Describe.progress(status)
    }

    func log(_ node: NodeID) -> [String] {
        let raft = cluster.nodes[node]!
        let entries = raft.entries(from: .zero, through: raft.lastIndex)
        let header =
            "\(node): snapshot=\(raft.snapshotIndex)@\(raft.term(at: raft.snapshotIndex)!) commit=\(raft.committedIndex)"
        return [header] + entries.map { "  " + Describe.entry($0) }
    }

    func readIndex(_ args: [String]) throws -> [String] {
        guard args.count == 2 else { throw Failure(description: "usage: read-index <node> <context>") }
        let node = try id(args[0])
        let result = cluster.with(node) { $0.readIndex(context: Array(args[1].utf8)) }
        switch result {
        case .pending: return ["pending"]
        case .notLeader(let hint): return ["not leader (leader: \(Describe.node(hint)))"]
        }
    }

    func transfer(_ args: [String], _ options: [String: String]) throws -> [String] {
        let node = try id(args.first ?? "")
        let target = try id(options["to"] ?? "")
        let result = cluster.with(node) { $0.transferLeadership(to: target) }
        switch result {
        case .started: return ["transfer to \(target) started"]
        case .alreadyLeader: return ["already leader"]
        case .notLeader(let hint): return ["not leader (leader: \(Describe.node(hint)))"]
        case .notVoter(let id): return ["refused: \(id) is not a voter"]
        }
    }

    func restart(_ args: [String]) throws -> [String] {
        try ids(args).map { node in
            cluster.restart(node)
            return Describe.status(cluster.nodes[node]!.status)
        }
    }

    /// Replaces a node's durable state with the copy `save-copy` took and restarts it from there: a data
    /// directory restored from a backup, which forgets whatever the node acknowledged since.
    func restoreCopy(_ args: [String]) throws -> [String] {
        try ids(args).map { node in
            guard let copy = cluster.copies[node] else { throw Failure(description: "no copy of \(node) saved") }
            cluster.durable[node] = copy
            cluster.restart(node)
            return Describe.status(cluster.nodes[node]!.status)
        }
    }

    func reportUnreachable(_ args: [String], _ options: [String: String]) throws -> [String] {
        let node = try id(args.first ?? "")
        let target = try id(options["to"] ?? "")
        cluster.with(node) { $0.reportUnreachable(to: target) }
        return status(node)
    }
}

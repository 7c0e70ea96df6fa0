import Node
import PadlockTypes
import Raft
import Storage
import StorageTesting

/// Random well-formed Raft messages for `PeerMessageFuzzer`: plausible ones (answers to what the node sent,
/// terms and indexes near its own) mixed with extreme and contradictory ones.
enum PeerFuzzMessages {
    /// The values that broke nodes before, and their neighbours at the limits.
    static let extremes: [UInt64] = [0, 1, (1 << 62) - 1, 1 << 62, (1 << 62) + 1, 1 << 63, .max - 1, .max]

    /// A term near `base`, or now and then an extreme one. A huge term below the limit is accepted and can
    /// never be left (no node campaigns past the limit), so only a message's own term is, very rarely, the
    /// last one below it; otherwise the run would stall there.
    static func term(near base: UInt64, _ random: inout SimRandom) -> Term {
        switch random.below(12) {
        case 0: return Term(random.pick(extremes.filter { $0 < 2 || $0 >= Term.limit }))
        default: return Term(base &+ random.below(4) &- 1)
        }
    }

    /// A number near `base`, or now and then an extreme or a random one.
    static func number(near base: UInt64, _ random: inout SimRandom) -> UInt64 {
        switch random.below(12) {
        case 0: return random.pick(extremes)
        case 1: return random.next()
        default: return base &+ random.below(4) &- 1
        }
    }

    static func message(
        for node: Node<FuzzHost>, sent: [Message], random: inout SimRandom, fuzzRun: PeerFuzzRun
    ) -> Message {
        // A pending (pre-)vote is answered most of the time, so the node wins elections and leads.
        if let last = sent.last, last.isVoteRequest, random.chance(0.6), let answer = answer(to: last, &random) {
            return answer
        }
        if !sent.isEmpty && random.chance(0.35), let answer = answer(to: random.pick(sent), &random) { return answer }
        let from = random.chance(0.92) ? NodeID(random.between(2...3)) : NodeID(random.pick([0, 1, 4, 99, .max]))
        let to = random.chance(0.97) ? NodeID(1) : NodeID(random.between(2...5))
        let term = random.chance(0.0003) ? Term(Term.limit - 1) : self.term(near: node.term.rawValue, &random)
        let kind = self.kind(node, term: term, &random, snapshotData: fuzzRun.store.snapshotBytes)
        return Message(from: from, to: to, term: term, kind: kind)
    }

    /// What a real peer might answer, sometimes with a twist.
    static func answer(to message: Message, _ random: inout SimRandom) -> Message? {
        let term = random.chance(0.9) ? message.term : self.term(near: message.term.rawValue, &random)
        let kind: Message.Kind
        switch message.kind {
        case .preVote: kind = .preVoteResponse(granted: random.chance(0.8))
        case .vote: kind = .voteResponse(granted: random.chance(0.8))
        case .append(let prevIndex, _, let entries, _):
            let last = entries.last?.index ?? prevIndex
            if random.chance(0.8) {
                kind = .appendResponse(index: last, rejected: false, hintIndex: .zero, hintTerm: .zero)
            } else {
                kind = .appendResponse(
                    index: prevIndex, rejected: true, hintIndex: LogIndex(number(near: prevIndex.rawValue, &random)),
                    hintTerm: self.term(near: 0, &random))
            }
        case .heartbeat(let commit, let round):
            kind = .heartbeatResponse(
                round: number(near: round, &random), lastIndex: LogIndex(number(near: commit.rawValue, &random)))
        case .snapshot(let snapshot):
            kind = .appendResponse(index: snapshot.metadata.index, rejected: false, hintIndex: .zero, hintTerm: .zero)
        default: return nil
        }
        return Message(from: message.to, to: message.from, term: term, kind: kind)
    }

    static func kind(
        _ node: Node<FuzzHost>, term: Term, _ random: inout SimRandom, snapshotData: [UInt8]?
    ) -> Message.Kind {
        let last = node.committedIndex.rawValue + random.below(4)
        let index = LogIndex(number(near: last, &random))
        let logTerm = self.term(near: node.term.rawValue, &random)
        switch random.below(11) {
        case 0: return .preVote(lastIndex: index, lastTerm: logTerm)
        case 1: return .preVoteResponse(granted: random.chance(0.5))
        case 2: return .vote(lastIndex: index, lastTerm: logTerm, transfer: random.chance(0.3))
        case 3: return .voteResponse(granted: random.chance(0.5))
        case 4, 5: return append(after: index, term: term, node: node, &random)
        case 6:
            return .appendResponse(
                index: index, rejected: random.chance(0.4), hintIndex: LogIndex(number(near: last, &random)),
                hintTerm: logTerm)
        case 7: return .heartbeat(commit: LogIndex(number(near: last, &random)), round: number(near: 1, &random))
        case 8: return .heartbeatResponse(round: number(near: 1, &random), lastIndex: index)
        case 9: return .snapshot(snapshot(near: index, term: logTerm, data: snapshotData, &random))
        default: return .timeoutNow
        }
    }

    /// An append of up to four entries after `prevIndex`, usually contiguous with terms at most the message's.
    static func append(
        after prevIndex: LogIndex, term: Term, node: Node<FuzzHost>, _ random: inout SimRandom
    ) -> Message.Kind {
        let prevTerm =
            random.chance(0.7) ? (node.logTerm(at: prevIndex) ?? term) : self.term(near: term.rawValue, &random)
        var entries: [Entry] = []
        var next = prevIndex.rawValue &+ 1
        for _ in 0..<random.below(5) {
            let entryIndex = random.chance(0.9) ? next : number(near: next, &random)
            let entryTerm = random.chance(0.9) ? term : self.term(near: term.rawValue, &random)
            entries.append(entry(index: LogIndex(entryIndex), term: entryTerm, &random))
            next = entryIndex &+ 1
        }
        let commit = LogIndex(number(near: prevIndex.rawValue &+ UInt64(entries.count), &random))
        return .append(prevIndex: prevIndex, prevTerm: prevTerm, entries: entries, commit: commit)
    }

    static func entry(index: LogIndex, term: Term, _ random: inout SimRandom) -> Entry {
        switch random.below(6) {
        case 0: return Entry(term: term, index: index, kind: .noop)
        case 1:
            let target = NodeID(random.between(1...4))
            let change = random.pick([ConfigChange.addLearner(target), .promote(target), .remove(target)])
            return Entry(term: term, index: index, kind: .configChange, data: change.encoded)
        default:
            var data: [UInt8] = []
            for _ in 0..<random.below(24) { data.append(UInt8(truncatingIfNeeded: random.next())) }
            if random.chance(0.5) && !data.isEmpty { data[0] = 1 }
            return Entry(term: term, index: index, kind: .normal, data: data)
        }
    }

    /// A snapshot whose bytes are the node's own last snapshot (so they restore) or random ones.
    static func snapshot(near index: LogIndex, term: Term, data: [UInt8]?, _ random: inout SimRandom) -> Snapshot {
        var bytes: [UInt8] = []
        if let data, random.chance(0.6) {
            bytes = data
        } else {
            for _ in 0..<random.below(64) { bytes.append(UInt8(truncatingIfNeeded: random.next())) }
        }
        let voters = random.chance(0.9) ? [NodeID(1), NodeID(2), NodeID(3)] : [NodeID(random.between(1...5))]
        let metadata = SnapshotMetadata(
            index: index, term: term, configuration: Configuration(voters: voters, learners: []))
        return Snapshot(metadata: metadata, data: bytes)
    }
}

extension Message {
    var isVoteRequest: Bool {
        switch kind {
        case .preVote, .vote: true
        default: false
        }
    }
}

extension MemoryLogStore {
    /// The bytes of the latest snapshot saved, if any.
    var snapshotBytes: [UInt8]? { (try? loadSnapshot())?.data }
}

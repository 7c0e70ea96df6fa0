import Node
import PadlockTypes
import PeerWire
import Raft

extension Simulation {
    /// The forged-frame fault: a batch of frames no member would send, delivered to a node as if its peer
    /// port had let them through (today's default without a cluster secret lets anyone send them as any
    /// member). Each is impossible or forged, so the node must drop it: the heartbeats of issue 18 (terms
    /// 2^64 − 1 and 2^63, and 2^62, the first one refused), an append and a vote with indexes beyond the
    /// limit, and handovers (`timeoutNow`) from a member that is not the target's leader, in its term and the
    /// next. A frame that changes the node's term or role is a violation.
    func forgedFrames() {
        let up = nodes.indices.filter { nodes[$0].state == .up && nodes[$0].node != nil }
        guard nodes.count > 1, !up.isEmpty else { return }
        let target = random.pick(up)
        guard let node = nodes[target].node else { return }
        let leader = node.statusReport().leader
        let senders = nodes.indices.filter { $0 != target && nodes[$0].id != leader }
        guard !senders.isEmpty else { return }
        let sender = random.pick(senders)
        let from = nodes[sender].id
        let to = nodes[target].id
        let term = node.term
        let huge = LogIndex(.max)
        let messages = [
            Message(from: from, to: to, term: Term(.max), kind: .heartbeat(commit: .zero, round: 1)),
            Message(from: from, to: to, term: Term(1 << 63), kind: .heartbeat(commit: .zero, round: 1)),
            Message(from: from, to: to, term: Term(Term.limit), kind: .heartbeat(commit: .zero, round: 1)),
            Message(from: from, to: to, term: term, kind: .timeoutNow),
            Message(from: from, to: to, term: term.next, kind: .timeoutNow),
            Message(
                from: from, to: to, term: Term(.max), kind: .vote(lastIndex: huge, lastTerm: Term(.max), transfer: true)
            ),
            Message(
                from: from, to: to, term: term,
                kind: .append(prevIndex: huge, prevTerm: term, entries: [], commit: huge)),
        ]
        note("forged frames from n\(from) to n\(to) (term \(term))")
        schedule(.forgedFrame(from: sender, to: target, payload: PeerWire.encodeBatch(messages)), after: 500)
    }

    /// Delivers a forged frame; each message must leave the node's term and role as they were.
    func forgedFrameArrived(from: Int, to: Int, _ payload: [UInt8], _ event: SimEvent) {
        withNode(to, nil, event) { node in
            guard case .messages(let messages)? = try? PeerWire.decode(payload) else {
                violation("a forged frame does not decode")
                return
            }
            for message in messages {
                let before = (node.term, node.role)
                node.receive(message)
                if node.isStopped || node.term != before.0 || node.role != before.1 {
                    violation(
                        "a forged frame (\(message.kind) in term \(message.term) from n\(message.from)) moved n\(node.id) "
                            + "from \(before.1) in term \(before.0) to \(node.role) in term \(node.term)")
                }
            }
        }
    }
}

import PadlockTypes
import Raft
import Wire

// Membership changes, one node at a time (docs/raft.md): a new node joins as a learner, is promoted once it
// has caught up, and is removed by an administrator. Where each node is reached lives in a replicated
// address book, so only the node being added needs to be told where the others are.

extension Node {
    func changeMembership(_ operation: ClientOperation, _ reply: ReplyTarget) {
        switch operation {
        case .addMember(let member, let peerAddress, let clientAddress):
            guard member.rawValue != 0, !peerAddress.isEmpty, !clientAddress.isEmpty else {
                respond(
                    reply,
                    .failure(.invalidArgument(message: "a new member needs a node id above 0 and both addresses")))
                return
            }
            if let problem = Self.addressProblem(peer: peerAddress, client: clientAddress) {
                respond(reply, .failure(.invalidArgument(message: problem)))
                return
            }
            guard !raft.configuration.members.contains(member) else {
                respond(reply, .failure(.invalidArgument(message: "\(member) is already a member")))
                return
            }
            let addresses = MemberAddresses(peer: peerAddress, client: clientAddress)
            // The address goes first, so the leader knows where to send the log once the learner is added.
            guard case .accepted = raft.propose(EntryCodec.memberData(member, addresses)) else {
                respond(
                    reply,
                    .failure(.unavailable(reason: "the leader cannot take the change now", retryAfterMilliseconds: 100))
                )
                return
            }
            proposeConfigChange(.addLearner(member), reply)
        case .promoteMember(let node):
            proposeConfigChange(.promote(node), reply)
        case .removeMember(let node):
            proposeConfigChange(.remove(node), reply)
        default:
            preconditionFailure("changeMembership(\(operation)) is not a membership change")
        }
    }

    /// Why a new member's addresses cannot be dialled, or nil: both must be numeric `host:port` addresses
    /// (`SocketAddress`), as the configuration's are.
    private static func addressProblem(peer: String, client: String) -> String? {
        for (name, text) in [("peer", peer), ("client", client)] {
            do throws(SocketAddress.Problem) {
                _ = try SocketAddress.parsing(text)
            } catch {
                return "the \(name) address must be \(SocketAddress.syntaxSummary); \(error.reason)"
            }
        }
        return nil
    }

    private func proposeConfigChange(_ change: ConfigChange, _ reply: ReplyTarget) {
        switch raft.proposeConfigChange(change) {
        case .accepted(let index, let term):
            proposals[index] = PendingProposal(term: term, reply: reply, purpose: .membership)
        case .notLeader:
            respond(reply, .failure(.notLeader(leaderHint)))
        case .transferInProgress:
            respond(
                reply, .failure(.unavailable(reason: "leadership is being handed over", retryAfterMilliseconds: 100)))
        case .overloaded:
            respond(reply, .failure(.overloaded(reason: "the leader holds too many uncommitted requests")))
        case .rejected(.changeInProgress):
            respond(
                reply,
                .failure(
                    .unavailable(reason: "another membership change is not committed yet", retryAfterMilliseconds: 200))
            )
        case .rejected(.learnerNotCaughtUp(let node)):
            respond(
                reply,
                .failure(
                    .unavailable(reason: "\(node) has not caught up with the log yet", retryAfterMilliseconds: 500)))
        case .rejected(let reason):
            respond(reply, .failure(.invalidArgument(message: "membership change refused: \(reason)")))
        }
    }

    /// Every member with its addresses, voters first, each group by node id.
    func memberList() -> [MemberInfo] {
        let configuration = raft.configuration
        return (configuration.voters + configuration.learners).map { node in
            let addresses = addressBook[node]
            return MemberInfo(
                node: node, peerAddress: addresses?.peer ?? "", clientAddress: addresses?.client ?? "",
                isVoter: configuration.isVoter(node))
        }
    }
}

import PadlockTypes
import Raft

// Node identity (docs/operations.md, "Node identity"). Each data directory is created with a random non-zero
// incarnation; peers announce theirs when their link opens, and the leader records each member's in the log
// at its first contact. A node refuses messages from a member whose announced incarnation differs from the
// record (its directory was wiped or replaced), or whose incarnation is marked lost (the leader found its log
// shorter than what it had acknowledged: a directory restored from a copy). Refused messages never reach
// Raft, so such a node's votes and acknowledgements never count. Removing the node and adding it back as a
// new node clears the record.

/// What the cluster recorded about one member's data directory.
package struct MemberIncarnation: Hashable, Sendable, CustomStringConvertible {
    /// The random number the node's data directory was created with.
    package var value: UInt64
    /// The node lost entries it had acknowledged: it is refused until it is removed and added back.
    package var lost: Bool

    /// A record.
    package init(value: UInt64, lost: Bool = false) {
        self.value = value
        self.lost = lost
    }

    /// `0x1f2e…` or `0x1f2e… (lost)`.
    package var description: String { Self.hex(value) + (lost ? " (lost)" : "") }

    /// An incarnation as sixteen hex digits.
    package static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }
}

/// Why a peer's messages are refused.
package enum IdentityRefusal: Hashable, Sendable, CustomStringConvertible {
    /// The announced incarnation is not the recorded one (0: the link announced none).
    case mismatch(node: NodeID, announced: UInt64, recorded: UInt64)
    /// The node lost entries it had acknowledged.
    case lost(node: NodeID)

    /// The node refused.
    package var node: NodeID {
        switch self {
        case .mismatch(let node, _, _), .lost(let node): node
        }
    }

    /// A sentence for the operator: who, why, and what to do.
    package var description: String {
        switch self {
        case .mismatch(let node, let announced, let recorded):
            let theirs =
                announced == 0 ? "announced no incarnation" : "its incarnation \(MemberIncarnation.hex(announced))"
            return "refused node \(node): \(theirs), which does not match \(MemberIncarnation.hex(recorded)) recorded "
                + "by the cluster — node \(node) lost or replaced its data directory; remove it (padlock member "
                + "remove \(node)) and add it back as a new node (empty data directory, join = true)"
        case .lost(let node):
            return "refused node \(node): it lost log entries it had acknowledged (its data directory was restored "
                + "from a copy or lost synced writes); remove it (padlock member remove \(node)) and add it back as "
                + "a new node (empty data directory, join = true)"
        }
    }
}

/// A node's knowledge of peers' identities beyond the replicated records.
struct IdentityBook {
    /// The records as the node's whole log has them, committed or not: the applied records, then every record
    /// and membership change in the entries after them. Refusals use these, so a node that restarts before it
    /// relearns the commit index still refuses a member the log says it must (a record is a fact whoever
    /// proposed it: that node announced that incarnation, or lost acknowledged entries).
    var known: [NodeID: MemberIncarnation] = [:]
    /// Records this node proposed as leader and has not applied yet, with the term proposed in.
    var pending: [NodeID: Term] = [:]
    /// Nodes this leader found to have lost acknowledged entries; refused at once, before the record commits.
    var lostLocally: Set<NodeID> = []
    /// The incarnation each peer last announced.
    var announced: [NodeID: UInt64] = [:]
    /// When each refused peer was last reported (monotonic ms), to report at most once per interval.
    var lastReported: [NodeID: UInt64] = [:]
    /// Messages refused since the node started.
    var refusedMessages: UInt64 = 0
    /// On the leader: when each follower's match last moved (`Node+Health`).
    var followers: [NodeID: FollowerWatch] = [:]

    static let reportIntervalMilliseconds: UInt64 = 10_000
}

extension Node {
    /// Why messages from `node` on a link that announced `incarnation` are refused, or nil when they are not.
    func identityRefusal(of node: NodeID, incarnation: UInt64) -> IdentityRefusal? {
        if configuration.injectedBugs.identityCheckDisabled { return nil }
        if identity.lostLocally.contains(node) { return .lost(node: node) }
        guard let record = identity.known[node] else { return nil }
        if record.lost { return .lost(node: node) }
        return record.value == incarnation ? nil : .mismatch(node: node, announced: incarnation, recorded: record.value)
    }

    /// Counts a refused message and tells the environment, at most once per interval for each node.
    func refuse(_ node: NodeID, _ refusal: IdentityRefusal) {
        identity.refusedMessages += 1
        let now = environment.monotonicMilliseconds
        if let last = identity.lastReported[node], now &- last < IdentityBook.reportIntervalMilliseconds { return }
        identity.lastReported[node] = now
        environment.peerRefused(node, refusal)
    }

    /// The peers this node refuses now, with the reason, by node: those marked lost, and those whose last
    /// announced incarnation is not the record (a member not heard from since this node started is not
    /// judged).
    package var refusedPeers: [IdentityRefusal] {
        raft.configuration.members.compactMap { member in
            guard member != id else { return nil }
            if let announced = identity.announced[member] { return identityRefusal(of: member, incarnation: announced) }
            let refusal = identityRefusal(of: member, incarnation: 0)
            if case .lost? = refusal { return refusal }
            return nil
        }
    }

    /// Messages refused for their sender's identity since the node started.
    package var refusedPeerMessages: UInt64 { identity.refusedMessages }

    /// A peer announced `incarnation`: a ready leader records it if the cluster has none for that member yet.
    func noteIncarnation(of node: NodeID, _ incarnation: UInt64) {
        guard incarnation != 0 else { return }
        proposeIncarnation(MemberIncarnation(value: incarnation), of: node, ifUnrecorded: true)
    }

    /// Records this leader's own incarnation once it is ready, if the cluster has none for it yet.
    func recordOwnIncarnation() {
        guard configuration.incarnation != 0 else { return }
        proposeIncarnation(MemberIncarnation(value: configuration.incarnation), of: id, ifUnrecorded: true)
    }

    /// Acts on followers Raft found to have lost acknowledged entries: refuse them at once, report them,
    /// and propose marking their incarnation lost so the whole cluster refuses them.
    func noteLostAcknowledgements() {
        guard raft.role == .leader else { return }
        for lost in raft.lostFollowers where !identity.lostLocally.contains(lost.node) {
            identity.lostLocally.insert(lost.node)
            environment.lostAcknowledgements(lost)
            let value = incarnations[lost.node]?.value ?? identity.announced[lost.node] ?? 0
            proposeIncarnation(MemberIncarnation(value: value, lost: true), of: lost.node, ifUnrecorded: false)
        }
    }

    private func proposeIncarnation(_ record: MemberIncarnation, of node: NodeID, ifUnrecorded: Bool) {
        guard leadership?.isReady == true, raft.configuration.members.contains(node),
            identity.pending[node] != raft.term
        else { return }
        if ifUnrecorded && incarnations[node] != nil { return }
        if incarnations[node] == record { return }
        guard case .accepted = raft.propose(EntryCodec.incarnationData(node, record)) else { return }
        identity.pending[node] = raft.term
        counters.proposals += 1
    }

    /// Applies a committed incarnation record.
    func recordIncarnation(_ record: MemberIncarnation, of node: NodeID) {
        identity.pending[node] = nil
        Self.merge(record, of: node, into: &incarnations)
    }

    /// A record's effect on a set of records: a record of an incarnation that was marked lost meanwhile does
    /// not clear the mark.
    static func merge(_ record: MemberIncarnation, of node: NodeID, into records: inout [NodeID: MemberIncarnation]) {
        if let existing = records[node], existing.lost, existing.value == record.value, !record.lost { return }
        records[node] = record
    }

    /// A committed membership change: a node added or removed leaves its record (and any mark) behind.
    func membershipChangeApplied(_ change: ConfigChange) {
        switch change {
        case .addLearner(let node), .remove(let node):
            incarnations[node] = nil
            identity.pending[node] = nil
            identity.lostLocally.remove(node)
            identity.lastReported[node] = nil
            // What the old node announced says nothing about the new one.
            identity.announced[node] = nil
        case .promote:
            break
        }
    }

    /// Brings the log's view of the records up to date with entries appended to the log (or found in it at
    /// a restart), in log order.
    func noteLogEntries<Entries: Sequence<Entry>>(_ entries: Entries) {
        for entry in entries {
            switch entry.kind {
            case .normal:
                guard entry.data.first == EntryCodec.PayloadTag.incarnation.rawValue,
                    case .incarnation(let node, let record)? = EntryCodec.payload(in: entry.data)
                else { continue }
                Self.merge(record, of: node, into: &identity.known)
            case .configChange:
                switch ConfigChange(encoded: entry.data) {
                case .addLearner(let node)?, .remove(let node)?: identity.known[node] = nil
                case .promote?, nil: break
                }
            case .noop:
                break
            }
        }
    }
}

import PadlockTypes

/// The cluster's membership: voters decide elections and commits, learners only receive the log.
///
/// Both lists are kept sorted by `NodeID` so that every listing and every message order is deterministic.
package struct Configuration: Hashable, Sendable, CustomStringConvertible {
    /// The voting members, sorted.
    package private(set) var voters: [NodeID]
    /// The non-voting members, sorted.
    package private(set) var learners: [NodeID]

    /// Creates a configuration; duplicates are removed and a node listed as both is a voter.
    package init(voters: [NodeID], learners: [NodeID]) {
        let voterList = Array(Set(voters)).sorted()
        self.voters = voterList
        self.learners = Array(Set(learners)).filter { !voterList.contains($0) }.sorted()
    }

    /// Every member, voters and learners, sorted.
    package var members: [NodeID] { (voters + learners).sorted() }

    /// Whether `id` votes.
    package func isVoter(_ id: NodeID) -> Bool { voters.contains(id) }

    /// Whether `id` is a learner.
    package func isLearner(_ id: NodeID) -> Bool { learners.contains(id) }

    /// The number of voters that make a majority.
    package var quorum: Int { voters.count / 2 + 1 }

    /// `voters=(1,2,3) learners=(4)`.
    package var description: String {
        let voterText = voters.map(\.description).joined(separator: ",")
        let learnerText = learners.map(\.description).joined(separator: ",")
        return learners.isEmpty ? "voters=(\(voterText))" : "voters=(\(voterText)) learners=(\(learnerText))"
    }

    /// The configuration after `change`; the caller has validated the change.
    func applying(_ change: ConfigChange) -> Configuration {
        switch change {
        case .addLearner(let id):
            return Configuration(voters: voters, learners: learners + [id])
        case .promote(let id):
            return Configuration(voters: voters + [id], learners: learners.filter { $0 != id })
        case .remove(let id):
            return Configuration(voters: voters.filter { $0 != id }, learners: learners.filter { $0 != id })
        }
    }

    /// Why `change` may not be applied to this configuration, or nil when it may.
    func rejection(of change: ConfigChange) -> ConfigChangeRejection? {
        switch change {
        case .addLearner(let id):
            return members.contains(id) ? .alreadyMember(id) : nil
        case .promote(let id):
            return isLearner(id) ? nil : .notLearner(id)
        case .remove(let id):
            if !members.contains(id) { return .notMember(id) }
            return voters == [id] ? .wouldRemoveLastVoter(id) : nil
        }
    }
}

/// One membership change. Changes are made one node at a time, which keeps any two successive
/// configurations' majorities overlapping without joint consensus.
package enum ConfigChange: Hashable, Sendable, CustomStringConvertible {
    /// Adds a node that receives the log but does not vote.
    case addLearner(NodeID)
    /// Makes a caught-up learner a voter.
    case promote(NodeID)
    /// Removes a voter or a learner.
    case remove(NodeID)

    /// `add-learner 4`, `promote 4`, `remove 4`.
    package var description: String {
        switch self {
        case .addLearner(let id): return "add-learner \(id)"
        case .promote(let id): return "promote \(id)"
        case .remove(let id): return "remove \(id)"
        }
    }

    /// The node the change is about.
    package var node: NodeID {
        switch self {
        case .addLearner(let id), .promote(let id), .remove(let id): return id
        }
    }

    /// Nine bytes: a tag (1 add-learner, 2 promote, 3 remove) and the node ID, big-endian.
    package var encoded: [UInt8] {
        let tag: UInt8
        switch self {
        case .addLearner: tag = 1
        case .promote: tag = 2
        case .remove: tag = 3
        }
        var bytes: [UInt8] = [tag]
        let raw = node.rawValue
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: raw >> UInt64(shift)))
        }
        return bytes
    }

    /// Decodes `encoded`; returns nil for anything that is not exactly one valid change.
    package init?(encoded bytes: [UInt8]) {
        guard bytes.count == 9 else { return nil }
        var raw: UInt64 = 0
        for byte in bytes[1...] { raw = raw << 8 | UInt64(byte) }
        let id = NodeID(raw)
        switch bytes[0] {
        case 1: self = .addLearner(id)
        case 2: self = .promote(id)
        case 3: self = .remove(id)
        default: return nil
        }
    }
}

/// Why a membership change was refused.
package enum ConfigChangeRejection: Hashable, Sendable, CustomStringConvertible {
    /// An earlier change is in the log but not yet committed; changes go one at a time.
    case changeInProgress
    /// The node is already a voter or learner.
    case alreadyMember(NodeID)
    /// The node is not in the configuration.
    case notMember(NodeID)
    /// Only learners can be promoted.
    case notLearner(NodeID)
    /// The learner's log is not yet caught up with the leader's.
    case learnerNotCaughtUp(NodeID)
    /// A cluster cannot be left without voters.
    case wouldRemoveLastVoter(NodeID)

    /// A short reason.
    package var description: String {
        switch self {
        case .changeInProgress: return "change in progress"
        case .alreadyMember(let id): return "\(id) is already a member"
        case .notMember(let id): return "\(id) is not a member"
        case .notLearner(let id): return "\(id) is not a learner"
        case .learnerNotCaughtUp(let id): return "\(id) is not caught up"
        case .wouldRemoveLastVoter(let id): return "\(id) is the last voter"
        }
    }
}

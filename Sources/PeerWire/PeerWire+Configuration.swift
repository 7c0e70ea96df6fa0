import PadlockTypes
import Raft

// Configuration = voters list<varint node>(memberCountMax) · learners list<varint node>(memberCountMax)
//
// Both lists are strictly ascending and disjoint, which is exactly what `Configuration` holds; a decoder that
// accepted another order would sort it and so re-encode differently, which canonical decoding forbids.

extension PeerWire {
    /// The encoding of `configuration`: its voters, then its learners, each a count and ascending node ids.
    ///
    /// Snapshot chunks carry it, and the node stores it with snapshot metadata on disk
    /// (`StoredSnapshot.configuration`).
    package static func encode(_ configuration: Configuration) -> [UInt8] {
        var writer = ByteWriter(capacity: EncodedSize.configuration(configuration, limits: .default))
        writer.writeConfiguration(configuration)
        return writer.bytes
    }

    /// Decodes bytes written by ``encode(_:)``: nothing may follow, and both lists must be strictly ascending,
    /// disjoint and within `limits`.
    package static func decodeConfiguration(
        _ bytes: [UInt8], limits: PeerWireLimits = .default
    ) throws(PeerWireError) -> Configuration {
        var reader = PeerReader(bytes, limits: limits)
        let configuration = try reader.readConfiguration()
        try reader.expectEnd()
        return configuration
    }
}

extension EncodedSize {
    /// The bytes of `configuration`; checks its lists against `limits`.
    static func configuration(_ configuration: Configuration, limits: PeerWireLimits) -> Int {
        var size = 0
        for list in [configuration.voters, configuration.learners] {
            precondition(
                list.count <= limits.memberCountMax,
                "a configuration list of \(list.count) nodes, but receivers accept at most \(limits.memberCountMax)")
            size += varint(UInt64(list.count))
            for id in list { size += varint(id.rawValue) }
        }
        return size
    }
}

extension ByteWriter {
    /// Writes a configuration's voters, then its learners.
    mutating func writeConfiguration(_ configuration: Configuration) {
        writeVarint(UInt64(configuration.voters.count))
        for id in configuration.voters { writeVarint(id.rawValue) }
        writeVarint(UInt64(configuration.learners.count))
        for id in configuration.learners { writeVarint(id.rawValue) }
    }
}

extension PeerReader {
    /// Reads a configuration, refusing lists out of order and a node listed as both voter and learner.
    mutating func readConfiguration() throws(PeerWireError) -> Configuration {
        let voters = try readNodeList("voters")
        let learnersStart = offset
        let learners = try readNodeList("learners")
        // Both lists are ascending, so one merge walk finds any node in both.
        var voterPosition = 0
        for learner in learners {
            while voterPosition < voters.count && voters[voterPosition] < learner { voterPosition += 1 }
            if voterPosition < voters.count && voters[voterPosition] == learner {
                throw Self.invalid(at: learnersStart, "node \(learner) is both a voter and a learner")
            }
        }
        return Configuration(voters: voters, learners: learners)
    }

    private mutating func readNodeList(_ name: String) throws(PeerWireError) -> [NodeID] {
        let count = try count(of: .configurationMembers, maximum: limits.memberCountMax, minimumElementByteCount: 1)
        var ids: [NodeID] = []
        ids.reserveCapacity(count)
        for _ in 0..<count {
            let start = offset
            let id = try nodeID()
            if let previous = ids.last, id <= previous {
                throw Self.invalid(at: start, "\(name) are not in strictly ascending order: \(id) after \(previous)")
            }
            ids.append(id)
        }
        return ids
    }
}

import PadlockTypes
import Raft
import Testing
import Wire

@testable import PeerWire
@testable import PeerWireFuzzing
@testable import WireFuzzing

@Suite struct ConfigurationCodecTests {
    static let configurations: [Configuration] = [
        Configuration(voters: [], learners: []),
        Configuration(voters: [NodeID(1)], learners: []),
        sampleConfiguration,
        Configuration(voters: [NodeID(0), NodeID(127), NodeID(128), NodeID(.max)], learners: [NodeID(5), NodeID(6)]),
        Configuration(voters: [], learners: [NodeID(2)]),
    ]

    @Test(arguments: configurations)
    func aConfigurationRoundTrips(_ configuration: Configuration) throws {
        let bytes = PeerWire.encode(configuration)
        #expect(try PeerWire.decodeConfiguration(bytes) == configuration)
    }

    @Test func aConfigurationHasTheDocumentedLayout() {
        #expect(PeerWire.encode(sampleConfiguration) == [3, 1, 2, 3, 1, 4])
    }

    @Test func randomConfigurationsRoundTrip() throws {
        var random = SplitMix64(seed: 5)
        for _ in 0..<1_000 {
            let configuration = PeerSamples.configuration(using: &random)
            #expect(try PeerWire.decodeConfiguration(PeerWire.encode(configuration)) == configuration)
        }
    }

    @Test(arguments: [[2, 2, 1, 0], [2, 1, 1, 0], [0, 2, 5, 4]] as [[UInt8]])
    func listsOutOfOrderOrWithRepeatsAreRefused(_ bytes: [UInt8]) {
        // A decoder that sorted them would re-encode other bytes than it read.
        #expect {
            try PeerWire.decodeConfiguration(bytes)
        } throws: { error in
            guard case PeerWireError.malformed(.invalidValue) = error else { return false }
            return true
        }
    }

    @Test func aNodeListedAsVoterAndLearnerIsRefused() {
        #expect(
            throws: PeerWireError.malformed(.invalidValue(offset: 3, reason: "node 2 is both a voter and a learner"))
        ) {
            try PeerWire.decodeConfiguration([2, 1, 2, 1, 2])
        }
    }

    @Test func everyTruncationAndAnyTrailingByteIsRefused() {
        let bytes = PeerWire.encode(sampleConfiguration)
        for length in 0..<bytes.count {
            #expect {
                try PeerWire.decodeConfiguration(Array(bytes[..<length]))
            } throws: { error in
                guard case PeerWireError.malformed(.truncated) = error else { return false }
                return true
            }
        }
        #expect(throws: PeerWireError.malformed(.trailingBytes(offset: 6, count: 1))) {
            try PeerWire.decodeConfiguration(bytes + [0])
        }
    }

    @Test func aListOverTheMemberLimitIsRefused() {
        let limits = PeerWireLimits(memberCountMax: 3)
        let wide = Configuration(voters: (1...4).map { NodeID($0) }, learners: [])
        #expect(throws: PeerWireError.limitExceeded(.configurationMembers, count: 4, maximum: 3)) {
            try PeerWire.decodeConfiguration(PeerWire.encode(wide), limits: limits)
        }
    }
}

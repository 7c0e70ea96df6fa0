import Testing

@testable import PadlockConfig

/// Issue 18, finding 1 and 6: a node of a multi-node cluster starts only with peer authentication, or with
/// `insecure-peers = true` written out; a single-node cluster needs neither.
@Suite struct PeerAuthenticationSettingsTests {
    @Test func aMultiNodeClusterWithoutTheSecretIsRefusedWithBothWaysOut() throws {
        let settings = try PadlockdSettings.parse(toml: document())
        #expect(!settings.security.insecurePeers)
        let error = try #require(configError { () throws(ConfigError) in try settings.checkPeerAuthentication() })
        #expect(error.field == "security.cluster-secret-file")
        #expect(error.message.contains("node 1 is one of 3 members"), "\(error.message)")
        #expect(error.message.contains("cluster-secret-file = "), "the first way out: \(error.message)")
        #expect(error.message.contains("head -c 32 /dev/urandom"), "how to make the secret: \(error.message)")
        #expect(error.message.contains("insecure-peers = true"), "the second way out: \(error.message)")
    }

    @Test func theSecretOrAnExplicitInsecurePeersLetsItStart() throws {
        let secret = try PadlockdSettings.parse(
            toml: document(appending: "[security]\ncluster-secret-file = \"/etc/padlock/cluster-secret\"\n"))
        try secret.checkPeerAuthentication()
        let insecure = try PadlockdSettings.parse(toml: document(appending: "[security]\ninsecure-peers = true\n"))
        #expect(insecure.security.insecurePeers)
        try insecure.checkPeerAuthentication()
        #expect(try PadlockdSettings.parse(toml: insecure.tomlText) == insecure, "the writer round-trips it")
        let no = try PadlockdSettings.parse(toml: document(appending: "[security]\ninsecure-peers = false\n"))
        #expect(
            configError { () throws(ConfigError) in try no.checkPeerAuthentication() } != nil,
            "false is the default: still refused")
    }

    @Test func aSingleNodeClusterNeedsNeitherButAJoiningNodeDoes() throws {
        var lines = validDocument.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast(10)
        let single = try PadlockdSettings.parse(toml: lines.joined(separator: "\n"))
        #expect(single.members.count == 1 && !single.isMultiNode)
        try single.checkPeerAuthentication()
        let joining = try PadlockdSettings.parse(toml: "join = true\n" + lines.joined(separator: "\n"))
        #expect(joining.isMultiNode)
        #expect(
            configError { () throws(ConfigError) in try joining.checkPeerAuthentication() }?.message.contains(
                "joins a cluster") == true)
    }

    @Test func insecurePeersWithASecretIsAContradiction() {
        let text = document(appending: "[security]\ncluster-secret-file = \"/etc/s\"\ninsecure-peers = true\n")
        let error = configError { () throws(ConfigError) in try PadlockdSettings.parse(toml: text) }
        #expect(error?.field == "security.insecure-peers", "\(String(describing: error))")
        #expect(error?.code == .invalidValue)
    }

    @Test func insecurePeersMustBeABoolean() {
        let error = configError { () throws(ConfigError) in
            try PadlockdSettings.parse(toml: document(appending: "[security]\ninsecure-peers = \"yes\"\n"))
        }
        #expect(error?.code == .wrongType, "\(String(describing: error))")
    }
}

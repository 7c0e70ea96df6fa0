import PadlockConfig
import PadlockTypes
import Testing

@Suite struct PeerRoutesTests {
    private let base = """
        cluster-id = 1
        node-id = 1
        data-dir = "/var/lib/padlock/node-1"
        client-listen = "127.0.0.1:7401"
        peer-listen = "127.0.0.1:7501"
        [[members]]
        id = 1
        peer = "127.0.0.1:7501"
        client = "127.0.0.1:7401"
        [[members]]
        id = 2
        peer = "127.0.0.1:7502"
        client = "127.0.0.1:7402"

        """

    @Test("Peer routes override where this node dials a peer, and survive writing the settings back")
    func peerRoutesParseAndRoundTrip() throws {
        let settings = try PadlockdSettings.parse(toml: base + "[peer-routes]\n\"2\" = \"127.0.0.1:40102\"\n")
        #expect(settings.peerRoutes == [2: SocketAddress(host: "127.0.0.1", port: 40102)])
        #expect(try PadlockdSettings.parse(toml: settings.tomlText) == settings)
    }

    @Test("A peer route keyed by something other than a node id is refused, naming the field")
    func badPeerRoutesAreRefused() {
        for bad in [
            "[peer-routes]\nnode2 = \"127.0.0.1:1\"\n", "[peer-routes]\n\"2\" = \"nowhere\"\n",
            "[peer-routes]\n\"2\" = 5\n",
        ] {
            do {
                _ = try PadlockdSettings.parse(toml: base + bad)
                Issue.record("accepted \(bad)")
            } catch {
                #expect(error.description.contains("peer-routes"), "\(error)")
            }
        }
    }
}

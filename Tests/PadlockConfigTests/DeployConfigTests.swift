import PadlockTypes
import Testing

@testable import PadlockConfig

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The repository's `deploy/` directory, found from this file's path.
let deployDirectory: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/") + "/deploy"
}()

/// The bytes of a file, read with the C library (the module avoids Foundation).
func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count <= 0 { break }
        bytes.append(contentsOf: buffer[0..<count])
    }
    return bytes
}

@Suite struct DeployConfigTests {
    @Test(arguments: [1, 2, 3])
    func theExampleClusterConfigurationsParse(node: Int) throws {
        let bytes = try #require(
            readFile("\(deployDirectory)/node-\(node).toml"), "deploy/node-\(node).toml is missing")
        let settings = try PadlockdSettings.parse(tomlUTF8: bytes)
        #expect(settings.clusterID == 1, "the placeholder the README says to replace")
        #expect(settings.security.clusterSecretFile == "/etc/padlock/cluster-secret")
        #expect(settings.security.clients.map(\.name) == ["crm-frontend", "ops"])
        try settings.checkPeerAuthentication()
        #expect(settings.nodeID == UInt64(node))
        #expect(settings.dataDirectory == "/var/lib/padlock/node-\(node)")
        #expect(settings.clientListen.description == "10.0.0.1\(node):7401")
        #expect(settings.peerListen.description == "10.0.0.1\(node):7501")
        #expect(settings.adminListen?.description == "10.0.0.1\(node):7601")
        #expect(settings.ownMember?.peer == settings.peerListen)
        #expect(settings.ownMember?.client == settings.clientListen)
        #expect(!settings.join)
        #expect(settings.members.map(\.peer.description) == ["10.0.0.11:7501", "10.0.0.12:7501", "10.0.0.13:7501"])
    }

    @Test func theThreeNodesAgreeOnEverythingTheReplicasShare() throws {
        var shared: [PadlockdSettings] = []
        for node in 1...3 {
            let bytes = try #require(readFile("\(deployDirectory)/node-\(node).toml"))
            var settings = try PadlockdSettings.parse(tomlUTF8: bytes)
            // Blank out what is meant to differ per node.
            settings.nodeID = 0
            settings.dataDirectory = ""
            settings.clientListen = SocketAddress(host: "", port: 0)
            settings.peerListen = settings.clientListen
            settings.adminListen = nil
            shared.append(settings)
        }
        #expect(shared[0] == shared[1] && shared[1] == shared[2])
    }
}

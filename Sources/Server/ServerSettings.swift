import LockTable
import Node
import PadlockSecurity
import PadlockTypes
import Raft

/// One member of the initial cluster.
package struct MemberSettings: Hashable, Sendable {
    /// Its node id.
    package var id: UInt64
    /// Where other nodes connect to it.
    package var peer: SocketAddress
    /// Where clients are redirected to it.
    package var client: SocketAddress

    /// Creates a member's settings.
    package init(id: UInt64, peer: SocketAddress, client: SocketAddress) {
        self.id = id
        self.peer = peer
        self.client = client
    }
}

/// Everything `padlockd` runs with, already validated (the configuration file and flags are parsed by
/// `PadlockConfig`; the executable maps them here).
package struct ServerSettings: Sendable {
    package var clusterID: UInt64
    package var nodeID: UInt64
    package var dataDirectory: String
    package var clientListen: SocketAddress
    package var peerListen: SocketAddress
    package var adminListen: SocketAddress?
    /// Start as a new node waiting to be added (`padlock member add`), without bootstrapping a cluster.
    package var join: Bool
    /// `padlockd --bootstrap`: this is the first start of a brand-new cluster, so an empty data directory
    /// may be initialised. Ignored (and logged) when the directory already holds data.
    package var bootstrap = false
    /// The data directory's incarnation, read by `ServerHost` before the node starts.
    var incarnation: UInt64 = 0
    package var members: [MemberSettings]
    package var sessionTTLMillisecondsMin: UInt64 = InputLimits.sessionTTLMillisecondsMin
    package var sessionTTLMillisecondsMax: UInt64 = InputLimits.sessionTTLMillisecondsMax
    package var lockTable = LockTableConfiguration()
    package var pendingRequestsMax = 100_000
    package var clientConnectionsMax = 10_000
    package var tickMilliseconds: UInt64 = 10
    package var electionTicks = 10
    package var heartbeatTicks = 1
    package var snapshotEntryThreshold: UInt64 = 50_000
    /// Handshake deadlines, pending pools and idle limits of the client, peer and admin ports.
    package var connections = ConnectionSettings()
    /// Where to dial a peer instead of its recorded address (a local override; see docs/configuration.md).
    package var peerRoutes: [UInt64: SocketAddress] = [:]
    /// The clients allowed on the client port; an empty directory leaves the port open (docs/security.md).
    package var clients = ClientDirectory()
    /// The cluster secret peers prove they know at the peer handshake; nil: peers are not authenticated.
    package var clusterSecret: [UInt8]?
    /// The per-namespace quotas this node proposes as leader (docs/security.md, "Quotas").
    package var quotas = NamespaceQuotas()
    /// TLS for the client port and, when it has peer contexts, peer links; nil: plaintext (docs/security.md).
    package var tls: ServerTLS?
    /// Reads the client list again from the configuration file (on SIGHUP); nil when there is no file to read.
    /// Returns the new directory, or a message saying why the file is not usable (the old list then stays).
    package var reloadClients: (@Sendable () -> Result<ClientDirectory, ReloadError>)?

    /// Settings for node `nodeID` of cluster `clusterID`; everything else has its documented default.
    package init(
        clusterID: UInt64, nodeID: UInt64, dataDirectory: String, clientListen: SocketAddress, peerListen: SocketAddress,
        adminListen: SocketAddress? = nil, join: Bool = false, members: [MemberSettings]
    ) {
        self.clusterID = clusterID
        self.nodeID = nodeID
        self.dataDirectory = dataDirectory
        self.clientListen = clientListen
        self.peerListen = peerListen
        self.adminListen = adminListen
        self.join = join
        self.members = members
    }

    /// The node's configuration.
    var nodeConfiguration: NodeConfiguration {
        var initial: [NodeID: MemberAddresses] = [:]
        for member in members {
            initial[NodeID(member.id)] = MemberAddresses(peer: member.peer.description, client: member.client.description)
        }
        let raft = Config(id: NodeID(nodeID), electionTicks: electionTicks, heartbeatTicks: heartbeatTicks)
        return NodeConfiguration(
            id: NodeID(nodeID), initialMembers: initial, bootstrapVoters: join ? [] : members.map { NodeID($0.id) },
            tickMilliseconds: tickMilliseconds, raft: raft, lockTable: lockTable,
            sessionTTLMillisecondsMin: sessionTTLMillisecondsMin, sessionTTLMillisecondsMax: sessionTTLMillisecondsMax,
            snapshotEntryThreshold: snapshotEntryThreshold, pendingRequestsMax: pendingRequestsMax)
            .withQuotas(quotas).withIncarnation(incarnation)
    }
}

/// Why a reload of the client list was refused; the node keeps the list it had.
package struct ReloadError: Error, Sendable, CustomStringConvertible {
    /// What was wrong, with the file and field.
    package var description: String

    /// An error saying `description`.
    package init(_ description: String) { self.description = description }
}

extension NodeConfiguration {
    fileprivate func withQuotas(_ quotas: NamespaceQuotas) -> NodeConfiguration {
        var configuration = self
        configuration.quotas = quotas
        return configuration
    }

    fileprivate func withIncarnation(_ incarnation: UInt64) -> NodeConfiguration {
        var configuration = self
        configuration.incarnation = incarnation
        return configuration
    }
}

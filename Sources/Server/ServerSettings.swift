import LockTable
import Node
import PadlockConfig
import PadlockSecurity
import PadlockTypes
import Raft

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
    package var members: [PadlockdSettings.Member]
    /// The node's tuning: timing, Raft, lock table, session TTL bounds, snapshots, pending requests. Its
    /// identity, members and quotas are filled in from the fields here by ``nodeConfiguration``.
    package var node: NodeConfiguration
    /// Most client connections open at once.
    package var clientConnectionsMax = Defaults.clientConnectionsMax
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
        clusterID: UInt64, nodeID: UInt64, dataDirectory: String, clientListen: SocketAddress,
        peerListen: SocketAddress,
        adminListen: SocketAddress? = nil, join: Bool = false, members: [PadlockdSettings.Member]
    ) {
        self.clusterID = clusterID
        self.nodeID = nodeID
        self.dataDirectory = dataDirectory
        self.clientListen = clientListen
        self.peerListen = peerListen
        self.adminListen = adminListen
        self.join = join
        self.members = members
        self.node = NodeConfiguration(id: NodeID(nodeID), bootstrapVoters: [])
    }

    /// The node's configuration: ``node`` with this node's identity, the initial members and the quotas.
    var nodeConfiguration: NodeConfiguration {
        var configuration = node
        configuration.id = NodeID(nodeID)
        configuration.raft.id = configuration.id
        for member in members {
            configuration.initialMembers[NodeID(member.id)] = MemberAddresses(
                peer: member.peer.description, client: member.client.description)
        }
        configuration.bootstrapVoters = join ? [] : members.map { NodeID($0.id) }
        configuration.quotas = quotas
        configuration.incarnation = incarnation
        configuration.clusterID = clusterID
        return configuration
    }
}

/// Why a reload of the client list was refused; the node keeps the list it had.
package struct ReloadError: Error, Sendable, CustomStringConvertible {
    /// What was wrong, with the file and field.
    package var description: String

    /// An error saying `description`.
    package init(_ description: String) { self.description = description }
}

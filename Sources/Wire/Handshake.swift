import PadlockTypes

/// Which side of Padlock opened a connection.
package enum ConnectionRole: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Another node of the cluster, on the peer port.
    case peer = 0
    /// A client library instance, on the client port.
    case client = 1

    /// The role's name, for logs.
    package var description: String {
        switch self {
        case .peer: "peer"
        case .client: "client"
        }
    }
}

/// The first message on every connection, sent by the side that connected.
///
/// The magic and the version sit at fixed offsets in every protocol version, so that any build can recognise
/// a Padlock handshake and refuse a version it does not speak before reading anything else.
package struct Handshake: Hashable, Sendable {
    /// The four bytes after the kind byte of every handshake: `PDLK`.
    package static let magic: [UInt8] = Array("PDLK".utf8)

    /// The protocol version the sender speaks.
    package var version: ProtocolVersion
    /// Whether the sender is a node or a client.
    package var role: ConnectionRole
    /// The cluster the sender believes it is talking to.
    package var cluster: ClusterID
    /// For a peer, the connecting node's id; for a client, the client instance's own number (0 when it has none).
    package var node: NodeID
    /// Opaque proof of identity, checked by the server; at most ``WireLimits/credentialsByteCountMax`` bytes.
    package var credentials: [UInt8]

    /// Creates a handshake; `version` defaults to the one this build speaks.
    package init(
        version: ProtocolVersion = .current, role: ConnectionRole, cluster: ClusterID, node: NodeID,
        credentials: [UInt8] = []
    ) {
        self.version = version
        self.role = role
        self.cluster = cluster
        self.node = node
        self.credentials = credentials
    }
}

extension Handshake: WireBody {
    package static var kind: MessageKind { .handshake }

    package func write(to writer: inout ByteWriter) {
        writer.writeRaw(Self.magic)
        writer.writeUInt16(version.rawValue)
        writer.writeUInt8(role.rawValue)
        writer.writeUInt64(cluster.rawValue)
        writer.writeVarint(node.rawValue)
        writer.writeBytes(credentials)
    }

    package static func read(from reader: inout ByteReader) throws -> Handshake {
        let received = try reader.readRaw(count: magic.count)
        guard received == magic else { throw WireError.wrongMagic(received: received) }
        let version = ProtocolVersion(try reader.readUInt16())
        // Everything after the version may differ between versions, so a mismatch stops the decoding here.
        guard ProtocolVersion.supported.contains(version) else {
            throw WireError.versionMismatch(received: version, supported: .current)
        }
        return Handshake(
            version: version,
            role: try reader.readEnum(ConnectionRole.self),
            cluster: ClusterID(try reader.readUInt64()),
            node: NodeID(try reader.readVarint()),
            credentials: try reader.readBytes(maxCount: WireLimits.credentialsByteCountMax)
        )
    }
}

/// Why a server refused a handshake.
package enum RefusalReason: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The protocol versions differ; the message names both.
    case versionMismatch = 1
    /// The handshake names another cluster.
    case wrongCluster = 2
    /// The credentials were not accepted.
    case badCredentials = 3
    /// A client on the peer port or a peer on the client port.
    case wrongRole = 4
    /// The server has reached its connection limit.
    case overloaded = 5
    /// A peer handshake named a node that is not a member of the cluster.
    case notMember = 6

    /// The reason in words, for logs.
    package var description: String {
        switch self {
        case .versionMismatch: "protocol version mismatch"
        case .wrongCluster: "wrong cluster"
        case .badCredentials: "credentials refused"
        case .wrongRole: "wrong role for this port"
        case .overloaded: "too many connections"
        case .notMember: "not a member of this cluster"
        }
    }
}

/// The server's answer to a ``Handshake``. After a refusal the server closes the connection.
///
/// Its layout is frozen across protocol versions, so that a client of any version can read why it was refused.
package enum HandshakeAnswer: Hashable, Sendable {
    /// The connection is open for requests; `node` is the answering node's id.
    case accepted(node: NodeID)
    /// The connection is refused, with a code and a sentence saying what to do.
    case refused(reason: RefusalReason, message: String)
}

extension HandshakeAnswer: WireBody {
    package static var kind: MessageKind { .handshakeAnswer }

    package func write(to writer: inout ByteWriter) {
        switch self {
        case .accepted(let node):
            writer.writeUInt8(HandshakeAnswerTag.accepted.rawValue)
            writer.writeVarint(node.rawValue)
        case .refused(let reason, let message):
            writer.writeUInt8(HandshakeAnswerTag.refused.rawValue)
            writer.writeUInt8(reason.rawValue)
            writer.writeString(message)
        }
    }

    package static func read(from reader: inout ByteReader) throws -> HandshakeAnswer {
        switch try reader.readEnum(HandshakeAnswerTag.self) {
        case .accepted:
            return .accepted(node: NodeID(try reader.readVarint()))
        case .refused:
            let reason = try reader.readEnum(RefusalReason.self)
            return .refused(
                reason: reason, message: try reader.readString(maxByteCount: WireLimits.messageByteCountMax))
        }
    }
}

/// The one-byte tag of each ``HandshakeAnswer`` case; named so that an unknown tag's error says whose it was.
enum HandshakeAnswerTag: UInt8 {
    case accepted = 0
    case refused = 1
}

extension HandshakeAnswer {
    /// The refusal a server sends back for a handshake that failed to decode, when the peer can still read it.
    ///
    /// Only a version mismatch is worth answering: the peer spoke Padlock and can read the frozen answer layout.
    /// Any other error means the peer does not speak Padlock (or is broken); the server just closes.
    package static func refusal(for error: WireError) -> HandshakeAnswer? {
        guard case .versionMismatch = error else { return nil }
        return .refused(reason: .versionMismatch, message: error.description)
    }
}

import PadlockTypes
import Raft
import Wire

/// The first byte of a peer payload that carries Raft traffic. `Wire`'s ``Wire/MessageKind`` owns 1–5.
package enum PeerPayloadKind: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// A batch of Raft messages for one peer: everything queued for it, in one frame.
    case raftMessages = 16
    /// One chunk of a snapshot message.
    case snapshotChunk = 17
    /// The listening node's nonce and proof of the cluster secret (``PeerChallenge``).
    case peerChallenge = 18
    /// The dialing node's proof of the cluster secret (``PeerChallengeResponse``).
    case peerChallengeResponse = 19
    /// The dialing node's incarnation, its first frame once the link is accepted (``PeerIdentity``).
    case peerIdentity = 20
    /// The sender's wall clock (``PeerClockReading``).
    case clockReading = 21

    /// The kind's name, for logs.
    package var description: String {
        switch self {
        case .raftMessages: "raft messages"
        case .snapshotChunk: "snapshot chunk"
        case .peerChallenge: "peer challenge"
        case .peerChallengeResponse: "peer challenge response"
        case .peerIdentity: "peer identity"
        case .clockReading: "clock reading"
        }
    }
}

/// Everything that can arrive on a peer connection, as ``PeerWire/decode(_:limits:)`` returns it.
///
/// The connecting node sends a `Handshake` with role `.peer` first and the listening node answers with a
/// `HandshakeAnswer`; after that both sides send Raft traffic only.
package enum PeerPayload: Hashable, Sendable {
    /// The first message of the connection.
    case handshake(Handshake)
    /// The answer to it.
    case handshakeAnswer(HandshakeAnswer)
    /// A batch of Raft messages, in the order they were sent; never empty and never holding a snapshot.
    case messages([Message])
    /// One chunk of a snapshot message, for a ``SnapshotAssembler``.
    case snapshotChunk(SnapshotChunk)
    /// The listener's proof of the cluster secret, when the handshake carried a nonce.
    case challenge(PeerChallenge)
    /// The dialer's proof of the cluster secret.
    case challengeResponse(PeerChallengeResponse)
    /// The dialer's incarnation, announced once its link is accepted.
    case identity(PeerIdentity)
    /// The sender's wall clock.
    case clockReading(PeerClockReading)

    /// The frame payload this value decodes from; a decoded payload re-encodes to exactly its bytes.
    ///
    /// `limits` are the receiver's; a value that breaks them (an empty batch, a batch holding a snapshot, a
    /// count over a bound) is a programmer error, because the receiver would refuse it.
    package func encoded(limits: PeerWireLimits = .default) -> [UInt8] {
        switch self {
        case .handshake(let handshake): handshake.encoded()
        case .handshakeAnswer(let answer): answer.encoded()
        case .messages(let messages): PeerWire.encodeBatch(messages, limits: limits)
        case .snapshotChunk(let chunk): chunk.encoded(limits: limits)
        case .challenge(let challenge): challenge.encoded()
        case .challengeResponse(let response): response.encoded()
        case .identity(let identity): identity.encoded()
        case .clockReading(let reading): reading.encoded()
        }
    }
}

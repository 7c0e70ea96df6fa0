import PadlockTypes

/// The listening node's answer to a peer handshake that carried a nonce, when the cluster has a secret: its
/// own fresh nonce and its proof of the secret over both (`docs/wire.md`, "Peer authentication").
///
/// ```
/// PeerChallenge = kind 18 · nonce raw(32) · proof raw(32)
/// ```
public struct PeerChallenge: Hashable, Sendable {
    /// The bytes of a nonce and of a proof.
    public static let fieldByteCount = 32

    /// The listener's fresh nonce.
    public var nonce: [UInt8]
    /// The listener's HMAC over the transcript.
    public var proof: [UInt8]

    /// A challenge; both fields must be ``fieldByteCount`` bytes.
    public init(nonce: [UInt8], proof: [UInt8]) {
        self.nonce = nonce
        self.proof = proof
    }

    /// The frame payload.
    public func encoded() -> [UInt8] {
        precondition(
            nonce.count == Self.fieldByteCount && proof.count == Self.fieldByteCount,
            "a peer challenge needs a \(Self.fieldByteCount)-byte nonce and proof; got \(nonce.count) and \(proof.count)"
        )
        return [PeerPayloadKind.peerChallenge.rawValue] + nonce + proof
    }
}

/// The dialing node's proof of the secret, sent after it checked the listener's ``PeerChallenge``.
///
/// ```
/// PeerChallengeResponse = kind 19 · proof raw(32)
/// ```
public struct PeerChallengeResponse: Hashable, Sendable {
    /// The dialer's HMAC over the transcript.
    public var proof: [UInt8]

    /// A response; the proof must be ``PeerChallenge/fieldByteCount`` bytes.
    public init(proof: [UInt8]) { self.proof = proof }

    /// The frame payload.
    public func encoded() -> [UInt8] {
        precondition(
            proof.count == PeerChallenge.fieldByteCount,
            "a peer challenge response needs a \(PeerChallenge.fieldByteCount)-byte proof; got \(proof.count)")
        return [PeerPayloadKind.peerChallengeResponse.rawValue] + proof
    }
}

extension PeerReader {
    mutating func readChallenge() throws(PeerWireError) -> PeerChallenge {
        PeerChallenge(
            nonce: try raw(count: PeerChallenge.fieldByteCount), proof: try raw(count: PeerChallenge.fieldByteCount))
    }

    mutating func readChallengeResponse() throws(PeerWireError) -> PeerChallengeResponse {
        PeerChallengeResponse(proof: try raw(count: PeerChallenge.fieldByteCount))
    }
}

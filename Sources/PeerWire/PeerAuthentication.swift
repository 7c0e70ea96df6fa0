import PadlockTypes

/// The listening node's answer to a peer handshake that carried a nonce, when the cluster has a secret: its
/// own fresh nonce and its proof of the secret over both (`docs/wire.md`, "Peer authentication").
///
/// ```
/// PeerChallenge = kind 18 · nonce raw(32) · proof raw(32)
/// ```
package struct PeerChallenge: Hashable, Sendable {
    /// The bytes of a nonce and of a proof.
    package static let fieldByteCount = 32

    /// The listener's fresh nonce.
    package var nonce: [UInt8]
    /// The listener's HMAC over the transcript.
    package var proof: [UInt8]

    /// A challenge; both fields must be ``fieldByteCount`` bytes.
    package init(nonce: [UInt8], proof: [UInt8]) {
        self.nonce = nonce
        self.proof = proof
    }

    /// The frame payload.
    package func encoded() -> [UInt8] {
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
package struct PeerChallengeResponse: Hashable, Sendable {
    /// The dialer's HMAC over the transcript.
    package var proof: [UInt8]

    /// A response; the proof must be ``PeerChallenge/fieldByteCount`` bytes.
    package init(proof: [UInt8]) { self.proof = proof }

    /// The frame payload.
    package func encoded() -> [UInt8] {
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

    mutating func readIdentity() throws(PeerWireError) -> PeerIdentity {
        var incarnation: UInt64 = 0
        for byte in try raw(count: 8) { incarnation = incarnation << 8 | UInt64(byte) }
        return PeerIdentity(incarnation: incarnation)
    }
}

/// The dialing node's incarnation: the random number its data directory was created with. The dialer sends
/// it as its first frame once the listener accepted the link, and every Raft message on the link is then
/// checked against the incarnation the cluster recorded for that node (`docs/wire.md`, "Peer identity").
///
/// ```
/// PeerIdentity = kind 20 · incarnation u64
/// ```
package struct PeerIdentity: Hashable, Sendable {
    /// The dialer's incarnation; never 0 from a correct node.
    package var incarnation: UInt64

    /// An identity announcement.
    package init(incarnation: UInt64) { self.incarnation = incarnation }

    /// The frame payload.
    package func encoded() -> [UInt8] {
        ByteWriter.tagged(PeerPayloadKind.peerIdentity, capacity: 9) { $0.writeUInt64(incarnation) }
    }
}

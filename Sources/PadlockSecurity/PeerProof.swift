import Crypto

/// The peer handshake's mutual proof of the cluster secret (`docs/security.md`, "Peer authentication").
///
/// The dialing node sends a fresh nonce in its handshake; the listening node answers with a fresh nonce of its
/// own and its proof; the dialer checks it and sends its proof; the listener checks that and accepts the link.
/// Each proof is an HMAC-SHA256 under the cluster secret over a domain-separated transcript: the protocol
/// label, the prover's side, the cluster id, both node ids and both nonces, all of fixed length. A proof is
/// good for one connection only (the other side's nonce is new each time), cannot be reflected (the side is in
/// the transcript), and is compared in constant time.
package struct PeerProof: Sendable {
    /// Which side of a peer link proves.
    package enum Side: UInt8, Sendable {
        /// The node that connected and sent the handshake.
        case dialer = 1
        /// The node that accepted the connection.
        case listener = 2
    }

    /// The bytes of each nonce.
    package static let nonceByteCount = 32
    /// The bytes of each proof (an HMAC-SHA256).
    package static let proofByteCount = 32
    /// Names the protocol and its version inside every transcript, so a proof can mean nothing else.
    static let label = Array("padlock peer handshake proof v1".utf8)

    /// The secret's bytes (kept as bytes: `SymmetricKey` is not `Sendable`).
    private let secret: [UInt8]

    /// A prover and checker for `secret`, the cluster secret file's bytes.
    package init(secret: [UInt8]) {
        self.secret = secret
    }

    /// A fresh random nonce.
    package static func nonce() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<nonceByteCount).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// The proof `side` sends for one link.
    package func proof(
        side: Side, cluster: UInt64, dialer: UInt64, listener: UInt64, dialerNonce: [UInt8], listenerNonce: [UInt8]
    ) -> [UInt8] {
        precondition(
            dialerNonce.count == Self.nonceByteCount && listenerNonce.count == Self.nonceByteCount,
            "nonces must be \(Self.nonceByteCount) bytes; got \(dialerNonce.count) and \(listenerNonce.count)")
        var transcript = Self.label
        transcript.append(0)
        transcript.append(side.rawValue)
        for number in [cluster, dialer, listener] {
            for shift in stride(from: 56, through: 0, by: -8) {
                transcript.append(UInt8(truncatingIfNeeded: number >> shift))
            }
        }
        transcript += dialerNonce
        transcript += listenerNonce
        return Array(HMAC<SHA256>.authenticationCode(for: transcript, using: SymmetricKey(data: secret)))
    }

    /// Whether `received` is the proof `side` must send for this link, compared in constant time.
    package func verify(
        _ received: [UInt8], side: Side, cluster: UInt64, dialer: UInt64, listener: UInt64, dialerNonce: [UInt8],
        listenerNonce: [UInt8]
    ) -> Bool {
        guard received.count == Self.proofByteCount, dialerNonce.count == Self.nonceByteCount,
            listenerNonce.count == Self.nonceByteCount
        else { return false }
        let expected = proof(
            side: side, cluster: cluster, dialer: dialer, listener: listener, dialerNonce: dialerNonce,
            listenerNonce: listenerNonce)
        return Self.constantTimeEqual(expected, received)
    }

    /// Equal lengths and bytes, in time that depends only on the length.
    package static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}

import EventLoop
import Logging
import Node
import PadlockSecurity
import PadlockTypes
import PeerWire
import Raft
import Wire

/// A peer's sending link, as accepted on this node's peer port: a handshake that must name a member of this
/// cluster, then Raft traffic only, every message checked to come from the node the handshake named.
final class InboundPeer {
    let connection: TCPConnection
    var remote: NodeID?
    var assembler = SnapshotAssembler()
    /// The incarnation the peer announced on this link (0 until it does).
    var incarnation: UInt64 = 0
    /// While the peer has yet to prove the cluster secret: who it claims to be and both nonces.
    var challenge: (node: NodeID, dialerNonce: [UInt8], listenerNonce: [UInt8])?

    init(connection: TCPConnection) { self.connection = connection }
}

extension PeerTransport {
    /// A new connection on the peer port: it waits in the gate's pending pool (with its handshake deadline)
    /// until it proves to be a member; only then does it count against that member's links.
    func accepted(_ connection: TCPConnection) {
        guard !closing else {
            connection.abort()
            return
        }
        guard gate.admit(connection, on: .peer) else { return }
        let peer = InboundPeer(connection: connection)
        inbound[connection.number] = peer
        connection.onFrame = { [unowned self, unowned peer] payload in self.received(payload, from: peer) }
        connection.onClose = { [unowned self] closed in
            self.gate.closed(connection)
            if let remote = self.inbound.removeValue(forKey: connection.number)?.remote {
                self.logger.debug("peer's link closed", metadata: ["peer": "\(remote)", "reason": "\(closed.reason)"])
            }
        }
    }

    private func received(_ payload: [UInt8], from peer: InboundPeer) {
        let decoded: PeerPayload
        do {
            decoded = try PeerWire.decode(payload)
        } catch {
            drop(peer, "undecodable peer frame: \(error)", answer: Self.refusal(for: error))
            return
        }
        guard let remote = peer.remote else {
            if let challenge = peer.challenge {
                checkProof(decoded, challenge, peer)
                return
            }
            guard case .handshake(let handshake) = decoded else {
                drop(peer, "the first frame on the peer port was not a handshake", answer: nil)
                return
            }
            admit(handshake, peer)
            return
        }
        switch decoded {
        case .messages(let messages):
            for message in messages {
                guard message.from == remote, message.to == selfID else {
                    metrics.peerMessagesRefused.increment()
                    logger.warning(
                        "dropping a peer message with a forged sender or recipient",
                        metadata: ["link": "\(remote)", "from": "\(message.from)", "to": "\(message.to)"])
                    continue
                }
                events.onPeerMessage(message, peer.incarnation)
            }
        case .snapshotChunk(let chunk):
            receiveChunk(chunk, from: peer, remote: remote)
        case .identity(let identity) where peer.incarnation == 0 && identity.incarnation != 0:
            peer.incarnation = identity.incarnation
        case .identity:
            drop(peer, "a second or zero incarnation announcement on a peer link", answer: nil)
        case .clockReading(let reading):
            events.onPeerClock(remote, reading.wallMilliseconds)
        case .handshake, .handshakeAnswer, .challenge, .challengeResponse:
            drop(peer, "a second handshake on an open peer link", answer: nil)
        }
    }

    private func receiveChunk(_ chunk: SnapshotChunk, from peer: InboundPeer, remote: NodeID) {
        guard chunk.from == remote, chunk.to == selfID else {
            drop(peer, "a snapshot chunk with a forged sender or recipient", answer: nil)
            return
        }
        do {
            if let message = try peer.assembler.add(chunk) {
                events.onPeerMessage(message, peer.incarnation)
            }
        } catch {
            logger.warning("snapshot transfer refused", metadata: ["peer": "\(remote)", "reason": "\(error)"])
            peer.assembler.discard()
        }
    }

    /// Checks a peer handshake: a peer (not a client) of this cluster, naming a member other than this node.
    private func admit(_ handshake: Handshake, _ peer: InboundPeer) {
        let node = handshake.node
        let known = membership.map { $0.configuration.members.contains(node) || $0.addresses[node] != nil } ?? false
        if handshake.role != .peer {
            refuse(
                peer.connection, .wrongRole, "wrong-role", "this is the peer port; clients connect to the client port")
        } else if handshake.cluster.rawValue != clusterID {
            refuse(
                peer.connection, .wrongCluster, "wrong-cluster",
                "this node belongs to cluster \(clusterID), not \(handshake.cluster.rawValue)")
        } else if node == selfID || node.rawValue == 0 || !known {
            refuse(peer.connection, .notMember, "not-member", "\(node) is not a member of cluster \(clusterID)")
        } else if let secret = settings.clusterSecret {
            guard handshake.credentials.count == PeerProof.nonceByteCount else {
                metrics.peerProofsRefused.increment()
                refuse(
                    peer.connection, .badCredentials, "no-secret",
                    "this cluster authenticates peers; set cluster-secret-file")
                return
            }
            let nonce = PeerProof.nonce()
            let proof = PeerProof(secret: secret).proof(
                side: .listener, cluster: clusterID, dialer: node.rawValue, listener: selfID.rawValue,
                dialerNonce: handshake.credentials, listenerNonce: nonce)
            peer.challenge = (node, handshake.credentials, nonce)
            gate.progressed(peer.connection)
            _ = peer.connection.send(PeerChallenge(nonce: nonce, proof: proof).encoded())
            return
        } else {
            accept(node, peer)
        }
    }

    /// The link proved to come from `node`: it leaves the pending pool; the member's oldest links beyond
    /// `peerLinksPerMemberMax` (ones its restarts left behind) are closed.
    private func accept(_ node: NodeID, _ peer: InboundPeer) {
        peer.remote = node
        peer.challenge = nil
        gate.authenticated(peer.connection)
        let links = inbound.values.filter { $0.remote == node }.sorted { $0.connection.number < $1.connection.number }
        for stale in links.dropLast(gate.settings.peerLinksPerMemberMax) {
            logger.info("closing an older link of the same peer", metadata: ["peer": "\(node)"])
            stale.connection.close()
        }
        _ = peer.connection.send(HandshakeAnswer.accepted(node: selfID).encoded())
        logger.info("peer link accepted", metadata: ["peer": "\(node)"])
    }

    /// The dialer's answer to this node's challenge: its proof of the cluster secret for this link's nonces.
    private func checkProof(
        _ decoded: PeerPayload, _ challenge: (node: NodeID, dialerNonce: [UInt8], listenerNonce: [UInt8]),
        _ peer: InboundPeer
    ) {
        guard case .challengeResponse(let response) = decoded, let secret = settings.clusterSecret,
            PeerProof(secret: secret).verify(
                response.proof, side: .dialer, cluster: clusterID, dialer: challenge.node.rawValue,
                listener: selfID.rawValue, dialerNonce: challenge.dialerNonce, listenerNonce: challenge.listenerNonce)
        else {
            metrics.peerProofsRefused.increment()
            refuse(
                peer.connection, .badCredentials, "bad-secret", "\(challenge.node) did not prove the cluster secret")
            return
        }
        accept(challenge.node, peer)
    }

    func refuse(_ connection: TCPConnection, _ reason: RefusalReason, _ label: String, _ message: String) {
        gate.refused(connection, on: .peer, reason: label, detail: message)
        _ = connection.send(HandshakeAnswer.refused(reason: reason, message: message).encoded())
        connection.close()
    }

    private func drop(_ peer: InboundPeer, _ reason: String, answer: HandshakeAnswer?) {
        if let remote = peer.remote {
            logger.warning(
                "closing a peer connection",
                metadata: [
                    "peer": "\(remote)", "source": "\(peer.connection.remoteHost ?? "unknown")", "reason": "\(reason)",
                ])
        } else {
            gate.refused(peer.connection, on: .peer, reason: "garbage", detail: "closing a peer connection: \(reason)")
        }
        if let answer { _ = peer.connection.send(answer.encoded()) }
        peer.connection.close()
    }

    /// A version mismatch is answered (the other side can read the frozen refusal layout); nothing else is.
    static func refusal(for error: PeerWireError) -> HandshakeAnswer? {
        if case .handshake(let wire) = error { return HandshakeAnswer.refusal(for: wire) }
        return nil
    }
}

import Logging

// TLS inside the connection: the owner still sends and receives plaintext frames, and the session turns
// them into records. Reading drives the handshake; sends made before it completes wait in the session.

extension TCPConnection {
    /// Whether this connection is encrypted (made by a listener or connect given a `TLSContext`).
    package var usesTLS: Bool { tls != nil }

    /// Takes the first handshake step: a client writes its hello; a server just waits for one.
    func startTLSIfNeeded() {
        guard let tls, !tls.hasStarted, state == .open else { return }
        tls.hasStarted = true
        advanceHandshake(tls)
    }

    /// Ciphertext arrived: feed it to OpenSSL, move the handshake on, then decrypt what is complete into the
    /// frame decoder. The read buffer is free again once the bytes are in the session, so it receives the
    /// plaintext.
    func receivedCiphertext(_ bytes: UnsafeRawBufferPointer, session: TLSSession) {
        session.feed(bytes)
        if !session.isEstablished {
            guard advanceHandshake(session) else { return }
        }
        let end = session.readPlaintext(into: readBuffer) { plaintext in decoder.append(plaintext) }
        // Reading can produce records to send back (alerts, key updates).
        guard flushCiphertext(session, accountedBytes: 0) else { return }
        switch end {
        case .drained:
            break
        case .peerClosed:
            finish(.peerClosed)
        case .failed(let reason):
            failTLS(reason)
        }
    }

    /// Runs the handshake as far as it goes and writes what it produced; on completion writes the sends that
    /// waited for it. Returns true once the handshake is complete and the connection still open.
    @discardableResult
    func advanceHandshake(_ session: TLSSession) -> Bool {
        switch session.handshake() {
        case .inProgress:
            flushCiphertext(session, accountedBytes: 0)
            return false
        case .failed(let reason):
            failTLS(reason)
            return false
        case .established:
            guard flushCiphertext(session, accountedBytes: 0) else { return false }
            core.logger.debug("TLS handshake complete", metadata: ["connection": "\(number)"])
            let waiting = session.pendingSends
            session.pendingSends = []
            session.pendingBytes = 0
            for send in waiting where state == .open {
                _ = encryptAndWrite(send.payload, accountedBytes: send.accountedBytes, session: session)
            }
            return state == .open
        }
    }

    /// `send` on a TLS connection, once the size checks passed: writes now, or waits for the handshake.
    func sendEncrypted(_ payload: [UInt8], accountedBytes: Int, session: TLSSession) -> SendAnswer {
        queuedWriteBytes += accountedBytes
        guard session.isEstablished else {
            session.pendingSends.append((payload, accountedBytes))
            session.pendingBytes += accountedBytes
            return .queued
        }
        return encryptAndWrite(payload, accountedBytes: accountedBytes, session: session) ? .queued : .closed
    }

    /// Encrypts one send and writes its records as one write that holds `accountedBytes` of the queue.
    private func encryptAndWrite(_ payload: [UInt8], accountedBytes: Int, session: TLSSession) -> Bool {
        if let reason = session.write(payload, prefixed: limits.framing == .lengthPrefixed) {
            queuedWriteBytes -= accountedBytes
            droppedWriteBytes += accountedBytes
            failTLS(reason)
            return false
        }
        return flushCiphertext(session, accountedBytes: accountedBytes)
    }

    /// Before an orderly close: queues close_notify, or drops the sends still waiting for a handshake
    /// that will not finish now.
    func prepareTLSForClose() {
        guard let tls else { return }
        dropPendingSends(tls)
        tls.shutdown()
        flushCiphertext(tls, accountedBytes: 0)
    }

    /// A handshake, certificate check or record failed: logs OpenSSL's reason, writes any alert OpenSSL
    /// queued for the peer, and closes with `.tlsFailed`.
    func failTLS(_ reason: String) {
        guard state == .open || state == .flushing else { return }
        core.logger.warning(
            "closing connection: TLS failed", metadata: ["connection": "\(number)", "reason": "\(reason)"])
        closeReason = closeReason ?? .tlsFailed(reason)
        guard state == .open, let tls else {
            finish(.tlsFailed(reason))
            return
        }
        dropPendingSends(tls)
        flushCiphertext(tls, accountedBytes: 0)
        shutDownStream()
    }

    /// What a peer's end of stream or reset means on a TLS connection whose handshake has not finished.
    func handshakeInterruption() -> CloseReason? {
        guard let tls, !tls.isEstablished else { return nil }
        return .tlsFailed("the peer closed the connection during the TLS handshake")
    }

    private func dropPendingSends(_ session: TLSSession) {
        queuedWriteBytes -= session.pendingBytes
        droppedWriteBytes += session.pendingBytes
        session.pendingSends = []
        session.pendingBytes = 0
    }
}

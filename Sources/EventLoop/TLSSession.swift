import COpenSSL

/// One connection's TLS state: an OpenSSL `SSL` between two memory BIOs. Ciphertext read from the socket
/// goes into `incoming`; OpenSSL's output (handshake records, encrypted frames, alerts) collects in
/// `outgoing` until the connection writes it to the socket. No socket is ever given to OpenSSL, so libuv
/// stays the only code that does I/O, and the session is driven from the loop thread like the rest.
///
/// Owned by one `TCPConnection`; `free()` runs when its handle closes.
final class TLSSession {
    /// Where the handshake stands after feeding it.
    enum HandshakeStep: Equatable {
        case inProgress
        case established
        case failed(String)
    }

    /// How a plaintext read ended.
    enum ReadEnd: Equatable {
        /// Every complete record was decrypted; more ciphertext is needed.
        case drained
        /// The peer sent close_notify.
        case peerClosed
        case failed(String)
    }

    private var ssl: OpaquePointer?
    private let incoming: OpaquePointer
    private let outgoing: OpaquePointer
    private(set) var isEstablished = false
    /// Whether the first handshake step ran (on the client side, the one that sends its hello).
    var hasStarted = false
    /// Sends made before the handshake finished, in order, each with the bytes it counts in the write
    /// queue; written as soon as the handshake completes.
    var pendingSends: [(payload: [UInt8], accountedBytes: Int)] = []
    var pendingBytes = 0
    /// Plaintext is copied here, one record's worth at a time, so a frame's prefix and the start of its
    /// payload go out in one record without allocating per frame.
    private let staging: UnsafeMutableRawBufferPointer

    /// The most plaintext one TLS record carries.
    static let recordBytes = 16 * 1024

    init?(context: TLSContext, serverName: String?) {
        guard let ssl = SSL_new(context.context) else { return nil }
        guard let incoming = BIO_new(BIO_s_mem()), let outgoing = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            return nil
        }
        // The SSL owns both BIOs from here on and frees them with itself.
        SSL_set_bio(ssl, incoming, outgoing)
        self.ssl = ssl
        self.incoming = incoming
        self.outgoing = outgoing
        staging = .allocate(byteCount: TLSSession.recordBytes, alignment: 16)
        switch context.side {
        case .server:
            SSL_set_accept_state(ssl)
        case .client:
            SSL_set_connect_state(ssl)
            if let serverName, padlock_ssl_expect_server_name(ssl, serverName) != 1 {
                free()
                return nil
            }
        }
    }

    /// Releases the SSL and its BIOs; later calls do nothing.
    func free() {
        guard let ssl else { return }
        SSL_free(ssl)
        self.ssl = nil
        staging.deallocate()
        pendingSends = []
    }

    /// Hands ciphertext read from the socket to OpenSSL. A memory BIO grows as needed, so it takes it all.
    func feed(_ bytes: UnsafeRawBufferPointer) {
        guard ssl != nil, let base = bytes.baseAddress, !bytes.isEmpty else { return }
        var written = 0
        let status = BIO_write_ex(incoming, base, bytes.count, &written)
        precondition(status == 1 && written == bytes.count, "memory BIO refused \(bytes.count) bytes")
    }

    /// Runs the handshake as far as the ciphertext received so far allows.
    func handshake() -> HandshakeStep {
        guard let ssl else { return .failed("session already closed") }
        if isEstablished { return .established }
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            isEstablished = true
            return .established
        }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .inProgress
        case let code:
            return .failed(failureReason(code))
        }
    }

    /// Decrypts every complete record into `buffer`, passing each piece to `deliver`.
    func readPlaintext(
        into buffer: UnsafeMutableRawBufferPointer, deliver: (UnsafeRawBufferPointer) -> Void
    )
        -> ReadEnd
    {
        guard let ssl, let base = buffer.baseAddress else { return .drained }
        while true {
            var count = 0
            if SSL_read_ex(ssl, base, buffer.count, &count) == 1 {
                deliver(UnsafeRawBufferPointer(start: base, count: count))
                continue
            }
            switch SSL_get_error(ssl, 0) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return .drained
            case SSL_ERROR_ZERO_RETURN:
                return .peerClosed
            case let code:
                return .failed(failureReason(code))
            }
        }
    }

    /// Encrypts one frame (its 4-byte prefix when `prefixed`, then `payload`) into `outgoing`, in records
    /// of at most `recordBytes`. Returns OpenSSL's reason when it refuses.
    func write(_ payload: [UInt8], prefixed: Bool) -> String? {
        guard let ssl, let stagingBase = staging.baseAddress else { return "session already closed" }
        return payload.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> String? in
            var offset = 0
            var prefixPending = prefixed
            while offset < bytes.count || prefixPending {
                var filled = 0
                if prefixPending {
                    stagingBase.storeBytes(of: UInt32(bytes.count).bigEndian, as: UInt32.self)
                    filled = FrameDecoder.prefixBytes
                    prefixPending = false
                }
                let take = min(staging.count - filled, bytes.count - offset)
                if take > 0, let source = bytes.baseAddress {
                    (stagingBase + filled).copyMemory(from: source + offset, byteCount: take)
                }
                offset += take
                filled += take
                var written = 0
                guard SSL_write_ex(ssl, stagingBase, filled, &written) == 1, written == filled else {
                    return failureReason(SSL_get_error(ssl, 0))
                }
            }
            return nil
        }
    }

    /// Queues close_notify for the peer.
    func shutdown() {
        guard let ssl, isEstablished else { return }
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// Ciphertext waiting to be written to the socket.
    var outgoingBytes: Int { Int(padlock_bio_pending(outgoing)) }

    /// Moves `count` bytes of waiting ciphertext to `destination`.
    func takeOutgoing(into destination: UnsafeMutableRawPointer, count: Int) {
        var read = 0
        let status = BIO_read_ex(outgoing, destination, count, &read)
        precondition(status == 1 && read == count, "memory BIO gave \(read) of \(count) pending bytes")
    }

    /// A sentence for a failed handshake or record: the certificate check's verdict when that was the
    /// cause, then OpenSSL's error.
    private func failureReason(_ code: Int32) -> String {
        var parts: [String] = []
        if let ssl {
            let verdict = SSL_get_verify_result(ssl)
            if verdict != X509_V_OK {
                let verdictText = String(cString: X509_verify_cert_error_string(verdict))
                parts.append("certificate verification failed: " + verdictText)
            }
        }
        if code == SSL_ERROR_SSL {
            parts.append(takeOpenSSLError())
        } else {
            parts.append("OpenSSL error \(code)")
            ERR_clear_error()
        }
        return parts.joined(separator: "; ")
    }
}

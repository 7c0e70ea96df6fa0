import COpenSSL

/// The certificates and rules for one side of TLS connections: pass it to `EventLoop.listen(...)` (server
/// side) or `EventLoop.connect(...)` (client side) and every connection made there is encrypted.
///
/// Built once at startup from PEM files; immutable afterwards. TLS 1.2 is the oldest version either side
/// accepts, and TLS 1.3 is chosen whenever both sides have it. The other side's certificate is verified
/// against `trustedCAFile` (on the client always, on the server as `clientCertificates` asks). Certificates
/// are read only here: replacing the files takes effect for contexts built afterwards (for padlockd, after a
/// restart).
///
/// OpenSSL's `SSL_CTX` may be shared by connections on several threads once it is set up, which is why the
/// type is `Sendable`; nothing changes it after `init`.
package final class TLSContext: @unchecked Sendable {
    /// Which end of the handshake connections made with this context play.
    package enum Side: Sendable, Equatable {
        case server
        case client
    }

    /// Whether a server asks its clients for certificates.
    package enum ClientCertificates: String, Sendable, Equatable, CaseIterable {
        /// Clients are not asked for a certificate.
        case none
        /// Clients are asked; one that presents a certificate must present a valid one.
        case optional
        /// Clients without a valid certificate are refused.
        case required
    }

    /// Which end this context is for.
    package let side: Side
    /// On the client side, the name the server's certificate must carry when `connect` is not told
    /// otherwise; nil means the host that was dialled.
    package let serverName: String?
    let context: OpaquePointer

    private init(side: Side, serverName: String?) throws(TLSError) {
        guard let context = SSL_CTX_new(side == .server ? TLS_server_method() : TLS_client_method()) else {
            throw TLSError(step: .setup, file: nil, reason: takeOpenSSLError())
        }
        self.side = side
        self.serverName = serverName
        self.context = context
        guard padlock_ssl_ctx_require_tls12(context) == 1 else {
            throw TLSError(step: .setup, file: nil, reason: takeOpenSSLError())
        }
        padlock_ssl_ctx_set_modes(context)
        // Padlock never resumes sessions, so TLS 1.3 tickets would be bytes for nothing.
        _ = SSL_CTX_set_num_tickets(context, 0)
    }

    deinit {
        SSL_CTX_free(context)
    }

    /// A server-side context: the certificate chain and key the server presents, and, when clients must or
    /// may present certificates, the CA bundle they are verified against.
    package static func server(
        certificateChainFile: String, privateKeyFile: String, trustedCAFile: String? = nil,
        clientCertificates: ClientCertificates = .none
    ) throws(TLSError) -> TLSContext {
        let tls = try TLSContext(side: .server, serverName: nil)
        try tls.loadIdentity(certificateChainFile: certificateChainFile, privateKeyFile: privateKeyFile)
        if let trustedCAFile { try tls.loadTrustedCertificates(trustedCAFile) }
        switch clientCertificates {
        case .none:
            SSL_CTX_set_verify(tls.context, SSL_VERIFY_NONE, nil)
        case .optional:
            SSL_CTX_set_verify(tls.context, SSL_VERIFY_PEER, nil)
        case .required:
            SSL_CTX_set_verify(tls.context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        }
        if clientCertificates != .none && trustedCAFile == nil {
            throw TLSError(
                step: .trustedCertificates, file: nil,
                reason: "client certificates are \(clientCertificates.rawValue) but no CA bundle is set")
        }
        return tls
    }

    /// A client-side context: the CA bundle the server's certificate is verified against (nil: the
    /// system's default trust store), an optional certificate chain and key to present when the server asks,
    /// and the name the server's certificate must carry (nil: the host dialled; an IP address or DNS name).
    package static func client(
        trustedCAFile: String?, certificateChainFile: String? = nil,
        privateKeyFile: String? = nil, serverName: String? = nil
    ) throws(TLSError) -> TLSContext {
        let tls = try TLSContext(side: .client, serverName: serverName)
        if let trustedCAFile {
            try tls.loadTrustedCertificates(trustedCAFile)
        } else if SSL_CTX_set_default_verify_paths(tls.context) != 1 {
            throw TLSError(step: .trustedCertificates, file: nil, reason: takeOpenSSLError())
        }
        switch (certificateChainFile, privateKeyFile) {
        case (let chain?, let key?):
            try tls.loadIdentity(certificateChainFile: chain, privateKeyFile: key)
        case (nil, nil):
            break
        case (let chain?, nil):
            throw TLSError(step: .privateKey, file: nil, reason: "certificate \(chain) given without a private key")
        case (nil, let key?):
            throw TLSError(step: .certificateChain, file: nil, reason: "private key \(key) given without a certificate")
        }
        SSL_CTX_set_verify(tls.context, SSL_VERIFY_PEER, nil)
        return tls
    }

    private func loadIdentity(certificateChainFile: String, privateKeyFile: String) throws(TLSError) {
        guard SSL_CTX_use_certificate_chain_file(context, certificateChainFile) == 1 else {
            throw TLSError(step: .certificateChain, file: certificateChainFile, reason: takeOpenSSLError())
        }
        guard SSL_CTX_use_PrivateKey_file(context, privateKeyFile, SSL_FILETYPE_PEM) == 1 else {
            // OpenSSL compares the key with the certificate while loading it.
            let reason = takeOpenSSLError()
            let step: TLSError.Step = reason.contains("key values mismatch") ? .keyMismatch : .privateKey
            throw TLSError(step: step, file: privateKeyFile, reason: reason)
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw TLSError(step: .keyMismatch, file: privateKeyFile, reason: takeOpenSSLError())
        }
    }

    private func loadTrustedCertificates(_ file: String) throws(TLSError) {
        guard SSL_CTX_load_verify_locations(context, file, nil) == 1 else {
            throw TLSError(step: .trustedCertificates, file: file, reason: takeOpenSSLError())
        }
    }
}

/// OpenSSL's oldest queued error as text, clearing the queue; a fixed phrase when the queue is empty.
func takeOpenSSLError() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    let code = buffer.withUnsafeMutableBufferPointer { padlock_ssl_take_error($0.baseAddress, $0.count) }
    guard code != 0 else { return "no reason given by OpenSSL" }
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}

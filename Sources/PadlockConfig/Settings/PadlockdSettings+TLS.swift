extension PadlockdSettings {
    /// `[tls]`: the certificate the node presents on its client port (and, with ``protectsPeers``, on peer
    /// links), and how it checks the other side's (`docs/security.md`, "TLS"). Without `[tls]` both ports are
    /// plaintext, as `padlock dev` uses on loopback.
    ///
    /// Only paths are read here; padlockd loads the files at start and stops with exit code 2 when one is
    /// missing or refused.
    package struct TLS: Hashable, Sendable {
        /// The node's certificate chain, PEM, leaf first.
        package var certificateFile: String
        /// The private key of that certificate, PEM, unencrypted.
        package var keyFile: String
        /// The CA bundle, PEM, that client certificates and (with ``protectsPeers``) other nodes'
        /// certificates are verified against. Required unless both are off.
        package var caFile: String?
        /// Whether clients of the client port are asked for certificates.
        package var clientCertificates: ClientCertificates
        /// Whether peer links are TLS too, with certificates verified both ways against ``caFile``.
        package var protectsPeers: Bool

        /// The given files and rules; nothing is checked (settings read with `parse(toml:)` have been).
        package init(
            certificateFile: String, keyFile: String, caFile: String? = nil,
            clientCertificates: ClientCertificates = .none, protectsPeers: Bool = false
        ) {
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.caFile = caFile
            self.clientCertificates = clientCertificates
            self.protectsPeers = protectsPeers
        }
    }

    /// `tls.client-certificates`: whether clients must present a certificate signed by `tls.ca-file`.
    package enum ClientCertificates: String, CaseIterable, Hashable, Sendable {
        /// Clients are not asked (tokens still authenticate them).
        case none
        /// Clients are asked; a certificate that is presented must verify.
        case optional
        /// Clients without a valid certificate are refused at the TLS handshake.
        case required
    }

    /// `[tls]`, or nil when absent.
    static func tls(_ reader: FieldReader?) throws(ConfigError) -> TLS? {
        guard let reader else { return nil }
        try reader.refuseUnknown(known: ["cert-file", "key-file", "ca-file", "client-certificates", "peer"])
        let certificateFile = try tlsPath(reader, "cert-file", must: "the path of the node's certificate chain (PEM)")
        let keyFile = try tlsPath(reader, "key-file", must: "the path of the certificate's private key (PEM)")
        var tls = TLS(certificateFile: certificateFile, keyFile: keyFile)
        let modes = ClientCertificates.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        if let text = try reader.string("client-certificates", must: "one of \(modes)") {
            guard let mode = ClientCertificates(rawValue: text) else {
                throw reader.invalid(
                    "client-certificates", "must be one of \(modes); found \"\(TOMLPath.abbreviated(text))\"")
            }
            tls.clientCertificates = mode
        }
        tls.protectsPeers = try reader.boolean("peer") ?? false
        if reader.table["ca-file"] != nil {
            let must = "the path of the CA bundle (PEM) certificates are checked against"
            tls.caFile = try tlsPath(reader, "ca-file", must: must)
        } else if tls.clientCertificates != .none || tls.protectsPeers {
            let needs = tls.protectsPeers ? "`\(reader.field("peer"))` is true" : "client certificates are checked"
            throw ConfigError(
                code: .missingField, position: reader.table.position, field: reader.field("ca-file"),
                message: "`\(reader.field("ca-file"))` is required when \(needs): the CA bundle (PEM) to verify "
                    + "certificates against")
        }
        return tls
    }

    private static func tlsPath(_ reader: FieldReader, _ key: String, must: String) throws(ConfigError) -> String {
        let path = try reader.required(try reader.string(key, must: must), key, must: must)
        return try SettingCheck.dataDirectory(path, field: reader.field(key), position: reader.position(key))
    }
}

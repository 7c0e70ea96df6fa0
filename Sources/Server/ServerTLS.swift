import EventLoop
import PadlockConfig

/// The TLS contexts padlockd serves with, loaded once at start from `[tls]` (`docs/security.md`, "TLS").
///
/// Certificates are read only here, so replacing the files takes effect at the next restart.
package struct ServerTLS: Sendable {
    /// The client port's context: the node's certificate, and client certificates as `[tls]` asks.
    package var clientPort: TLSContext
    /// The peer port's context with `peer = true`: the node's certificate, and the dialling node's
    /// required and verified against `ca-file`; nil when peer links are plaintext.
    package var peerListener: TLSContext?
    /// The context for dialling other nodes with `peer = true`: presents the node's certificate and
    /// verifies the listener's against `ca-file` and the address dialled.
    package var peerDialer: TLSContext?

    /// Loads the files `[tls]` names; a missing or refused file is a configuration error naming the field.
    package init(_ settings: PadlockdSettings.TLS) throws(ConfigError) {
        do {
            let policy = TLSContext.ClientCertificates(rawValue: settings.clientCertificates.rawValue) ?? .required
            clientPort = try TLSContext.server(
                certificateChainFile: settings.certificateFile, privateKeyFile: settings.keyFile,
                trustedCAFile: settings.caFile, clientCertificates: policy)
            guard settings.protectsPeers else { return }
            peerListener = try TLSContext.server(
                certificateChainFile: settings.certificateFile, privateKeyFile: settings.keyFile,
                trustedCAFile: settings.caFile, clientCertificates: .required)
            peerDialer = try TLSContext.client(
                trustedCAFile: settings.caFile, certificateChainFile: settings.certificateFile,
                privateKeyFile: settings.keyFile)
        } catch {
            let field = Self.field(error.step)
            throw ConfigError(code: .invalidValue, field: field, message: "`\(field)`: \(error)")
        }
    }

    private static func field(_ step: TLSError.Step) -> String {
        switch step {
        case .certificateChain: "tls.cert-file"
        case .privateKey, .keyMismatch: "tls.key-file"
        case .trustedCertificates: "tls.ca-file"
        case .setup: "tls"
        }
    }
}

/// A TLS context that could not be made: a certificate, key or CA bundle that OpenSSL refused.
///
/// Thrown by `TLSContext.server(...)` and `TLSContext.client(...)` with the file involved and OpenSSL's own
/// reason, so an operator can tell a missing file from a key that does not match its certificate.
package struct TLSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Which step of building the context failed.
    package enum Step: String, Hashable, Sendable {
        /// Loading the certificate chain (PEM, leaf first).
        case certificateChain = "certificate chain"
        /// Loading the private key (PEM).
        case privateKey = "private key"
        /// The private key does not belong to the certificate.
        case keyMismatch = "private key does not match the certificate"
        /// Loading the CA bundle that verifies the other side.
        case trustedCertificates = "CA bundle"
        /// Creating the context or setting its protocol bounds.
        case setup = "TLS setup"
    }

    /// The step that failed.
    package let step: Step
    /// The file the step read, when it read one.
    package let file: String?
    /// OpenSSL's reason, such as `error:8000000A:system library::No such file or directory`.
    package let reason: String

    /// One line for logs and for a program's exit message.
    package var description: String {
        if let file { return "\(step.rawValue) \(file): \(reason)" }
        return "\(step.rawValue): \(reason)"
    }
}

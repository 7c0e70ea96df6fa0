import EventLoop

extension PadlockClient {
    /// How a ``PadlockClient`` encrypts its connections when the cluster's client port has `[tls]`
    /// (`docs/security.md`, "TLS"). Set it as ``Configuration/tls``; nil (the default) connects in plaintext.
    public struct TLSConfiguration: Sendable, Hashable {
        /// The CA bundle (PEM) the nodes' certificates are verified against; nil uses the system's trust store.
        public var caFile: String?
        /// The client's certificate chain (PEM), for clusters that ask for client certificates; give
        /// ``keyFile`` with it.
        public var certificateFile: String?
        /// The private key (PEM) of ``certificateFile``.
        public var keyFile: String?
        /// The name every node's certificate must carry; nil means the host of the endpoint dialled (its IP
        /// address, so the certificates need IP subject alternative names).
        public var serverName: String?

        /// A TLS configuration; every field is optional (see each).
        public init(
            caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil,
            serverName: String? = nil
        ) {
            self.caFile = caFile
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.serverName = serverName
        }

        /// Loads the files into a client-side context; a missing or refused file is `invalidArgument`.
        func makeContext() throws(PadlockError) -> TLSContext {
            do {
                return try TLSContext.client(
                    trustedCAFile: caFile, certificateChainFile: certificateFile, privateKeyFile: keyFile,
                    serverName: serverName)
            } catch {
                throw .invalid("the TLS configuration cannot be used: \(error)")
            }
        }
    }
}

import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The cluster secret of a dev cluster: `DIR/cluster-secret`, random, mode 0600, named by every node's
/// configuration so that the nodes authenticate each other as a production cluster's do (docs/security.md).
extension DevCluster {
    var secretFile: URL { directory.appendingPathComponent("cluster-secret") }

    /// Creates `DIR/cluster-secret` (64 random base64 characters, mode 0600) unless it exists.
    func ensureClusterSecret() throws {
        guard !FileManager.default.fileExists(atPath: secretFile.path) else { return }
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<48).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let text = Data(bytes).base64EncodedString() + "\n"
        let descriptor = open(secretFile.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw DevClusterError.cannotWrite(secretFile.path, String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        let written = text.utf8CString.withUnsafeBytes { write(descriptor, $0.baseAddress, text.utf8.count) }
        guard written == text.utf8.count else {
            throw DevClusterError.cannotWrite(secretFile.path, String(cString: strerror(errno)))
        }
    }

    /// The `[security]` lines of a node's configuration.
    var securitySection: String {
        """
        [security]
        cluster-secret-file = "\(secretFile.path)"

        """
    }

    /// Points node `n`'s configuration at the secret when an older `padlock dev` wrote it without one (and it
    /// says nothing of peer authentication itself); returns whether it did.
    func addSecretIfMissing(node: Int) throws -> Bool {
        let file = nodeDirectory(node).appendingPathComponent("padlockd.toml")
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return false }
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let mentioned = lines.contains {
            $0 == "[security]" || $0.hasPrefix("cluster-secret-file") || $0.hasPrefix("insecure-peers")
        }
        guard !mentioned else { return false }
        try (text + "\n# Added by `padlock dev`: peers prove they know the cluster's secret.\n" + securitySection)
            .write(to: file, atomically: true, encoding: .utf8)
        return true
    }
}

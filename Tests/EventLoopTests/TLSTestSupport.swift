import Foundation
import Subprocess

/// Throwaway certificates for TLS tests, made with Debian's `openssl` command in a temporary directory:
/// CA "A" with a server certificate (SAN 127.0.0.1 and localhost) and a client certificate, and an
/// unrelated CA "B" with its own server and client certificates. Keys are P-256, valid for two days.
struct TestCertificates: Sendable {
    /// One certificate and its key, as PEM files.
    struct Identity: Sendable {
        let certificateFile: String
        let keyFile: String
    }

    let directory: String
    let caFile: String
    let server: Identity
    let client: Identity
    let otherCAFile: String
    let otherServer: Identity
    let otherClient: Identity

    /// Made once per test process; every TLS test reads the same files.
    static let shared = Task { () async throws(CertificateToolError) -> TestCertificates in try await make() }

    static func make() async throws(CertificateToolError) -> TestCertificates {
        let directory = NSTemporaryDirectory() + "padlock-tls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw CertificateToolError(command: "mkdir \(directory)", output: "\(error)")
        }
        let authorityA = try await makeAuthority(named: "a", in: directory)
        let authorityB = try await makeAuthority(named: "b", in: directory)
        return TestCertificates(
            directory: directory, caFile: authorityA.certificateFile,
            server: try await makeLeaf(named: "a-server", signedBy: authorityA, in: directory),
            client: try await makeLeaf(named: "a-client", signedBy: authorityA, in: directory),
            otherCAFile: authorityB.certificateFile,
            otherServer: try await makeLeaf(named: "b-server", signedBy: authorityB, in: directory),
            otherClient: try await makeLeaf(named: "b-client", signedBy: authorityB, in: directory))
    }

    private static func makeAuthority(
        named name: String, in directory: String
    ) async throws(CertificateToolError) -> Identity {
        let identity = Identity(certificateFile: "\(directory)/\(name)-ca.pem", keyFile: "\(directory)/\(name)-ca.key")
        try await runOpenSSL([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", identity.keyFile, "-out", identity.certificateFile, "-days", "2",
            "-subj", "/CN=Padlock test CA \(name)",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        return identity
    }

    /// A certificate for 127.0.0.1 and localhost, usable by a server or a client (no extended key usage).
    private static func makeLeaf(
        named name: String, signedBy authority: Identity,
        in directory: String
    ) async throws(CertificateToolError) -> Identity {
        let identity = Identity(certificateFile: "\(directory)/\(name).pem", keyFile: "\(directory)/\(name).key")
        let request = "\(directory)/\(name).csr"
        let extensions = "\(directory)/\(name).ext"
        let text = "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        guard FileManager.default.createFile(atPath: extensions, contents: Data(text.utf8)) else {
            throw CertificateToolError(command: "write \(extensions)", output: "")
        }
        try await runOpenSSL([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", identity.keyFile, "-out", request, "-subj", "/CN=\(name)",
        ])
        try await runOpenSSL([
            "x509", "-req", "-in", request, "-CA", authority.certificateFile, "-CAkey", authority.keyFile,
            "-set_serial", "\(UInt32.random(in: 1...UInt32.max))", "-days", "2", "-extfile", extensions,
            "-out", identity.certificateFile,
        ])
        return identity
    }

    private static func runOpenSSL(_ arguments: [String]) async throws(CertificateToolError) {
        let command = "openssl " + arguments.joined(separator: " ")
        let finished: (succeeded: Bool, output: String)
        do {
            let result = try await run(
                .path("/usr/bin/openssl"), arguments: Arguments(arguments), output: .string(limit: 1 << 20),
                error: .combinedWithOutput)
            finished = (result.terminationStatus.isSuccess, result.standardOutput)
        } catch {
            throw CertificateToolError(command: command, output: "\(error)")
        }
        guard finished.succeeded else { throw CertificateToolError(command: command, output: finished.output) }
    }
}

/// The `openssl` command failed while making test certificates.
struct CertificateToolError: Error, CustomStringConvertible {
    let command: String
    let output: String
    var description: String { "\(command) failed: \(output)" }
}

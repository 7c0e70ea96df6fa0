import PadlockConfig
import Testing

@Suite("TLS settings")
struct TLSSettingsTests {
    @Test("without [tls] the node is plaintext")
    func absentTLSIsPlaintext() throws {
        #expect(try PadlockdSettings.parse(toml: validDocument).tls == nil)
    }

    @Test("[tls] reads its files, the client-certificate policy and the peer switch")
    func fullSectionIsRead() throws {
        let settings = try PadlockdSettings.parse(
            toml: validDocument + """

                [tls]
                cert-file = "/etc/padlock/node.pem"
                key-file = "/etc/padlock/node.key"
                ca-file = "/etc/padlock/ca.pem"
                client-certificates = "required"
                peer = true
                """)
        let expected = PadlockdSettings.TLS(
            certificateFile: "/etc/padlock/node.pem", keyFile: "/etc/padlock/node.key", caFile: "/etc/padlock/ca.pem",
            clientCertificates: .required, protectsPeers: true)
        #expect(settings.tls == expected)
        #expect(try PadlockdSettings.parse(toml: settings.tomlText).tls == expected)
    }

    @Test("a server certificate alone is enough when nothing is verified")
    func certificateAloneSuffices() throws {
        let settings = try PadlockdSettings.parse(
            toml: validDocument + """

                [tls]
                cert-file = "node.pem"
                key-file = "node.key"
                """)
        #expect(settings.tls == PadlockdSettings.TLS(certificateFile: "node.pem", keyFile: "node.key"))
        #expect(try PadlockdSettings.parse(toml: settings.tomlText) == settings)
    }

    @Test(
        "mistakes in [tls] are refused with the field and what is allowed",
        arguments: [
            ("cert-file = \"a.pem\"", "tls.key-file", ConfigError.Code.missingField),
            ("key-file = \"a.key\"", "tls.cert-file", .missingField),
            (
                "cert-file = \"a.pem\"\nkey-file = \"a.key\"\nclient-certificates = \"always\"",
                "tls.client-certificates",
                .invalidValue
            ),
            (
                "cert-file = \"a.pem\"\nkey-file = \"a.key\"\nclient-certificates = \"required\"", "tls.ca-file",
                .missingField
            ),
            ("cert-file = \"a.pem\"\nkey-file = \"a.key\"\npeer = true", "tls.ca-file", .missingField),
            ("cert-file = \"a.pem\"\nkey-file = \"a.key\"\npeer = \"yes\"", "tls.peer", .wrongType),
            ("cert-file = \"\"\nkey-file = \"a.key\"", "tls.cert-file", .invalidValue),
            ("cert-file = \"a.pem\"\nkey-file = \"a.key\"\ncafile = \"ca.pem\"", "tls.cafile", .unknownField),
        ])
    func mistakesAreRefused(_ body: String, _ field: String, _ code: ConfigError.Code) {
        let error = configError { () throws(ConfigError) in
            try PadlockdSettings.parse(toml: validDocument + "\n[tls]\n" + body + "\n")
        }
        #expect(error?.field == field, "\(String(describing: error))")
        #expect(error?.code == code, "\(String(describing: error))")
        #expect(error?.message.contains(field) == true, "\(String(describing: error))")
    }
}

import Testing

@testable import PadlockConfig

/// `[connections]`: handshake deadlines, pending pools and idle limits.
@Suite struct ConnectionSettingsTests {
    @Test func defaultsApplyWithoutTheTable() throws {
        let settings = try PadlockdSettings.parse(toml: validDocument)
        #expect(settings.connections == PadlockdSettings.Connections())
        #expect(settings.connections.handshakeTimeoutMilliseconds == 10_000)
        #expect(settings.connections.clientIdleTimeoutMilliseconds == 60_000)
        #expect(settings.connections.pendingClients == 512)
        #expect(settings.connections.pendingClientsPerAddress == 64)
        #expect(settings.connections.adminRequestTimeoutMilliseconds == 10_000)
    }

    @Test func everyFieldIsReadAndWrittenBack() throws {
        let text =
            validDocument + """

                [connections]
                handshake-timeout = "3s"
                client-idle-timeout = "0s"
                pending-clients = 100
                pending-clients-per-address = 10
                admin-request-timeout = "2s"
                """
        let settings = try PadlockdSettings.parse(toml: text)
        #expect(settings.connections.handshakeTimeoutMilliseconds == 3_000)
        #expect(settings.connections.clientIdleTimeoutMilliseconds == 0)
        #expect(settings.connections.pendingClients == 100)
        #expect(settings.connections.pendingClientsPerAddress == 10)
        #expect(settings.connections.adminRequestTimeoutMilliseconds == 2_000)
        #expect(try PadlockdSettings.parse(toml: settings.tomlText) == settings)
    }

    @Test func outOfBoundsValuesAreRefusedWithTheFieldNamed() {
        let cases: [(String, String)] = [
            ("handshake-timeout = \"500ms\"", "connections.handshake-timeout"),
            ("handshake-timeout = \"10m\"", "connections.handshake-timeout"),
            ("client-idle-timeout = \"500ms\"", "connections.client-idle-timeout"),
            ("pending-clients = 0", "connections.pending-clients"),
            ("pending-clients-per-address = 100001", "connections.pending-clients-per-address"),
            ("admin-request-timeout = 10", "connections.admin-request-timeout"),
            ("handshake-timout = \"1s\"", "connections.handshake-timout"),
        ]
        for (line, field) in cases {
            let error = configError { () throws(ConfigError) in
                try PadlockdSettings.parse(toml: validDocument + "\n[connections]\n" + line + "\n")
            }
            #expect(error?.field == field, "\(line): \(String(describing: error))")
        }
    }
}

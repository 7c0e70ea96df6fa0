// A CRM app server's file imports GRDB and PadlockClient together (the fencing example does). This file compiles
// only while the client exports no top-level name that clashes with GRDB's: if `Configuration` were top-level
// again, `Configuration()` below would be ambiguous and the test target would not build.
import GRDB
import PadlockClient
import Testing

@Suite struct NamingTests {
    @Test func theClientsConfigurationIsNestedAndDoesNotClashWithGRDBs() {
        var database = Configuration()
        database.readonly = true
        var client = PadlockClient.Configuration()
        client.tls = PadlockClient.TLSConfiguration(caFile: "/etc/padlock/ca.pem")
        #expect(database.readonly)
        #expect(client.sessionTTL == .seconds(15))
        #expect(client.tls?.caFile == "/etc/padlock/ca.pem")
        let grdbType: Any.Type = Configuration.self
        #expect(String(reflecting: grdbType) == "GRDB.Configuration")
        #expect(String(reflecting: PadlockClient.Configuration.self) == "PadlockClient.PadlockClient.Configuration")
    }
}

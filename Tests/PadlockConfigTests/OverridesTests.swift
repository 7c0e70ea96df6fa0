import Testing

@testable import PadlockConfig

@Suite struct OverridesTests {
    func settings() throws -> PadlockdSettings { try PadlockdSettings.parse(toml: validDocument) }

    @Test func eachFlagReplacesItsField() throws {
        var settings = try settings()
        try settings.apply(
            overrides: .init(
                nodeID: "2", dataDirectory: "/srv/padlock", clientListen: "127.0.0.2:7401", peerListen: "[::]:7501",
                adminListen: "127.0.0.2:7601", logLevel: "trace", join: false))
        #expect(settings.nodeID == 2)
        #expect(settings.dataDirectory == "/srv/padlock")
        #expect(settings.clientListen.description == "127.0.0.2:7401")
        #expect(settings.peerListen.description == "[::]:7501")
        #expect(settings.adminListen?.description == "127.0.0.2:7601")
        #expect(settings.logLevel == .trace)
        #expect(settings.join == false)
    }

    @Test func noOverridesLeaveTheSettingsAsTheFileHadThem() throws {
        var settings = try settings()
        try settings.apply(overrides: .init())
        #expect(try settings == self.settings())
    }

    @Test func joinLetsANodeOutsideTheInitialMembersStart() throws {
        var settings = try settings()
        try settings.apply(overrides: .init(nodeID: "7", join: true))
        #expect(settings.nodeID == 7 && settings.join)
    }

    static let refusals: [(Overrides, String, String)] = [
        (.init(nodeID: "0"), "--node-id", "`--node-id` must be an integer greater than 0; found 0"),
        (.init(nodeID: "two"), "--node-id", "found `two`"),
        (.init(nodeID: "-3"), "--node-id", "must be an integer greater than 0"),
        (.init(nodeID: "99999999999999999999"), "--node-id", "must be an integer greater than 0"),
        (.init(nodeID: "4"), "--node-id", "`--node-id` is 4, which is not among members[].id (1, 2, 3)"),
        (.init(dataDirectory: ""), "--data-dir", "`--data-dir` must be a non-empty path"),
        (.init(clientListen: "127.0.0.1"), "--client-listen", "`--client-listen` must be host:port"),
        (.init(peerListen: "example.com:7501"), "--peer-listen", "is a host name"),
        (
            .init(adminListen: "127.0.0.1:7401"), "--admin-listen",
            "`--admin-listen` is 127.0.0.1:7401, which collides with `client-listen`"
        ),
        (.init(clientListen: "0.0.0.0:7501"), "--client-listen", "collides with `peer-listen`"),
        (.init(logLevel: "loud"), "--log-level", "`--log-level` must be one of \"trace\""),
    ]

    @Test(arguments: refusals)
    func aBadFlagIsRefusedNamingTheFlagAndLeavesTheSettingsUnchanged(
        _ overrides: PadlockdSettings.Overrides, flag: String, says: String
    ) throws {
        let original = try settings()
        var settings = original
        let error = configError { () throws(ConfigError) in try settings.apply(overrides: overrides) }
        #expect(error?.field == flag, "\(String(describing: error))")
        #expect(error?.message.contains(says) == true, "\(String(describing: error))")
        #expect(error?.position == nil)
        #expect(settings == original)
    }

    @Test func aFlagAndTheFieldItCollidesWithAreBothNamed() throws {
        var settings = try settings()
        let error = configError { () throws(ConfigError) in
            try settings.apply(overrides: .init(clientListen: "127.0.0.1:7601", adminListen: "127.0.0.1:7601"))
        }
        #expect(error?.field == "--admin-listen")
        #expect(error?.message.contains("collides with `--client-listen` (127.0.0.1:7601)") == true)
    }

    @Test func everyOverridableFieldHasItsFlag() {
        #expect(
            PadlockdSettings.Overrides.flags.map(\.flag) == PadlockdSettings.Overrides.flags.map { "--" + $0.field })
        #expect(Set(PadlockdSettings.Overrides.flags.map(\.field)).isSubset(of: PadlockdSettings.rootFields))
    }
}

typealias Overrides = PadlockdSettings.Overrides

import Testing

@testable import PadlockConfig

/// `[[clients]]` and `[security]`: what a good entry reads as, and a typed, clear error for each bad one.
@Suite struct ClientSettingsTests {
    static let hash = String(repeating: "ab", count: 32)

    static func client(
        name: String = "\"crm-frontend\"", hash: String = "\"\(ClientSettingsTests.hash)\"", role: String = "\"app\"",
        namespaces: String = "[\"acme\", \"globex\"]", extra: String = ""
    ) -> String {
        "[[clients]]\nname = \(name)\ntoken-sha256 = \(hash)\nrole = \(role)\nnamespaces = \(namespaces)\n\(extra)"
    }

    @Test func clientEntriesAndTheSecretFileAreRead() throws {
        let text = document(
            appending: "[security]\ncluster-secret-file = \"/etc/padlock/secret\"\n\n" + Self.client()
                + "\n"
                + Self.client(
                    name: "\"ops\"", hash: "\"\(String(repeating: "cd", count: 32))\"",
                    role: "\"admin\"", namespaces: "[\"*\"]", extra: "enabled = false\nsessions = 20\n"))
        let settings = try PadlockdSettings.parse(toml: text)
        #expect(settings.security.clusterSecretFile == "/etc/padlock/secret")
        #expect(
            settings.security.clients == [
                .init(name: "crm-frontend", tokenSHA256: Self.hash, role: .app, namespaces: ["acme", "globex"]),
                .init(
                    name: "ops", tokenSHA256: String(repeating: "cd", count: 32), role: .admin, namespaces: ["*"],
                    enabled: false, sessionsMax: 20),
            ])
        #expect(try PadlockdSettings.parse(toml: settings.tomlText) == settings, "the writer round-trips clients")
    }

    @Test func takeoverNamespacesAreReadAndWrittenBack() throws {
        let text = document(appending: Self.client(extra: "takeover = [\"acme\"]\n"))
        let settings = try PadlockdSettings.parse(toml: text)
        #expect(settings.security.clients.first?.takeover == ["acme"])
        #expect(try PadlockdSettings.parse(toml: settings.tomlText) == settings, "the writer round-trips takeover")
        let none = try PadlockdSettings.parse(toml: document(appending: Self.client()))
        #expect(none.security.clients.first?.takeover == [], "no takeover unless configured")
    }

    @Test func holdNamespacesAreReadAndWrittenBack() throws {
        let text = document(appending: Self.client(extra: "holds = [\"acme\"]\ntakeover = [\"globex\"]\n"))
        let settings = try PadlockdSettings.parse(toml: text)
        #expect(settings.security.clients.first?.holds == ["acme"])
        #expect(settings.security.clients.first?.takeover == ["globex"], "holds and takeover are separate grants")
        #expect(try PadlockdSettings.parse(toml: settings.tomlText) == settings, "the writer round-trips holds")
        let everywhere = try PadlockdSettings.parse(toml: document(appending: Self.client(extra: "holds = [\"*\"]\n")))
        #expect(everywhere.security.clients.first?.holds == ["*"])
        let none = try PadlockdSettings.parse(toml: document(appending: Self.client()))
        #expect(none.security.clients.first?.holds == [], "no holds unless configured")
    }

    @Test func quotasAreReadPerNamespaceAndWrittenBack() throws {
        let text = document(
            appending: "[quotas]\nheld-locks = 1_000\n\n[quotas.namespaces.acme]\nheld-locks = 10\nwaiters = 2\n")
        let settings = try PadlockdSettings.parse(toml: text)
        #expect(
            settings.quotas
                == .init(
                    standard: .init(heldLocksMax: 1_000), byNamespace: ["acme": .init(heldLocksMax: 10, waitersMax: 2)])
        )
        #expect(try PadlockdSettings.parse(toml: settings.tomlText) == settings)
    }

    @Test func noClientsMeansAnOpenPort() throws {
        #expect(try PadlockdSettings.parse(toml: validDocument).security == .init())
    }

    static let broken: [BrokenRule] = [
        BrokenRule(
            "a client without a name",
            document(
                appending: "[[clients]]\ntoken-sha256 = \"\(Self.hash)\"\nrole = \"app\"\nnamespaces = [\"acme\"]\n"),
            "clients[0].name", .missingField, "`clients[0].name` is required"),
        BrokenRule(
            "a client name with a space", document(appending: Self.client(name: "\"crm frontend\"")), "clients[0].name",
            .invalidValue, "letters, digits"),
        BrokenRule(
            "the token itself instead of its hash", document(appending: Self.client(hash: "\"s3cret-token\"")),
            "clients[0].token-sha256", .invalidValue, "never put the token itself here"),
        BrokenRule(
            "an unknown role", document(appending: Self.client(role: "\"owner\"")), "clients[0].role", .invalidValue,
            "must be one of admin, app, reader; found \"owner\""),
        BrokenRule(
            "no namespaces", document(appending: Self.client(namespaces: "[]")), "clients[0].namespaces",
            .invalidValue, "is empty"),
        BrokenRule(
            "a namespace with a slash", document(appending: Self.client(namespaces: "[\"acme/contacts\"]")),
            "clients[0].namespaces", .invalidValue, "cannot contain `/`"),
        BrokenRule(
            "the wildcard with others", document(appending: Self.client(namespaces: "[\"*\", \"acme\"]")),
            "clients[0].namespaces", .invalidValue, "\"*\" already means all"),
        BrokenRule(
            "namespaces as a string", document(appending: Self.client(namespaces: "\"acme\"")),
            "clients[0].namespaces", .wrongType, "must be an array of namespaces"),
        BrokenRule(
            "a misspelt field", document(appending: Self.client(extra: "enabeld = true\n")), "clients[0].enabeld",
            .unknownField, "did you mean `clients[0].enabled`?"),
        BrokenRule(
            "two clients with one name",
            document(appending: Self.client() + "\n" + Self.client(hash: "\"\(String(repeating: "01", count: 32))\"")),
            "clients[1].name", .invalidValue, "the same as `clients[0].name`"),
        BrokenRule(
            "two clients with one token", document(appending: Self.client() + "\n" + Self.client(name: "\"other\"")),
            "clients[1].token-sha256", .invalidValue, "give every client its own token"),
        BrokenRule(
            "a zero session quota", document(appending: Self.client(extra: "sessions = 0\n")), "clients[0].sessions",
            .invalidValue, "must be an integer from 1 to 1000000000; found 0"),
        BrokenRule(
            "a session quota as a string", document(appending: Self.client(extra: "sessions = \"10\"\n")),
            "clients[0].sessions", .wrongType, "must be an integer"),
        BrokenRule(
            "takeover outside the client's namespaces",
            document(appending: Self.client(extra: "takeover = [\"initech\"]\n")), "clients[0].takeover",
            .invalidValue, "not among the client's namespaces"),
        BrokenRule(
            "takeover for an admin client",
            document(appending: Self.client(role: "\"admin\"", extra: "takeover = [\"acme\"]\n")),
            "clients[0].takeover", .invalidValue, "only app clients take it"),
        BrokenRule(
            "an empty takeover list", document(appending: Self.client(extra: "takeover = []\n")),
            "clients[0].takeover", .invalidValue, "is empty"),
        BrokenRule(
            "holds outside the client's namespaces",
            document(appending: Self.client(extra: "holds = [\"initech\"]\n")), "clients[0].holds",
            .invalidValue, "\"initech\", which is not among the client's namespaces"),
        BrokenRule(
            "holds for an admin client",
            document(appending: Self.client(role: "\"admin\"", extra: "holds = [\"acme\"]\n")),
            "clients[0].holds", .invalidValue, "only app clients take it (an admin client may place and lift holds"),
        BrokenRule(
            "holds for a reader client",
            document(appending: Self.client(role: "\"reader\"", extra: "holds = [\"acme\"]\n")),
            "clients[0].holds", .invalidValue, "a reader nowhere"),
        BrokenRule(
            "an empty holds list", document(appending: Self.client(extra: "holds = []\n")), "clients[0].holds",
            .invalidValue, "is empty"),
        BrokenRule(
            "holds as a string", document(appending: Self.client(extra: "holds = \"acme\"\n")), "clients[0].holds",
            .wrongType, "must be an array of namespaces"),
        BrokenRule(
            "holds with the wildcard and a namespace",
            document(appending: Self.client(extra: "holds = [\"*\", \"acme\"]\n")), "clients[0].holds",
            .invalidValue, "\"*\" already means all of them"),
        BrokenRule(
            "a zero quota", document(appending: "[quotas]\nheld-locks = 0"), "quotas.held-locks", .invalidValue,
            "must be an integer from 1 to 1000000000; found 0"),
        BrokenRule(
            "a quota for an invalid namespace", document(appending: "[quotas.namespaces.\"a/b\"]\nwaiters = 1"),
            "quotas.namespaces.\"a/b\"", .invalidValue, "cannot contain `/`"),
        BrokenRule(
            "an unknown security field", document(appending: "[security]\nrequire-tls = true"),
            "security.require-tls", .unknownField, "unknown field `security.require-tls`"),
    ]

    @Test(arguments: broken)
    func eachBadClientEntryIsRefusedNamingTheField(_ rule: BrokenRule) {
        let error = configError { () throws(ConfigError) in try PadlockdSettings.parse(toml: rule.text) }
        #expect(error?.field == rule.field, "\(String(describing: error))")
        #expect(error?.code == rule.code, "\(String(describing: error))")
        #expect(error?.message.contains(rule.says) == true, "\(String(describing: error))")
    }
}

import Testing

@testable import PadlockConfig

/// A document that breaks one rule of the settings, and the field and words the error must have.
struct BrokenRule: Sendable, CustomTestStringConvertible {
    var text: String
    var field: String
    var code: ConfigError.Code
    var says: String
    var name: String

    init(_ name: String, _ text: String, _ field: String, _ code: ConfigError.Code, _ says: String) {
        self.name = name
        self.text = text
        self.field = field
        self.code = code
        self.says = says
    }

    var testDescription: String { name }
}

/// The valid document with one line replaced.
func replaced(_ line: String, _ replacement: String?) -> String { document(replacing: line, with: replacement) }

let clusterLine = "cluster-id = 7401"
let nodeLine = "node-id = 1"
let dataLine = "data-dir = \"/var/lib/padlock/node-1\""
let clientLine = "client-listen = \"127.0.0.1:7401\""
let peerLine = "peer-listen = \"127.0.0.1:7501\""
let memberPeerLine = "peer = \"127.0.0.2:7501\""

@Suite struct SettingsErrorTests {
    static let required: [BrokenRule] = [
        BrokenRule(
            "no cluster id", replaced(clusterLine, nil), "cluster-id", .missingField,
            "`cluster-id` is required: an integer greater than 0"),
        BrokenRule("no node id", replaced(nodeLine, nil), "node-id", .missingField, "`node-id` is required"),
        BrokenRule(
            "no data dir", replaced(dataLine, nil), "data-dir", .missingField,
            "`data-dir` is required: a non-empty path"),
        BrokenRule(
            "no client listener", replaced(clientLine, nil), "client-listen", .missingField,
            "`client-listen` is required: host:port"),
        BrokenRule(
            "no peer listener", replaced(peerLine, nil), "peer-listen", .missingField, "`peer-listen` is required"),
        BrokenRule(
            "no members", String(validDocument.prefix { $0 != "[" }), "members", .missingField,
            "`members` is required: one [[members]] section per node"),
        BrokenRule(
            "a member without a peer", replaced(memberPeerLine, nil), "members[1].peer", .missingField,
            "`members[1].peer` is required"),
        BrokenRule(
            "a member without an id", replaced("id = 3", nil), "members[2].id", .missingField,
            "`members[2].id` is required"),
    ]

    static let identities: [BrokenRule] = [
        BrokenRule(
            "cluster id 0", replaced(clusterLine, "cluster-id = 0"), "cluster-id", .invalidValue,
            "must be an integer greater than 0; found 0"),
        BrokenRule(
            "a negative node id", replaced(nodeLine, "node-id = -1"), "node-id", .invalidValue,
            "greater than 0; found -1"),
        BrokenRule(
            "a quoted cluster id", replaced(clusterLine, "cluster-id = \"7401\""), "cluster-id", .wrongType,
            "must be an integer greater than 0; found a string \"7401\""),
        BrokenRule(
            "a node that is not a member", replaced(nodeLine, "node-id = 9"), "node-id", .invalidValue,
            "is 9, which is not among members[].id (1, 2, 3)"),
        BrokenRule(
            "member id 0", replaced("id = 2", "id = 0"), "members[1].id", .invalidValue,
            "`members[1].id` must be an integer greater than 0"),
        BrokenRule(
            "a duplicate member id", replaced("id = 3", "id = 1"), "members[2].id", .invalidValue,
            "the same as `members[0].id`"),
        BrokenRule(
            "an empty data dir", replaced(dataLine, "data-dir = \"\""), "data-dir", .invalidValue, "it is empty"),
        BrokenRule(
            "a NUL in the data dir", replaced(dataLine, "data-dir = \"/x\\u0000y\""), "data-dir", .invalidValue,
            "contains a control character"),
        BrokenRule(
            "a boolean data dir", replaced(dataLine, "data-dir = true"), "data-dir", .wrongType,
            "found a boolean true"),
        BrokenRule(
            "an unknown log level",
            document(appending: "").replacingLine(peerLine, peerLine + "\nlog-level = \"verbose\""), "log-level",
            .invalidValue,
            "one of \"trace\", \"debug\", \"info\", \"notice\", \"warning\", \"error\", \"critical\"; found \"verbose\""
        ),
        BrokenRule(
            "join as a string", replaced(peerLine, peerLine + "\njoin = \"yes\""), "join", .wrongType,
            "`join` must be true or false; found a string \"yes\""),
    ]

    static let addresses: [BrokenRule] = [
        BrokenRule(
            "no port", replaced(clientLine, "client-listen = \"127.0.0.1\""), "client-listen", .invalidValue,
            "has no port"),
        BrokenRule(
            "port 0", replaced(clientLine, "client-listen = \"127.0.0.1:0\""), "client-listen", .invalidValue,
            "the port 0, outside 1-65535"),
        BrokenRule(
            "port 65536", replaced(clientLine, "client-listen = \"127.0.0.1:65536\""), "client-listen", .invalidValue,
            "outside 1-65535"),
        BrokenRule(
            "a named port", replaced(clientLine, "client-listen = \"127.0.0.1:http\""), "client-listen", .invalidValue,
            "the port `http`, which is not a number"),
        BrokenRule(
            "a host name", replaced(peerLine, "peer-listen = \"localhost:7501\""), "peer-listen", .invalidValue,
            "`localhost` is a host name; give its numeric address"),
        BrokenRule(
            "an octet above 255", replaced(peerLine, "peer-listen = \"10.0.0.256:7501\""), "peer-listen", .invalidValue,
            "is not an IPv4 address"),
        BrokenRule(
            "a leading zero", replaced(peerLine, "peer-listen = \"10.0.0.011:7501\""), "peer-listen", .invalidValue,
            "without leading zeros"),
        BrokenRule(
            "IPv6 without brackets", replaced(peerLine, "peer-listen = \"::1:7501\""), "peer-listen", .invalidValue,
            "must be written in brackets"),
        BrokenRule(
            "a bad IPv6 address", replaced(peerLine, "peer-listen = \"[1::2::3]:7501\""), "peer-listen", .invalidValue,
            "`1::2::3` is not an IPv6 address"),
        BrokenRule(
            "an IPv6 zone", replaced(peerLine, "peer-listen = \"[fe80::1%eth0]:7501\""), "peer-listen", .invalidValue,
            "zone indexes"),
        BrokenRule(
            "an unclosed bracket", replaced(peerLine, "peer-listen = \"[::1:7501\""), "peer-listen", .invalidValue,
            "without closing it"),
        BrokenRule(
            "an integer address", replaced(peerLine, "peer-listen = 7501"), "peer-listen", .wrongType,
            "must be host:port"),
        BrokenRule(
            "a wildcard member", replaced(memberPeerLine, "peer = \"0.0.0.0:7501\""), "members[1].peer", .invalidValue,
            "a wildcard; give the address others connect to"),
        BrokenRule(
            "an IPv6 wildcard member", replaced("client = \"127.0.0.3:7401\"", "client = \"[::]:7401\""),
            "members[2].client", .invalidValue, "a wildcard"),
        BrokenRule(
            "a shared member address", replaced(memberPeerLine, "peer = \"127.0.0.1:7501\""), "members[1].peer",
            .invalidValue, "already used by `members[0].peer`"),
        BrokenRule(
            "a member's peer equal to another's client", replaced(memberPeerLine, "peer = \"127.0.0.1:7401\""),
            "members[1].peer", .invalidValue, "already used by `members[0].client`"),
        BrokenRule(
            "the same address spelled differently",
            document().replacingLine("peer = \"127.0.0.3:7501\"", "peer = \"[::ffff:127.0.0.2]:7501\"").replacingLine(
                memberPeerLine, "peer = \"[::ffff:7f00:2]:7501\""), "members[2].peer", .invalidValue,
            "already used by `members[1].peer`"),
        BrokenRule(
            "colliding listeners", replaced(peerLine, "peer-listen = \"127.0.0.1:7401\""), "peer-listen", .invalidValue,
            "collides with `client-listen` (127.0.0.1:7401)"),
        BrokenRule(
            "a wildcard over a listener", replaced(peerLine, peerLine + "\nadmin-listen = \"0.0.0.0:7501\""),
            "admin-listen", .invalidValue, "collides with `peer-listen`"),
    ]

    static let members: [BrokenRule] = [
        BrokenRule(
            "members as a table", replaced(peerLine, peerLine + "\n[members]\nid = 1").cutAt("[[members]]"), "members",
            .wrongType, "must be an array of tables, written as one [[members]] section per element; found a table"),
        BrokenRule(
            "members as an empty array", replaced(peerLine, peerLine + "\nmembers = []").cutAt("[[members]]"),
            "members", .invalidValue, "must list at least 1 member"),
        BrokenRule(
            "members as integers", replaced(peerLine, peerLine + "\nmembers = [1, 2]").cutAt("[[members]]"), "members",
            .wrongType, "found an array"),
        BrokenRule("seventeen members", seventeenMembers(), "members", .invalidValue, "lists 17 members; at most 16"),
        BrokenRule(
            "a misspelled member field", replaced(memberPeerLine, "peers = \"127.0.0.2:7501\""), "members[1].peers",
            .unknownField,
            "unknown field `members[1].peers`; did you mean `members[1].peer`? "
                + "known fields of `members[1]`: client, id, peer"
        ),
    ]

    static let durations: [BrokenRule] = [
        BrokenRule(
            "a TTL below 2 s", document(appending: "[sessions]\nttl-min = \"1s\""), "sessions.ttl-min", .invalidValue,
            "must lie within 2s to 1h; found \"1s\""),
        BrokenRule(
            "a TTL above 1 h", document(appending: "[sessions]\nttl-max = \"61m\""), "sessions.ttl-max", .invalidValue,
            "within 2s to 1h"),
        BrokenRule(
            "min above max", document(appending: "[sessions]\nttl-min = \"10m\"\nttl-max = \"5m\""), "sessions.ttl-min",
            .invalidValue, "`sessions.ttl-min` must be at most `sessions.ttl-max`"),
        BrokenRule(
            "min above the default max", document(appending: "[sessions]\nttl-max = \"1s\""), "sessions.ttl-max",
            .invalidValue, "within 2s to 1h"),
        BrokenRule(
            "no unit", document(appending: "[sessions]\nttl-min = \"2\""), "sessions.ttl-min", .invalidValue,
            "`2` has no unit; write \"2ms\" or \"2s\""),
        BrokenRule(
            "a fraction", document(appending: "[sessions]\nttl-min = \"1.5s\""), "sessions.ttl-min", .invalidValue,
            "has a fraction; use a smaller unit, as in \"1500ms\""),
        BrokenRule(
            "two units", document(appending: "[raft]\ntick = \"1m30s\""), "raft.tick", .invalidValue, "combines units"),
        BrokenRule(
            "an unknown unit", document(appending: "[raft]\ntick = \"5us\""), "raft.tick", .invalidValue,
            "has the unit `us`; the units are ms, s, m and h"),
        BrokenRule(
            "a negative duration", document(appending: "[lock-delay]\ndefault = \"-1s\""), "lock-delay.default",
            .invalidValue, "is negative"),
        BrokenRule(
            "a space in a duration", document(appending: "[lock-delay]\ndefault = \"5 s\""), "lock-delay.default",
            .invalidValue, "contains a space"),
        BrokenRule(
            "a word", document(appending: "[lock-delay]\ndefault = \"off\""), "lock-delay.default", .invalidValue,
            "does not start with a number"),
        BrokenRule(
            "an integer duration", document(appending: "[raft]\ntick = 10"), "raft.tick", .wrongType,
            "must be a duration: a whole number followed by ms, s, m or h, such as \"500ms\", \"2s\" or \"1m\", "
                + "from 1ms to 1s; found an integer 10"
        ),
        BrokenRule(
            "a huge duration", document(appending: "[raft]\ntick = \"99999999999999999999ms\""), "raft.tick",
            .invalidValue, "far too long"),
        BrokenRule(
            "a lock-delay above 1 h", document(appending: "[lock-delay]\ndefault = \"2h\""), "lock-delay.default",
            .invalidValue, "within 0ms to 1h"),
        BrokenRule(
            "a namespace lock-delay above 1 h", document(appending: "[lock-delay.namespaces]\nacme = \"3601s\""),
            "lock-delay.namespaces.acme", .invalidValue, "within 0ms to 1h"),
        BrokenRule(
            "a namespace with a slash", document(appending: "[lock-delay.namespaces]\n\"acme/contacts\" = \"1s\""),
            "lock-delay.namespaces.\"acme/contacts\"", .invalidValue, "cannot contain `/`"),
        BrokenRule(
            "an empty namespace", document(appending: "[lock-delay.namespaces]\n\"\" = \"1s\""),
            "lock-delay.namespaces.\"\"", .invalidValue, "not a valid key segment: the key is empty"),
        BrokenRule(
            "a namespace with a control character", document(appending: "[lock-delay.namespaces]\n\"a\\tb\" = \"1s\""),
            "lock-delay.namespaces.\"a\\tb\"", .invalidValue, "control character"),
        BrokenRule(
            "a tick of 0 ms", document(appending: "[raft]\ntick = \"0ms\""), "raft.tick", .invalidValue,
            "within 1ms to 1s"),
        BrokenRule(
            "a tick of 2 s", document(appending: "[raft]\ntick = \"2s\""), "raft.tick", .invalidValue,
            "within 1ms to 1s"),
    ]

    static let tuning: [BrokenRule] = [
        BrokenRule(
            "a misspelled limit", document(appending: "[limits]\nsesions = 5"), "limits.sesions", .unknownField,
            "unknown field `limits.sesions`; did you mean `limits.sessions`? known fields of `limits`: "
                + "audit-records, client-connections, event-history, held-locks, locks-per-session, "
                + "pending-requests, sessions, waiters, waiters-per-key, watches-per-connection"
        ),
        BrokenRule(
            "a zero limit", document(appending: "[limits]\nwaiters-per-key = 0"), "limits.waiters-per-key",
            .invalidValue, "must be a positive integer of at most 1000000000; found 0"),
        BrokenRule(
            "a negative limit", document(appending: "[limits]\nheld-locks = -5"), "limits.held-locks", .invalidValue,
            "found -5"),
        BrokenRule(
            "a limit above the maximum", document(appending: "[limits]\nsessions = 1_000_000_001"), "limits.sessions",
            .invalidValue, "at most 1000000000"),
        BrokenRule(
            "a quoted limit", document(appending: "[limits]\nwaiters = \"10\""), "limits.waiters", .wrongType,
            "found a string \"10\""),
        BrokenRule(
            "election not above heartbeat", document(appending: "[raft]\nelection-ticks = 3\nheartbeat-ticks = 3"),
            "raft.election-ticks", .invalidValue, "`raft.election-ticks` must be greater than `raft.heartbeat-ticks`"),
        BrokenRule(
            "heartbeat above the default election", document(appending: "[raft]\nheartbeat-ticks = 10"),
            "raft.heartbeat-ticks", .invalidValue, "not greater than heartbeat-ticks (10)"),
        BrokenRule(
            "heartbeat 0", document(appending: "[raft]\nheartbeat-ticks = 0"), "raft.heartbeat-ticks", .invalidValue,
            "an integer from 1 to 1000; found 0"),
        BrokenRule(
            "election 1", document(appending: "[raft]\nelection-ticks = 1"), "raft.election-ticks", .invalidValue,
            "an integer from 2 to 10000"),
        BrokenRule(
            "no snapshots", document(appending: "[raft]\nsnapshot-entries = 0"), "raft.snapshot-entries", .invalidValue,
            "an integer from 1 to 1000000000"),
        BrokenRule(
            "a misspelled raft field", document(appending: "[raft]\nticks = \"10ms\""), "raft.ticks", .unknownField,
            "did you mean `raft.tick`?"),
        BrokenRule(
            "a misspelled top-level field", replaced(nodeLine, "node_id = 1"), "node_id", .unknownField,
            "unknown field `node_id`; did you mean `node-id`? known fields: admin-listen, client-listen"),
        BrokenRule(
            "an unknown lock-delay field", document(appending: "[lock-delay]\nacme = \"1s\""), "lock-delay.acme",
            .unknownField, "known fields of `lock-delay`: default, namespaces"),
        BrokenRule(
            "an unknown sessions field", document(appending: "sessions.ttl = \"1s\""), "members[2].sessions",
            .unknownField, "unknown field `members[2].sessions`"),
        BrokenRule(
            "sessions as a number", replaced(peerLine, peerLine + "\nsessions = 5"), "sessions", .wrongType,
            "must be a table, written [sessions]; found an integer 5"),
        BrokenRule(
            "namespaces as a string", document(appending: "[lock-delay]\nnamespaces = \"acme\""),
            "lock-delay.namespaces", .wrongType, "must be a table"),
    ]

    @Test(arguments: required + identities + addresses + members + durations + tuning)
    func eachBrokenRuleIsRefusedNamingTheFieldAndWhatIsAllowed(_ rule: BrokenRule) {
        let error = configError { () throws(ConfigError) in try PadlockdSettings.parse(toml: rule.text) }
        #expect(error?.field == rule.field, "\(String(describing: error))")
        #expect(error?.code == rule.code, "\(String(describing: error))")
        #expect(error?.message.contains(rule.says) == true, "\(String(describing: error))")
        #expect(error?.message.contains("`\(rule.field)`") == true, "the message must name the field")
    }

    @Test func errorsFromAFilePointAtTheLineOfTheField() {
        let text = document(appending: "[limits]\nwaiters = 0\n")
        let error = configError { () throws(ConfigError) in try PadlockdSettings.parse(toml: text) }
        #expect(error?.position == TOMLPosition(line: 22, column: 1))
        #expect(error?.description.hasPrefix("line 22, column 1: `limits.waiters` must be") == true)
        let missing = configError { () throws(ConfigError) in
            try PadlockdSettings.parse(toml: replaced(memberPeerLine, nil))
        }
        #expect(missing?.position == TOMLPosition(line: 12, column: 1), "the header of the member lacking the field")
    }

    @Test func unknownFieldsAreReportedBeforeMissingOnes() {
        let error = configError { () throws(ConfigError) in
            try PadlockdSettings.parse(toml: replaced(nodeLine, "nodeid = 1"))
        }
        #expect(error?.code == .unknownField)
        #expect(error?.message.contains("did you mean `node-id`?") == true)
    }
}

/// Seventeen valid members after the valid document's first five lines.
func seventeenMembers() -> String {
    var text = String(validDocument.prefix { $0 != "[" })
    for id in 1...17 {
        text += "[[members]]\nid = \(id)\npeer = \"10.0.1.\(id):7501\"\nclient = \"10.0.1.\(id):7401\"\n"
    }
    return text
}

extension String {
    /// The string with the line `line` replaced by `replacement`.
    func replacingLine(_ line: String, _ replacement: String) -> String {
        split(separator: "\n", omittingEmptySubsequences: false).map { $0 == line ? replacement : String($0) }
            .joined(separator: "\n")
    }

    /// The string up to (not including) the first occurrence of `marker` at the start of a line.
    func cutAt(_ marker: String) -> String {
        var lines: [Substring] = []
        for line in split(separator: "\n", omittingEmptySubsequences: false) {
            if line == marker { break }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

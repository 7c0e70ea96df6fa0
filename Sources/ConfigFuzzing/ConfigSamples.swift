import PadlockConfig
import PadlockTypes

/// Random valid inputs for the config fuzzer: padlockd settings and general TOML documents, each with the
/// value a correct parser must read from it.
enum ConfigSamples {
    // MARK: Settings

    /// Random settings that pass every check.
    static func settings(using random: inout SplitMix64) -> PadlockdSettings {
        let memberCount = random.within(1...5)
        let ipv6 = random.chance(20)
        var members: [PadlockdSettings.Member] = []
        for index in 0..<memberCount {
            let id = UInt64(random.chance(70) ? index + 1 : random.within(1...1_000_000) * 8 + index)
            members.append(
                PadlockdSettings.Member(
                    id: id, peer: address(host: index, port: 7501, ipv6: ipv6),
                    client: address(host: index, port: 7401, ipv6: ipv6)))
        }
        let join = random.chance(15)
        let nodeID = join && random.chance(50) ? 999_999_999 : random.pick(members).id
        let own = members.first { $0.id == nodeID }
        let listenHost = own.map { $0.peer.host } ?? "10.9.9.9"
        var settings = PadlockdSettings(
            clusterID: UInt64(random.within(1...1_000_000)), nodeID: nodeID,
            dataDirectory: random.pick(["/var/lib/padlock/node-\(nodeID)", "data", "/tmp/p l\u{e9}/x", "C:\\padlock"]),
            clientListen: SocketAddress(host: random.chance(30) ? "0.0.0.0" : listenHost, port: 7401),
            peerListen: SocketAddress(host: listenHost, port: 7501),
            logLevel: random.pick(PadlockdSettings.LogLevel.allCases),
            join: join, members: members)
        if random.chance(60) { settings.adminListen = SocketAddress(host: listenHost, port: 7601) }
        settings.sessions = sessions(using: &random)
        settings.lockDelay = lockDelay(using: &random)
        settings.limits = limits(using: &random)
        settings.raft = raft(using: &random)
        // A multi-node cluster needs one of the two to start (checkPeerAuthentication); write both forms.
        if random.chance(50) {
            settings.security.clusterSecretFile = "/etc/padlock/cluster-secret"
        } else if settings.isMultiNode || random.chance(30) {
            settings.security.insecurePeers = true
        }
        return settings
    }

    /// Member `index`'s address on `port`.
    static func address(host index: Int, port: Int, ipv6: Bool) -> SocketAddress {
        SocketAddress(host: ipv6 ? "fd00::\(index + 11)" : "10.0.0.\(index + 11)", port: port)
    }

    /// A duration in `range`, often rounded to whole seconds, minutes or hours so that every unit is written.
    static func duration(in range: ClosedRange<Int>, using random: inout SplitMix64) -> UInt64 {
        let value = UInt64(random.within(range))
        let rounded = [value, value / 1_000 * 1_000, value / 60_000 * 60_000, value / 3_600_000 * 3_600_000]
        return random.pick(rounded.filter { range.contains(Int($0)) })
    }

    static func sessions(using random: inout SplitMix64) -> PadlockdSettings.Sessions {
        var sessions = PadlockdSettings.Sessions()
        guard random.chance(60) else { return sessions }
        let first = duration(in: 2_000...3_600_000, using: &random)
        let second = duration(in: 2_000...3_600_000, using: &random)
        (sessions.ttlMillisecondsMin, sessions.ttlMillisecondsMax) = (min(first, second), max(first, second))
        return sessions
    }

    static func lockDelay(using random: inout SplitMix64) -> PadlockdSettings.LockDelay {
        var delay = PadlockdSettings.LockDelay()
        if random.chance(50) { delay.millisecondsDefault = duration(in: 0...3_600_000, using: &random) }
        for _ in 0..<random.below(4) {
            let name = random.pick(["acme", "globex", "initech", "a b", "t\u{e9}nant", "x.y", "_", "9"])
            delay.millisecondsByNamespace[name] = duration(in: 0...3_600_000, using: &random)
        }
        return delay
    }

    static func limits(using random: inout SplitMix64) -> PadlockdSettings.Limits {
        var limits = PadlockdSettings.Limits()
        for (_, keyPath) in PadlockdSettings.limitFields where random.chance(30) {
            limits[keyPath: keyPath] =
                random.chance(10) ? PadlockdSettings.Limits.valueMax : random.within(1...5_000_000)
        }
        return limits
    }

    static func raft(using random: inout SplitMix64) -> PadlockdSettings.RaftTuning {
        var tuning = PadlockdSettings.RaftTuning()
        guard random.chance(50) else { return tuning }
        tuning.heartbeatTicks = random.within(1...20)
        tuning.tickMilliseconds = UInt64(random.within(1...1_000))
        tuning.electionTicks = tuning.heartbeatTicks + random.within(1...50)
        tuning.snapshotEntryThreshold = UInt64(random.within(1...1_000_000))
        return tuning
    }

    // MARK: General TOML

    static let keys = [
        "a", "b", "name", "node-id", "x_1", "42", "", "a b", "dotted.key", "quote\"d", "t\u{e9}l", "\u{1D11E}",
        "tab\tkey",
    ]

    /// A random table up to `depth` levels of sub-tables deep.
    static func table(depth: Int, using random: inout SplitMix64) -> TOMLTable {
        var table = TOMLTable()
        let origin = TOMLPosition(line: 1, column: 1)
        for _ in 0..<random.below(5) {
            let key = random.pick(keys)
            guard table[key] == nil else { continue }
            let value: TOMLValue
            switch random.below(depth > 0 ? 10 : 7) {
            case 7, 8: value = .table(self.table(depth: depth - 1, using: &random))
            case 9:
                value = .array(
                    (0..<random.within(1...3)).map { _ in .table(self.table(depth: depth - 1, using: &random)) })
            default: value = scalarOrArray(depth: 2, using: &random)
            }
            table.set(key, to: value, at: origin)
        }
        return table
    }

    /// A string, integer, boolean, or an array of those nested up to `depth` deep.
    static func scalarOrArray(depth: Int, using random: inout SplitMix64) -> TOMLValue {
        switch random.below(depth > 0 ? 5 : 4) {
        case 0: return .string(string(using: &random))
        case 1:
            return .integer(
                random.pick([0, 1, -1, 7401, 1_000_000, Int64.max, Int64.min, Int64(random.within(-99...99))]))
        case 2: return .boolean(random.chance(50))
        case 3: return .string(random.pick(["", "500ms", "10.0.0.11:7401", "[::1]:7401", "info"]))
        default: return .array((0..<random.below(4)).map { _ in scalarOrArray(depth: depth - 1, using: &random) })
        }
    }

    static func string(using random: inout SplitMix64) -> String {
        let pieces = [
            "a", "Z", " ", "\"", "\\", "'", "\n", "\t", "\u{1}", "\u{7F}", "\u{e9}", "\u{20AC}", "\u{1D11E}", "#", "=",
        ]
        return (0..<random.below(8)).map { _ in random.pick(pieces) }.joined()
    }
}

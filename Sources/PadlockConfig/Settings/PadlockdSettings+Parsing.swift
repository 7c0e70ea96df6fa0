import PadlockTypes

extension PadlockdSettings {
    /// The fields of the file's top level.
    static let rootFields = [
        "cluster-id", "node-id", "data-dir", "client-listen", "peer-listen", "admin-listen", "log-level", "join",
        "members", "sessions", "lock-delay", "limits", "raft", "peer-routes", "clients", "security", "quotas",
        "tls", "connections",
    ]

    /// Reads a configuration file's text, or throws the first mistake: a TOML error with its line and column,
    /// or a settings error naming the field by its full dotted path and saying what is allowed.
    package static func parse(toml text: String) throws(ConfigError) -> PadlockdSettings {
        try PadlockdSettings(table: try TOMLDocument.parse(text))
    }

    /// Reads a configuration file's bytes, refusing invalid UTF-8 with its position.
    package static func parse(tomlUTF8 bytes: [UInt8]) throws(ConfigError) -> PadlockdSettings {
        try PadlockdSettings(table: try TOMLDocument.parse(utf8: bytes))
    }

    /// Checks a parsed document against the settings schema: unknown fields, missing required fields, types,
    /// bounds, and the rules between fields.
    package init(table: TOMLTable) throws(ConfigError) {
        let root = FieldReader(table: table, path: "")
        try root.refuseUnknown(known: Self.rootFields)
        let idMust = SettingCheck.identifierSummary
        clusterID = try SettingCheck.identifier(
            try root.required(try root.integer("cluster-id", must: idMust), "cluster-id", must: idMust),
            field: "cluster-id", position: root.position("cluster-id"))
        nodeID = try SettingCheck.identifier(
            try root.required(try root.integer("node-id", must: idMust), "node-id", must: idMust),
            field: "node-id", position: root.position("node-id"))
        let directoryMust = SettingCheck.dataDirectorySummary
        dataDirectory = try SettingCheck.dataDirectory(
            try root.required(try root.string("data-dir", must: directoryMust), "data-dir", must: directoryMust),
            field: "data-dir", position: root.position("data-dir"))
        let addressMust = SocketAddress.syntaxSummary
        clientListen = try root.required(
            try Self.listenAddress(root, "client-listen"), "client-listen", must: addressMust)
        peerListen = try root.required(try Self.listenAddress(root, "peer-listen"), "peer-listen", must: addressMust)
        adminListen = try Self.listenAddress(root, "admin-listen")
        logLevel =
            try root.string("log-level", must: SettingCheck.logLevelSummary).map { text throws(ConfigError) in
                try SettingCheck.logLevel(text, field: "log-level", position: root.position("log-level"))
            } ?? .info
        join = try root.boolean("join") ?? false
        members = try Self.members(root)
        sessions = try Self.sessions(try root.table("sessions"))
        lockDelay = try Self.lockDelay(try root.table("lock-delay"))
        limits = try Self.limits(try root.table("limits"))
        raft = try Self.raftTuning(try root.table("raft"))
        peerRoutes = try Self.peerRoutes(try root.table("peer-routes"))
        security = try Self.security(root)
        quotas = try Self.quotas(try root.table("quotas"))
        tls = try Self.tls(try root.table("tls"))
        connections = try Self.connections(try root.table("connections"))
        try checkNode(sources: FieldSources(root: root))
    }

    /// A listen address, or nil when absent; wildcards are allowed, since a node may listen on every interface.
    static func listenAddress(_ root: FieldReader, _ key: String) throws(ConfigError) -> SocketAddress? {
        guard let text = try root.string(key, must: SocketAddress.syntaxSummary) else { return nil }
        return try SettingCheck.address(text, field: key, position: root.position(key), allowsWildcard: true)
    }

    /// `[[members]]`: 1 to 16 members, ids and addresses unique.
    static func members(_ root: FieldReader) throws(ConfigError) -> [Member] {
        let must = "one [[members]] section per node of the initial cluster, 1 to \(membersMax) of them"
        let readers = try root.required(try root.tableArray("members"), "members", must: must)
        guard !readers.isEmpty else { throw root.invalid("members", "must list at least 1 member; it is empty") }
        guard readers.count <= membersMax else {
            throw root.invalid("members", "lists \(readers.count) members; at most \(membersMax) are allowed")
        }
        var members: [Member] = []
        var addressOwners: [SocketAddress: String] = [:]
        for reader in readers {
            let member = try Self.member(reader)
            if let earlier = members.firstIndex(where: { $0.id == member.id }) {
                throw reader.invalid("id", "is \(member.id), the same as `members[\(earlier)].id`; ids must be unique")
            }
            for (key, address) in [("peer", member.peer), ("client", member.client)] {
                if let owner = addressOwners[address] {
                    throw reader.invalid(key, "is \(address), already used by `\(owner)`; every address must be unique")
                }
                addressOwners[address] = reader.field(key)
            }
            members.append(member)
        }
        return members
    }

    /// One `[[members]]` element.
    static func member(_ reader: FieldReader) throws(ConfigError) -> Member {
        try reader.refuseUnknown(known: ["id", "peer", "client"])
        let idMust = SettingCheck.identifierSummary
        let id = try SettingCheck.identifier(
            try reader.required(try reader.integer("id", must: idMust), "id", must: idMust),
            field: reader.field("id"), position: reader.position("id"))
        var addresses: [SocketAddress] = []
        for key in ["peer", "client"] {
            let must = SocketAddress.syntaxSummary
            let text = try reader.required(try reader.string(key, must: must), key, must: must)
            addresses.append(
                try SettingCheck.address(
                    text, field: reader.field(key), position: reader.position(key), allowsWildcard: false))
        }
        return Member(id: id, peer: addresses[0], client: addresses[1])
    }

    /// `[sessions]`: both TTL bounds within `InputLimits`' 2 s to 1 h, min ≤ max.
    static func sessions(_ reader: FieldReader?) throws(ConfigError) -> Sessions {
        var sessions = Sessions()
        guard let reader else { return sessions }
        try reader.refuseUnknown(known: ["ttl-min", "ttl-max"])
        let range = sessions.ttlMillisecondsMin...sessions.ttlMillisecondsMax
        let minimum = try reader.duration("ttl-min", in: range) ?? sessions.ttlMillisecondsMin
        let maximum = try reader.duration("ttl-max", in: range) ?? sessions.ttlMillisecondsMax
        guard minimum <= maximum else {
            let key = reader.table["ttl-min"] != nil ? "ttl-min" : "ttl-max"
            throw reader.invalid(
                key,
                "makes the shortest TTL (\(DurationText.text(milliseconds: minimum))) longer than the longest "
                    + "(\(DurationText.text(milliseconds: maximum))); "
                    + "`sessions.ttl-min` must be at most `sessions.ttl-max`"
            )
        }
        (sessions.ttlMillisecondsMin, sessions.ttlMillisecondsMax) = (minimum, maximum)
        return sessions
    }

    /// The longest lock-delay: 1 h.
    static let lockDelayMillisecondsMax: UInt64 = 3_600_000

    /// `[lock-delay]` and `[lock-delay.namespaces]`.
    /// `[peer-routes]`: `"2" = "127.0.0.1:40102"` — dial node 2 there instead of its recorded peer address.
    static func peerRoutes(_ reader: FieldReader?) throws(ConfigError) -> [UInt64: SocketAddress] {
        guard let reader else { return [:] }
        var routes: [UInt64: SocketAddress] = [:]
        for name in reader.table.keys {
            guard let node = UInt64(name), node > 0 else {
                throw reader.invalid(name, "must be keyed by a node id above 0, such as \"2\"")
            }
            let text = try reader.required(
                try reader.string(name, must: SocketAddress.syntaxSummary), name, must: SocketAddress.syntaxSummary)
            routes[node] = try SettingCheck.address(
                text, field: reader.field(name), position: reader.position(name), allowsWildcard: false)
        }
        return routes
    }

    static func lockDelay(_ reader: FieldReader?) throws(ConfigError) -> LockDelay {
        var delay = LockDelay()
        guard let reader else { return delay }
        try reader.refuseUnknown(known: ["default", "namespaces"])
        let range = 0...lockDelayMillisecondsMax
        delay.millisecondsDefault = try reader.duration("default", in: range) ?? delay.millisecondsDefault
        if let namespaces = try reader.table("namespaces") {
            for name in namespaces.table.keys {
                try SettingCheck.namespace(name, field: namespaces.field(name), position: namespaces.position(name))
                delay.millisecondsByNamespace[name] = try namespaces.duration(name, in: range)
            }
        }
        return delay
    }
}

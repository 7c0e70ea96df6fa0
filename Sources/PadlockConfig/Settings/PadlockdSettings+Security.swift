import PadlockTypes

extension PadlockdSettings {
    /// Who may connect to the client port, and how nodes prove to each other that they belong to the cluster
    /// (`docs/security.md`). With no clients listed the client port is open, as in development. By default no
    /// clients and no secret file are given, and peers must be authenticated.
    package struct Security: Hashable, Sendable {
        /// The clients allowed on the client port; empty means no tokens are asked for.
        package var clients: [Client] = []
        /// A file holding the cluster secret (at least ``clusterSecretByteCountMin`` bytes) that nodes prove
        /// they know at the peer handshake; nil means peers are not authenticated.
        package var clusterSecretFile: String?
        /// `insecure-peers = true`: a node of a multi-node cluster may run without ``clusterSecretFile``, its
        /// peer port open to anyone who reaches it. Without the secret and without this, such a node refuses
        /// to start (``checkPeerAuthentication()``).
        package var insecurePeers = false

        /// The shortest cluster secret accepted, in bytes.
        package static let clusterSecretByteCountMin = 32
        /// The longest cluster secret accepted, in bytes.
        package static let clusterSecretByteCountMax = 4_096
    }

    /// One `[[clients]]` entry: a named credential with a role and the namespaces it may use. Building one
    /// checks nothing (entries read with `parse(toml:)` have been checked).
    package struct Client: Hashable, Sendable {
        /// A unique name, shown in logs and in the audit trail (1 to ``nameByteCountMax`` bytes).
        package var name: String
        /// The SHA-256 of the client's token, as 64 lowercase hexadecimal digits.
        package var tokenSHA256: String
        /// What the client may do.
        package var role: ClientRole
        /// The first key segments the client may use; `["*"]` for every namespace.
        package var namespaces: [String]
        /// A disabled client is refused at the handshake and on every request.
        package var enabled = true
        /// The most sessions the client may have open at once (`sessions`); 0, the default, means no bound but
        /// `[limits] sessions`.
        package var sessionsMax = 0
        /// The namespaces in which an `app` client may take locks over (`takeover`; `["*"]` for all it may
        /// use); empty, the default, for none. An `admin` client may take over in any namespace it may use.
        package var takeover: [String] = []
        /// The namespaces in which an `app` client may place and lift holds (`holds`; `["*"]` for all it may
        /// use); empty, the default, for none. An `admin` client may place holds in any namespace it may use.
        package var holds: [String] = []

        /// Longest client name, in bytes.
        package static let nameByteCountMax = 64
        /// Most namespaces one client may list.
        package static let namespaceCountMax = 256
    }

    /// Most `[[clients]]` entries.
    package static let clientsMax = 10_000

    /// `[[clients]]` and `[security]`.
    static func security(_ root: FieldReader) throws(ConfigError) -> Security {
        var security = Security()
        if let reader = try root.table("security") {
            try reader.refuseUnknown(known: ["cluster-secret-file", "insecure-peers"])
            let must = "the path of a file holding at least \(Security.clusterSecretByteCountMin) bytes of secret"
            if let path = try reader.string("cluster-secret-file", must: must) {
                security.clusterSecretFile = try SettingCheck.dataDirectory(
                    path, field: reader.field("cluster-secret-file"), position: reader.position("cluster-secret-file"))
            }
            security.insecurePeers = try reader.boolean("insecure-peers") ?? false
            if security.insecurePeers && security.clusterSecretFile != nil {
                throw reader.invalid(
                    "insecure-peers",
                    "is true while `security.cluster-secret-file` is set; keep the secret and remove insecure-peers")
            }
        }
        guard let readers = try root.tableArray("clients") else { return security }
        guard readers.count <= clientsMax else {
            throw root.invalid("clients", "lists \(readers.count) clients; at most \(clientsMax) are allowed")
        }
        for reader in readers {
            let client = try Self.client(reader)
            if let earlier = security.clients.firstIndex(where: { $0.name == client.name }) {
                throw reader.invalid(
                    "name", "is \"\(client.name)\", the same as `clients[\(earlier)].name`; names must be unique")
            }
            if let earlier = security.clients.firstIndex(where: { $0.tokenSHA256 == client.tokenSHA256 }) {
                throw reader.invalid(
                    "token-sha256", "is the same as `clients[\(earlier)].token-sha256`; give every client its own token"
                )
            }
            security.clients.append(client)
        }
        return security
    }

    /// One `[[clients]]` element.
    static func client(_ reader: FieldReader) throws(ConfigError) -> Client {
        try reader.refuseUnknown(
            known: ["name", "token-sha256", "role", "namespaces", "enabled", "sessions", "takeover", "holds"])
        let nameMust = "a name of 1 to \(Client.nameByteCountMax) letters, digits, `-`, `_` or `.`"
        let name = try reader.required(try reader.string("name", must: nameMust), "name", must: nameMust)
        guard Self.isClientName(name) else { throw reader.invalid("name", "must be \(nameMust); found \"\(name)\"") }
        let hashMust = "the SHA-256 of the client's token as 64 lowercase hex digits (`padlock token hash` prints it)"
        let hash = try reader.required(
            try reader.string("token-sha256", must: hashMust), "token-sha256", must: hashMust)
        guard hash.utf8.count == 64, hash.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw reader.invalid("token-sha256", "must be \(hashMust); it is not (never put the token itself here)")
        }
        let roles = ClientRole.allCases.map(\.rawValue).joined(separator: ", ")
        let roleText = try reader.required(
            try reader.string("role", must: "one of \(roles)"), "role", must: "one of \(roles)")
        guard let role = ClientRole(rawValue: roleText) else {
            throw reader.invalid("role", "must be one of \(roles); found \"\(roleText)\"")
        }
        let namespaces = try Self.namespaces(reader)
        let sessions = try reader.integer(
            "sessions", in: 1...Int64(Limits.valueMax), must: "an integer from 1 to \(Limits.valueMax)")
        let takeover = try Self.appGrant(
            "takeover", reader, role: role, namespaces: namespaces, adminMay: "take over")
        let holds = try Self.appGrant(
            "holds", reader, role: role, namespaces: namespaces, adminMay: "place and lift holds")
        return Client(
            name: name, tokenSHA256: hash, role: role, namespaces: namespaces,
            enabled: try reader.boolean("enabled") ?? true, sessionsMax: Int(sessions ?? 0), takeover: takeover,
            holds: holds)
    }

    /// `takeover = ["acme"]` or `holds = ["acme"]` (`field`), or `["*"]`: where an app client may take locks over,
    /// or place and lift holds; each namespace must be one the client may use. Absent means none. `adminMay`
    /// says what an admin client may do anywhere without it.
    static func appGrant(
        _ field: String, _ reader: FieldReader, role: ClientRole, namespaces: [String], adminMay: String
    ) throws(ConfigError) -> [String] {
        guard reader.table[field] != nil else { return [] }
        let names = try Self.namespaces(reader, field: field)
        if role != .app {
            throw reader.invalid(
                field,
                "is set for a client with role \(role.rawValue); only app clients take it (an admin client may "
                    + "\(adminMay) anywhere it may use, a reader nowhere)")
        }
        if namespaces != ["*"], let outside = names.first(where: { $0 != "*" && !namespaces.contains($0) }) {
            throw reader.invalid(
                field, "lists \"\(outside)\", which is not among the client's namespaces; add it there first")
        }
        return names
    }

    /// `namespaces = ["acme", "globex"]` or `["*"]` (or the same for `field`): 1 to 256 distinct key segments,
    /// or the wildcard alone.
    static func namespaces(_ reader: FieldReader, field: String = "namespaces") throws(ConfigError) -> [String] {
        let must = "an array of namespaces (first key segments) such as [\"acme\"], or [\"*\"] for all"
        let value = try reader.required(reader.table[field], field, must: must)
        guard case .array(let elements) = value else { throw reader.wrongType(field, value, must: must) }
        guard !elements.isEmpty else { throw reader.invalid(field, "is empty; it must be \(must)") }
        guard elements.count <= Client.namespaceCountMax else {
            throw reader.invalid(field, "lists \(elements.count) namespaces; at most \(Client.namespaceCountMax)")
        }
        var names: [String] = []
        for element in elements {
            guard case .string(let name) = element else { throw reader.wrongType(field, value, must: must) }
            if name != "*" {
                try SettingCheck.namespace(name, field: reader.field(field), position: reader.position(field))
            }
            guard !names.contains(name) else { throw reader.invalid(field, "lists \"\(name)\" twice") }
            names.append(name)
        }
        if names.contains("*") && names.count > 1 {
            throw reader.invalid(field, "lists \"*\" with other namespaces; \"*\" already means all of them")
        }
        return names
    }

    static func isClientName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...Client.nameByteCountMax).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == 45
                || byte == 95 || byte == 46
        }
    }
}

extension PadlockdSettings {
    /// Whether this node belongs, or is joining, a cluster of more than one node, whose peer port then
    /// carries Raft traffic from other machines.
    package var isMultiNode: Bool { members.count > 1 || join }

    /// Refuses a node of a multi-node cluster whose peers would not be authenticated, unless the file says
    /// `insecure-peers = true`: one forged frame on an open peer port can crash or take over a cluster
    /// (issue 18). A single-node cluster needs neither.
    package func checkPeerAuthentication() throws(ConfigError) {
        guard isMultiNode, security.clusterSecretFile == nil, !security.insecurePeers else { return }
        let file = "/etc/padlock/cluster-secret"
        let what = join ? "joins a cluster" : "is one of \(members.count) members"
        throw ConfigError(
            code: .missingField, field: "security.cluster-secret-file",
            message: "node \(nodeID) \(what), and its peer port \(peerListen) would accept anyone who "
                + "reaches it: a single forged message can crash or take over the cluster. Either give every node "
                + "the same secret, `[security] cluster-secret-file = \"\(file)\"` (make it once with "
                + "`head -c 32 /dev/urandom > \(file) && chmod 600 \(file)` and copy it to every node), or, on a "
                + "network only the nodes can reach, say `[security] insecure-peers = true` (docs/security.md)")
    }
}

extension PadlockdSettings {
    /// `[quotas]`: per-namespace bounds, made replicated state by the leader (`docs/security.md`, "Quotas");
    /// the lock table's own type, so the configuration's quotas are exactly what the leader proposes.
    package typealias Quotas = NamespaceQuotas

    /// `[quotas]` and `[quotas.namespaces.<name>]`.
    static func quotas(_ reader: FieldReader?) throws(ConfigError) -> Quotas {
        guard let reader else { return Quotas() }
        try reader.refuseUnknown(known: ["held-locks", "waiters", "namespaces"])
        var quotas = Quotas(standard: try quota(reader))
        if let namespaces = try reader.table("namespaces") {
            guard namespaces.table.keys.count <= 10_000 else {
                throw reader.invalid("namespaces", "lists more than 10000 namespaces")
            }
            for name in namespaces.table.keys {
                try SettingCheck.namespace(name, field: namespaces.field(name), position: namespaces.position(name))
                let table = try namespaces.required(try namespaces.table(name), name, must: "a table")
                try table.refuseUnknown(known: ["held-locks", "waiters"])
                quotas.byNamespace[name] = try quota(table)
            }
        }
        return quotas
    }

    private static func quota(_ reader: FieldReader) throws(ConfigError) -> Quotas.Quota {
        let must = "an integer from 1 to \(Limits.valueMax)"
        let range = Int64(1)...Int64(Limits.valueMax)
        return Quotas.Quota(
            heldLocksMax: Int(try reader.integer("held-locks", in: range, must: must) ?? 0),
            waitersMax: Int(try reader.integer("waiters", in: range, must: must) ?? 0))
    }
}

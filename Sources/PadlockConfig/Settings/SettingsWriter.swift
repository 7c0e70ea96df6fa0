import PadlockTypes

/// Writes settings as a configuration file: canonically for ``PadlockdSettings/tomlText``, or with random
/// but equivalent choices (quoted keys, dotted keys, other units, omitted defaults, comments) for the fuzzer
/// (ConfigFuzzing, which draws the choices from its seeded generator).
package struct SettingsWriter {
    /// How much the writer varies its output.
    package enum Style {
        /// Every field, canonical spelling.
        case plain
        /// Equivalent spellings chosen by the generator.
        case varied
    }

    var random: SplitMix64?
    var output = ""

    /// The whole document for `settings`; the varied style draws its choices from `random`.
    package static func document(_ settings: PadlockdSettings, style: Style, random: inout SplitMix64) -> String {
        var writer = SettingsWriter(random: style == .varied ? random : nil)
        writer.write(settings)
        if let used = writer.random { random = used }
        return writer.output
    }

    /// The canonical document for `settings`.
    static func document(_ settings: PadlockdSettings) -> String {
        var writer = SettingsWriter(random: nil)
        writer.write(settings)
        return writer.output
    }

    /// Whether to take the unusual choice, `percent` of the time; never in the plain style.
    mutating func vary(_ percent: Int) -> Bool {
        guard let draw = random?.next() else { return false }
        return Int(draw % 100) < percent
    }

    mutating func write(_ settings: PadlockdSettings) {
        if vary(30) { output += "# padlockd configuration\n\n" }
        field(["cluster-id"], integer(Int64(settings.clusterID)))
        field(["node-id"], integer(Int64(settings.nodeID)))
        field(["data-dir"], string(settings.dataDirectory))
        field(["client-listen"], string(settings.clientListen.description))
        field(["peer-listen"], string(settings.peerListen.description))
        if let admin = settings.adminListen { field(["admin-listen"], string(admin.description)) }
        if settings.logLevel != .info || !vary(50) { field(["log-level"], string(settings.logLevel.rawValue)) }
        if settings.join || !vary(50) { field(["join"], String(settings.join)) }
        // Tables written as dotted keys must come before the first header.
        let dotted = (sessions: vary(20), lockDelay: vary(20), limits: vary(20), raft: vary(20))
        if dotted.sessions { sessions(settings.sessions, prefix: ["sessions"]) }
        if dotted.lockDelay { lockDelay(settings.lockDelay, prefix: ["lock-delay"]) }
        if dotted.limits { limits(settings.limits, prefix: ["limits"]) }
        if dotted.raft { raft(settings.raft, prefix: ["raft"]) }
        for member in settings.members {
            output += vary(20) ? "\n[[ members ]]\n" : "\n[[members]]\n"
            field(["id"], integer(Int64(member.id)))
            field(["peer"], string(member.peer.description))
            field(["client"], string(member.client.description))
        }
        if !dotted.sessions { section("sessions") { $0.sessions(settings.sessions, prefix: []) } }
        if !dotted.lockDelay { lockDelaySections(settings.lockDelay) }
        if !dotted.limits { section("limits") { $0.limits(settings.limits, prefix: []) } }
        if !dotted.raft { section("raft") { $0.raft(settings.raft, prefix: []) } }
        if !settings.peerRoutes.isEmpty {
            section("peer-routes") { writer in
                for node in settings.peerRoutes.keys.sorted() {
                    writer.field(["\(node)"], writer.string(settings.peerRoutes[node]!.description))
                }
            }
        }
        security(settings.security)
        quotas(settings.quotas)
        if let tls = settings.tls { self.tls(tls) }
        if settings.connections != PadlockdSettings.Connections() || vary(20) {
            section("connections") { $0.connections(settings.connections) }
        }
    }

    mutating func connections(_ connections: PadlockdSettings.Connections) {
        for (name, keyPath) in PadlockdSettings.connectionCountFields {
            field([name], integer(Int64(connections[keyPath: keyPath])))
        }
        for (name, keyPath, _) in PadlockdSettings.connectionDurationFields {
            field([name], duration(connections[keyPath: keyPath]))
        }
        field(["client-idle-timeout"], duration(connections.clientIdleTimeoutMilliseconds))
    }

    mutating func tls(_ tls: PadlockdSettings.TLS) {
        section("tls") { writer in
            writer.field(["cert-file"], writer.string(tls.certificateFile))
            writer.field(["key-file"], writer.string(tls.keyFile))
            if let caFile = tls.caFile { writer.field(["ca-file"], writer.string(caFile)) }
            writer.field(["client-certificates"], writer.string(tls.clientCertificates.rawValue))
            writer.field(["peer"], String(tls.protectsPeers))
        }
    }

    mutating func quotas(_ quotas: PadlockdSettings.Quotas) {
        guard quotas != PadlockdSettings.Quotas() else { return }
        section("quotas") { $0.quota(quotas.standard) }
        for name in quotas.byNamespace.keys.sorted() {
            section("quotas.namespaces.\(TOMLPath.key(name))") { $0.quota(quotas.byNamespace[name]!) }
        }
    }

    mutating func quota(_ quota: PadlockdSettings.Quotas.Quota) {
        if quota.heldLocksMax > 0 { field(["held-locks"], integer(Int64(quota.heldLocksMax))) }
        if quota.waitersMax > 0 { field(["waiters"], integer(Int64(quota.waitersMax))) }
    }

    mutating func security(_ security: PadlockdSettings.Security) {
        if let file = security.clusterSecretFile {
            section("security") { $0.field(["cluster-secret-file"], $0.string(file)) }
        } else if security.insecurePeers {
            section("security") { $0.field(["insecure-peers"], "true") }
        }
        for client in security.clients {
            output += "\n[[clients]]\n"
            field(["name"], string(client.name))
            field(["token-sha256"], string(client.tokenSHA256))
            field(["role"], string(client.role.rawValue))
            var names: [String] = []
            for name in client.namespaces { names.append(string(name)) }
            field(["namespaces"], "[" + names.joined(separator: ", ") + "]")
            if !client.enabled || !vary(50) { field(["enabled"], String(client.enabled)) }
            if client.sessionsMax > 0 { field(["sessions"], String(client.sessionsMax)) }
            if !client.takeover.isEmpty {
                field(["takeover"], "[" + client.takeover.map { string($0) }.joined(separator: ", ") + "]")
            }
            if !client.holds.isEmpty {
                field(["holds"], "[" + client.holds.map { string($0) }.joined(separator: ", ") + "]")
            }
        }
    }

    mutating func section(_ name: String, _ body: (inout SettingsWriter) -> Void) {
        output += "\n[\(name)]\n"
        body(&self)
    }

    /// `key = value`, where `key` is one or more raw key parts (dotted when several).
    mutating func field(_ key: [String], _ value: String) {
        var parts: [String] = []
        for part in key { parts.append(vary(10) ? TOMLRenderer.quoted(part) : TOMLPath.key(part)) }
        let name = parts.joined(separator: vary(10) ? " . " : ".")
        let spacing = vary(10) ? "\t=  " : " = "
        output += name + spacing + value
        output += vary(10) ? "   # set on purpose\n" : "\n"
    }

    mutating func integer(_ value: Int64) -> String {
        guard vary(20), value >= 1_000 else { return String(value) }
        var digits = Array(String(value))
        var index = digits.count - 3
        while index > 0 {
            digits.insert("_", at: index)
            index -= 3
        }
        return String(digits)
    }

    mutating func string(_ text: String) -> String {
        let literalAllowed = !text.contains("'") && !text.unicodeScalars.contains(where: ASCII.isControl)
        return literalAllowed && vary(30) ? "'\(text)'" : TOMLRenderer.quoted(text)
    }

    mutating func duration(_ milliseconds: UInt64) -> String {
        string(vary(30) ? "\(milliseconds)ms" : DurationText.text(milliseconds: milliseconds))
    }

    mutating func sessions(_ sessions: PadlockdSettings.Sessions, prefix: [String]) {
        let defaults = PadlockdSettings.Sessions()
        if sessions.ttlMillisecondsMin != defaults.ttlMillisecondsMin || !vary(40) {
            field(prefix + ["ttl-min"], duration(sessions.ttlMillisecondsMin))
        }
        if sessions.ttlMillisecondsMax != defaults.ttlMillisecondsMax || !vary(40) {
            field(prefix + ["ttl-max"], duration(sessions.ttlMillisecondsMax))
        }
    }

    mutating func lockDelay(_ delay: PadlockdSettings.LockDelay, prefix: [String]) {
        field(prefix + ["default"], duration(delay.millisecondsDefault))
        for name in delay.millisecondsByNamespace.keys.sorted() {
            field(prefix + ["namespaces", name], duration(delay.millisecondsByNamespace[name] ?? 0))
        }
    }

    mutating func lockDelaySections(_ delay: PadlockdSettings.LockDelay) {
        let dottedNamespaces = vary(30)
        var defaultOnly = delay
        defaultOnly.millisecondsByNamespace = [:]
        section("lock-delay") { $0.lockDelay(dottedNamespaces ? delay : defaultOnly, prefix: []) }
        guard !dottedNamespaces, !delay.millisecondsByNamespace.isEmpty || !vary(50) else { return }
        section("lock-delay.namespaces") { writer in
            for name in delay.millisecondsByNamespace.keys.sorted() {
                writer.field([name], writer.duration(delay.millisecondsByNamespace[name] ?? 0))
            }
        }
    }

    mutating func limits(_ limits: PadlockdSettings.Limits, prefix: [String]) {
        let defaults = PadlockdSettings.Limits()
        for (name, keyPath) in PadlockdSettings.limitFields
        where limits[keyPath: keyPath] != defaults[keyPath: keyPath] || !vary(40) {
            field(prefix + [name], integer(Int64(limits[keyPath: keyPath])))
        }
    }

    mutating func raft(_ raft: PadlockdSettings.RaftTuning, prefix: [String]) {
        field(prefix + ["tick"], duration(raft.tickMilliseconds))
        field(prefix + ["election-ticks"], integer(Int64(raft.electionTicks)))
        field(prefix + ["heartbeat-ticks"], integer(Int64(raft.heartbeatTicks)))
        field(prefix + ["snapshot-entries"], integer(Int64(raft.snapshotEntryThreshold)))
    }
}

import PadlockTypes

extension PadlockdSettings {
    /// `[limits]` field names with the property each sets.
    package static var limitFields: [(name: String, keyPath: WritableKeyPath<Limits, Int>)] {
        [
            ("sessions", \.sessionCountMax), ("locks-per-session", \.locksPerSessionMax),
            ("held-locks", \.heldLockCountMax), ("waiters-per-key", \.waitersPerKeyMax),
            ("waiters", \.waiterCountMax), ("audit-records", \.auditRecordCountMax),
            ("pending-requests", \.pendingRequestsMax), ("client-connections", \.clientConnectionsMax),
            ("watches-per-connection", \.watchesPerConnectionMax), ("event-history", \.lossRingCapacity),
        ]
    }

    /// `[limits]`: each optional, a positive integer of at most `Limits.valueMax`.
    static func limits(_ reader: FieldReader?) throws(ConfigError) -> Limits {
        var limits = Limits()
        guard let reader else { return limits }
        try reader.refuseUnknown(known: limitFields.map(\.name))
        let must = "a positive integer of at most \(Limits.valueMax)"
        for (name, keyPath) in limitFields {
            if let value = try reader.integer(name, in: 1...Int64(Limits.valueMax), must: must) {
                limits[keyPath: keyPath] = Int(value)
            }
        }
        return limits
    }

    /// `[raft]`: tick 1 ms to 1 s, heartbeat below election, snapshot threshold positive.
    static func raftTuning(_ reader: FieldReader?) throws(ConfigError) -> RaftTuning {
        var tuning = RaftTuning()
        guard let reader else { return tuning }
        try reader.refuseUnknown(known: ["tick", "election-ticks", "heartbeat-ticks", "snapshot-entries"])
        let tick = try reader.duration("tick", in: 1...1_000) ?? tuning.tickMilliseconds
        let election =
            try reader.integer("election-ticks", in: 2...10_000, must: "an integer from 2 to 10000")
            .map(Int.init) ?? tuning.electionTicks
        let heartbeat =
            try reader.integer("heartbeat-ticks", in: 1...1_000, must: "an integer from 1 to 1000")
            .map(Int.init) ?? tuning.heartbeatTicks
        let snapshot =
            try reader.integer(
                "snapshot-entries", in: 1...1_000_000_000, must: "an integer from 1 to 1000000000"
            ).map(UInt64.init) ?? tuning.snapshotEntryThreshold
        guard election > heartbeat else {
            let key = reader.table["election-ticks"] != nil ? "election-ticks" : "heartbeat-ticks"
            throw reader.invalid(
                key,
                "makes election-ticks (\(election)) not greater than heartbeat-ticks (\(heartbeat)); "
                    + "`raft.election-ticks` must be greater than `raft.heartbeat-ticks`, or followers campaign "
                    + "between heartbeats")
        }
        (tuning.tickMilliseconds, tuning.electionTicks) = (tick, election)
        (tuning.heartbeatTicks, tuning.snapshotEntryThreshold) = (heartbeat, snapshot)
        return tuning
    }
}

extension PadlockdSettings {
    /// `[connections]`: how long a connection may take to identify itself, how many may be doing so at once,
    /// and when a silent client connection is closed. Every field is optional.
    package struct Connections: Hashable, Sendable {
        /// A client or peer connection must complete its handshake within this, 1 s to 5 min; 10 s by default.
        package var handshakeTimeoutMilliseconds: UInt64 = 10_000
        /// An authenticated client connection with no open session and nothing to answer is closed after this
        /// long without a frame, 1 s to 24 h, or 0 for never; 60 s by default.
        package var clientIdleTimeoutMilliseconds: UInt64 = 60_000
        /// Client connections still in their handshake, at most (the oldest is closed to make room), 1 to
        /// 100 000; 512 by default.
        package var pendingClients = 512
        /// Client connections still in their handshake from one address, at most, 1 to 100 000; 64 by default.
        package var pendingClientsPerAddress = 64
        /// An admin request must be complete within this of connecting (or of its first byte), 1 s to 5 min;
        /// 10 s by default.
        package var adminRequestTimeoutMilliseconds: UInt64 = 10_000

        /// The defaults.
        package init() {}
    }

    /// `[connections]` field names with the integer properties each sets.
    static var connectionCountFields: [(name: String, keyPath: WritableKeyPath<Connections, Int>)] {
        [("pending-clients", \.pendingClients), ("pending-clients-per-address", \.pendingClientsPerAddress)]
    }

    /// `[connections]` field names with the duration properties each sets, and their bounds in milliseconds.
    static var connectionDurationFields:
        [(name: String, keyPath: WritableKeyPath<Connections, UInt64>, range: ClosedRange<UInt64>)]
    {
        [
            ("handshake-timeout", \.handshakeTimeoutMilliseconds, 1_000...300_000),
            ("admin-request-timeout", \.adminRequestTimeoutMilliseconds, 1_000...300_000),
        ]
    }

    /// `[connections]`, checked against the bounds each field documents.
    static func connections(_ reader: FieldReader?) throws(ConfigError) -> Connections {
        var connections = Connections()
        guard let reader else { return connections }
        try reader.refuseUnknown(
            known: connectionCountFields.map(\.name) + connectionDurationFields.map(\.name) + ["client-idle-timeout"])
        for (name, keyPath) in connectionCountFields {
            if let value = try reader.integer(name, in: 1...100_000, must: "an integer from 1 to 100000") {
                connections[keyPath: keyPath] = Int(value)
            }
        }
        for (name, keyPath, range) in connectionDurationFields {
            if let value = try reader.duration(name, in: range) { connections[keyPath: keyPath] = value }
        }
        if let idle = try reader.duration("client-idle-timeout", in: 0...86_400_000) {
            guard idle == 0 || idle >= 1_000 else {
                throw reader.invalid(
                    "client-idle-timeout", "must be \"0s\" (never) or at least \"1s\"; found \(idle) ms")
            }
            connections.clientIdleTimeoutMilliseconds = idle
        }
        return connections
    }
}

/// What each node-level field is called in messages and where it was written: the TOML name and position, or
/// the command-line flag that overrode it.
struct FieldSources {
    var names: [String: String] = [:]
    var positions: [String: TOMLPosition] = [:]

    /// The fields as written in a file.
    init(root: FieldReader) {
        for key in PadlockdSettings.rootFields { positions[key] = root.table.position(of: key) }
    }

    /// The fields of settings no longer tied to a file.
    init() {}

    /// The name to blame for `key`: its flag when overridden, else the field.
    func name(_ key: String) -> String { names[key] ?? key }

    /// An invalid-value error blaming `key`.
    func invalid(_ key: String, _ message: String) -> ConfigError {
        ConfigError(
            code: .invalidValue, position: positions[key], field: name(key), message: "`\(name(key))` \(message)")
    }
}

extension PadlockdSettings {
    /// The rules between node-level fields, checked after the file and again after command-line overrides.
    func checkNode(sources: FieldSources) throws(ConfigError) {
        if !join && !members.contains(where: { $0.id == nodeID }) {
            let ids = members.map { String($0.id) }.joined(separator: ", ")
            throw sources.invalid(
                "node-id",
                "is \(nodeID), which is not among members[].id (\(ids)); list this node in [[members]], "
                    + "or set join = true to start it as a new node for `padlock member add`")
        }
        var listeners: [(key: String, address: SocketAddress)] = [
            ("client-listen", clientListen), ("peer-listen", peerListen),
        ]
        if let adminListen { listeners.append(("admin-listen", adminListen)) }
        for (index, listener) in listeners.enumerated() {
            for earlier in listeners[..<index] where Self.conflict(earlier.address, listener.address) {
                // Blame the value the command line changed, if only one of the two was; else the later one.
                let blamesEarlier = sources.names[earlier.key] != nil && sources.names[listener.key] == nil
                let (blamed, other) = blamesEarlier ? (earlier, listener) : (listener, earlier)
                throw sources.invalid(
                    blamed.key,
                    "is \(blamed.address), which collides with `\(sources.name(other.key))` "
                        + "(\(other.address)); each listener needs its own port or address")
            }
        }
    }

    /// Whether two listeners cannot both bind: the same port on the same host, or on a wildcard (which on
    /// Linux also covers the other family by default).
    static func conflict(_ lhs: SocketAddress, _ rhs: SocketAddress) -> Bool {
        lhs.port == rhs.port && (lhs.host == rhs.host || lhs.isWildcard || rhs.isWildcard)
    }
}

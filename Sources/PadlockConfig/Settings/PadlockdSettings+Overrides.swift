extension PadlockdSettings {
    /// Values given on `padlockd`'s command line, as typed, each replacing its field of the file.
    ///
    /// Each is checked exactly like the field it replaces, and errors name the flag (`--node-id`) instead of
    /// the field. A nil value leaves the file's value in place.
    package struct Overrides: Hashable, Sendable {
        /// `--node-id`: replaces `node-id`.
        package var nodeID: String?
        /// `--data-dir`: replaces `data-dir`.
        package var dataDirectory: String?
        /// `--client-listen`: replaces `client-listen`.
        package var clientListen: String?
        /// `--peer-listen`: replaces `peer-listen`.
        package var peerListen: String?
        /// `--admin-listen`: replaces `admin-listen`.
        package var adminListen: String?
        /// `--log-level`: replaces `log-level`.
        package var logLevel: String?
        /// `--join`: replaces `join`.
        package var join: Bool?

        /// Overrides for the given flags; the others keep the file's values.
        package init(
            nodeID: String? = nil, dataDirectory: String? = nil, clientListen: String? = nil,
            peerListen: String? = nil, adminListen: String? = nil, logLevel: String? = nil, join: Bool? = nil
        ) {
            self.nodeID = nodeID
            self.dataDirectory = dataDirectory
            self.clientListen = clientListen
            self.peerListen = peerListen
            self.adminListen = adminListen
            self.logLevel = logLevel
            self.join = join
        }

        /// Each overridable field with its flag.
        package static let flags: [(field: String, flag: String)] = [
            ("node-id", "--node-id"), ("data-dir", "--data-dir"), ("client-listen", "--client-listen"),
            ("peer-listen", "--peer-listen"), ("admin-listen", "--admin-listen"), ("log-level", "--log-level"),
            ("join", "--join"),
        ]
    }

    /// Replaces fields with the command line's values, checking each as the file's field is checked and then
    /// the rules between fields again (node id among the members, listeners apart). Errors name the flag; on
    /// an error the settings are left unchanged.
    package mutating func apply(overrides: Overrides) throws(ConfigError) {
        var updated = self
        var sources = FieldSources()
        func flag(_ field: String) -> String {
            sources.names[field] = "--" + field
            return "--" + field
        }
        if let text = overrides.nodeID {
            updated.nodeID = try SettingCheck.identifier(text: text, field: flag("node-id"))
        }
        if let text = overrides.dataDirectory {
            updated.dataDirectory = try SettingCheck.dataDirectory(text, field: flag("data-dir"), position: nil)
        }
        if let text = overrides.clientListen {
            updated.clientListen = try SettingCheck.address(
                text, field: flag("client-listen"), position: nil, allowsWildcard: true)
        }
        if let text = overrides.peerListen {
            updated.peerListen = try SettingCheck.address(
                text, field: flag("peer-listen"), position: nil, allowsWildcard: true)
        }
        if let text = overrides.adminListen {
            updated.adminListen = try SettingCheck.address(
                text, field: flag("admin-listen"), position: nil, allowsWildcard: true)
        }
        if let text = overrides.logLevel {
            updated.logLevel = try SettingCheck.logLevel(text, field: flag("log-level"), position: nil)
        }
        if let join = overrides.join {
            updated.join = join
            _ = flag("join")
        }
        try updated.checkNode(sources: sources)
        self = updated
    }
}

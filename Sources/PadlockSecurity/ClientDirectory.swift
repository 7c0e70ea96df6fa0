import PadlockTypes
import Wire

/// One configured client, as the node checks it: its name, role, namespaces and whether it is enabled.
package struct ClientIdentity: Hashable, Sendable {
    /// The client's unique name, shown in logs and in the audit trail.
    package var name: String
    /// What it may do.
    package var role: ClientRole
    /// The first key segments it may use; `nil` means every namespace (`"*"` in the configuration).
    package var namespaces: Set<String>?
    /// A disabled client is refused at the handshake and on every request.
    package var enabled: Bool
    /// The most sessions the client may have open at once; 0 means no bound but the cluster's.
    package var sessionsMax: Int
    /// The namespaces in which an `app` client may take locks over (`takeover` in the configuration); `nil`
    /// means every namespace it may use (`"*"`), empty none. An `admin` client may take over anywhere it may use.
    package var takeoverNamespaces: Set<String>?
    /// The namespaces in which an `app` client may place and lift holds (`holds` in the configuration), as
    /// for ``takeoverNamespaces``. An `admin` client may place holds anywhere it may use.
    package var holdNamespaces: Set<String>?

    /// Creates a client identity.
    package init(
        name: String, role: ClientRole, namespaces: Set<String>?, enabled: Bool = true, sessionsMax: Int = 0,
        takeoverNamespaces: Set<String>? = [], holdNamespaces: Set<String>? = []
    ) {
        self.holdNamespaces = holdNamespaces
        self.name = name
        self.role = role
        self.namespaces = namespaces
        self.enabled = enabled
        self.sessionsMax = sessionsMax
        self.takeoverNamespaces = takeoverNamespaces
    }

    /// Whether the client may use `key`'s namespace.
    package func mayUse(_ key: LockKey) -> Bool {
        guard let namespaces else { return true }
        return namespaces.contains(String(key.namespace))
    }

    /// Whether the client may take over locks on `key` (it must also be allowed to use the key's namespace).
    package func mayTakeOver(_ key: LockKey) -> Bool {
        if role == .admin { return true }
        guard role == .app else { return false }
        guard let takeoverNamespaces else { return true }
        return takeoverNamespaces.contains(String(key.namespace))
    }

    /// Whether the client may place and lift holds on `key` (it must also be allowed to use the namespace).
    package func mayPlaceHolds(_ key: LockKey) -> Bool {
        if role == .admin { return true }
        guard role == .app else { return false }
        guard let holdNamespaces else { return true }
        return holdNamespaces.contains(String(key.namespace))
    }
}

/// The configured clients, found by the SHA-256 of the token a client presents in its handshake.
///
/// An empty directory means the client port is open (development on loopback): every connection is admitted
/// without a token and may do everything, as before tokens existed.
package struct ClientDirectory: Sendable {
    private var byTokenHash: [String: ClientIdentity]
    private var byName: [String: ClientIdentity]

    /// A directory of clients, each with the hex SHA-256 of its token.
    package init(_ clients: [(identity: ClientIdentity, tokenSHA256: String)] = []) {
        byTokenHash = [:]
        byName = [:]
        for client in clients {
            byTokenHash[client.tokenSHA256] = client.identity
            byName[client.identity.name] = client.identity
        }
    }

    /// Whether tokens are asked for at all.
    package var requiresTokens: Bool { !byTokenHash.isEmpty }

    /// The client named `name`, if configured.
    package func client(named name: String) -> ClientIdentity? { byName[name] }

    /// Every configured client.
    package var clients: [ClientIdentity] { byName.values.sorted { $0.name < $1.name } }

    /// The outcome of checking a handshake's credentials.
    package enum Admission: Hashable, Sendable {
        /// No clients are configured: the connection is admitted with every right.
        case open
        /// The token belongs to this enabled client.
        case client(ClientIdentity)
        /// The token is missing, unknown or belongs to a disabled client; the reason says which.
        case refused(reason: String)
    }

    /// Checks the credentials (the token's bytes) a client presented in its handshake.
    package func admit(credentials: [UInt8]) -> Admission {
        guard requiresTokens else { return .open }
        guard !credentials.isEmpty else {
            return .refused(reason: "this cluster requires a client token; pass one (padlock --token or PADLOCK_TOKEN)")
        }
        guard let identity = byTokenHash[TokenHash.hex(ofBytes: credentials)] else {
            return .refused(reason: "the token is not one this cluster knows")
        }
        guard identity.enabled else { return .refused(reason: "client disabled") }
        return .client(identity)
    }

    /// What `identity`, admitted earlier, is after a reload: its current entry (role and namespaces may have
    /// changed), or nil when it was disabled or removed, and its connections are refused from then on.
    package func recheck(_ identity: ClientIdentity) -> ClientIdentity? {
        guard let current = byName[identity.name], current.enabled else { return nil }
        return current
    }
}

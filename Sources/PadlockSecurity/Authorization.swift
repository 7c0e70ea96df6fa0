import PadlockTypes
import Wire

/// Which client operations each role may perform, and on which keys.
package enum Authorization {
    /// Why `client` may not perform `operation`, or nil when it may.
    package static func denial(of operation: ClientOperation, by client: ClientIdentity) -> String? {
        guard client.enabled else { return "client disabled" }
        if let role = requiredRole(operation), !client.role.includes(role) {
            return "client \(client.name) has role \(client.role.rawValue); \(operationName(operation)) needs role "
                + "\(role.rawValue)"
        }
        if let key = key(of: operation), !client.mayUse(key) {
            return "client \(client.name) may not use namespace \(key.namespace) (key \(key))"
        }
        if case .takeover(_, let acquisition, _) = operation, !client.mayTakeOver(acquisition.key) {
            let namespace = acquisition.key.namespace
            return "client \(client.name) may not take over locks in namespace \(namespace): takeover is allowed to "
                + "admin clients and to app clients whose [[clients]] entry lists the namespace in `takeover`; ask "
                + "an operator to add takeover = [\"\(namespace)\"] to client \(client.name) (docs/configuration.md)"
        }
        if let denial = holdDenial(of: operation, by: client) { return denial }
        if case .list(let query) = operation, client.namespaces != nil {
            guard let prefix = query.prefix else {
                return "client \(client.name) may list only within its namespaces; give a prefix such as "
                    + "\(client.namespaces?.sorted().first ?? "acme")/"
            }
            if !client.mayUse(prefix) { return "client \(client.name) may not use namespace \(prefix.namespace)" }
        }
        if case .subscribe(let subscription) = operation {
            for key in subscription.keys + subscription.prefixes where !client.mayUse(key) {
                return "client \(client.name) may not watch namespace \(key.namespace) (key \(key))"
            }
        }
        return nil
    }

    /// The least role an operation needs; nil for what every role may do.
    static func requiredRole(_ operation: ClientOperation) -> ClientRole? {
        switch operation {
        case .inspect, .list, .checkFence, .status, .members, .subscribe, .unsubscribe:
            nil
        case .openSession, .renewSession, .renewSessions, .closeSession, .acquire, .release, .cancelWait, .resolve,
            .takeover, .acquireKeys, .changeMode, .placeHold, .liftHold:
            .app
        case .holds:
            nil
        case .forceUnlock, .revokeSession, .audit, .addMember, .promoteMember, .removeMember, .backup, .backupChunk:
            .admin
        }
    }

    /// The key an operation touches, for the namespace check.
    static func key(of operation: ClientOperation) -> LockKey? {
        switch operation {
        case .acquire(_, let acquisition), .takeover(_, let acquisition, _): acquisition.key
        case .release(_, let key, _), .cancelWait(_, let key), .forceUnlock(_, let key, _): key
        case .inspect(let key), .checkFence(let key, _): key
        case .changeMode(_, let key, _, _, _, _), .liftHold(_, let key, _, _): key
        case .placeHold(_, let placement): placement.key
        default: nil
        }
    }

    /// Why `client` may not place or lift a hold, use every key of a multi-key acquire, or list holds outside
    /// its namespaces; nil when it may.
    private static func holdDenial(of operation: ClientOperation, by client: ClientIdentity) -> String? {
        switch operation {
        case .placeHold, .liftHold:
            guard let key = Self.key(of: operation), !client.mayPlaceHolds(key) else { break }
            let namespace = key.namespace
            return "client \(client.name) may not place or lift holds in namespace \(namespace): holds are for admin "
                + "clients and app clients whose [[clients]] entry lists the namespace in `holds`; ask an operator "
                + "to add holds = [\"\(namespace)\"] to client \(client.name) (docs/configuration.md)"
        case .acquireKeys(_, let keys, _, _):
            for key in keys where !client.mayUse(key) {
                return "client \(client.name) may not use namespace \(key.namespace) (key \(key))"
            }
        case .holds(let prefix, _, _) where client.namespaces != nil:
            guard let prefix else {
                return "client \(client.name) may list holds only within its namespaces; give a prefix such as "
                    + "\(client.namespaces?.sorted().first ?? "acme")"
            }
            if !client.mayUse(prefix) { return "client \(client.name) may not use namespace \(prefix.namespace)" }
        default:
            break
        }
        return nil
    }

    static func operationName(_ operation: ClientOperation) -> String {
        switch operation {
        case .openSession: "opening a session"
        case .renewSession: "renewing a session"
        case .renewSessions: "renewing sessions"
        case .closeSession: "closing a session"
        case .acquire: "acquire"
        case .release: "release"
        case .cancelWait: "cancelling a wait"
        case .resolve: "resolve"
        case .inspect: "inspect"
        case .list: "list"
        case .checkFence: "a fence check"
        case .status: "status"
        case .members: "listing members"
        case .forceUnlock: "force-unlock"
        case .takeover: "takeover"
        case .revokeSession: "revoking a session"
        case .audit: "reading the audit trail"
        case .addMember, .promoteMember, .removeMember: "changing membership"
        case .subscribe: "subscribing"
        case .unsubscribe: "unsubscribing"
        case .acquireKeys: "acquire"
        case .changeMode: "changing a lock's mode"
        case .placeHold: "placing a hold"
        case .liftHold: "lifting a hold"
        case .holds: "listing holds"
        case .backup, .backupChunk: "taking a backup"
        }
    }
}

extension ClientRole {
    /// Whether this role has every right of `other`: admin ⊇ app ⊇ reader.
    package func includes(_ other: ClientRole) -> Bool { rank >= other.rank }

    private var rank: Int {
        switch self {
        case .reader: 0
        case .app: 1
        case .admin: 2
        }
    }
}

extension ClientOperation {
    /// The operation's name as docs/wire.md spells it (`acquire`, `forceUnlock`), for logs.
    package var name: String {
        switch self {
        case .openSession: "openSession"
        case .renewSession: "renewSession"
        case .renewSessions: "renewSessions"
        case .closeSession: "closeSession"
        case .acquire: "acquire"
        case .release: "release"
        case .cancelWait: "cancelWait"
        case .inspect: "inspect"
        case .list: "list"
        case .checkFence: "checkFence"
        case .forceUnlock: "forceUnlock"
        case .revokeSession: "revokeSession"
        case .audit: "audit"
        case .status: "status"
        case .resolve: "resolve"
        case .addMember: "addMember"
        case .promoteMember: "promoteMember"
        case .removeMember: "removeMember"
        case .members: "members"
        case .subscribe: "subscribe"
        case .unsubscribe: "unsubscribe"
        case .takeover: "takeover"
        case .acquireKeys: "acquireKeys"
        case .changeMode: "changeMode"
        case .placeHold: "placeHold"
        case .liftHold: "liftHold"
        case .holds: "holds"
        case .backup: "backup"
        case .backupChunk: "backupChunk"
        }
    }
}

extension ClientFailure {
    /// The failure's name as docs/wire.md spells it (`held`, `notLeader`), for logs.
    package var name: String {
        switch self {
        case .invalidArgument: "invalidArgument"
        case .permissionDenied: "permissionDenied"
        case .held: "held"
        case .notLeader: "notLeader"
        case .unavailable: "unavailable"
        case .overloaded: "overloaded"
        case .sessionExpired: "sessionExpired"
        case .notHeld: "notHeld"
        case .lockLost: "lockLost"
        case .timedOut: "timedOut"
        case .unknownRequest: "unknownRequest"
        case .lockDelayed: "lockDelayed"
        case .waitersAhead: "waitersAhead"
        case .notWaiting: "notWaiting"
        case .superseded: "superseded"
        case .restricted: "restricted"
        case .noHold: "noHold"
        }
    }

    /// The sentence a failure carries (an invalid argument's message, a denial's or an overload's reason), if any.
    package var detail: String? {
        switch self {
        case .invalidArgument(let text), .permissionDenied(let text), .overloaded(let text),
            .unavailable(let text, _):
            text
        default:
            nil
        }
    }
}

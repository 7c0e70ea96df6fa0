import PadlockTypes
import Wire

/// Which sessions a client connection may act for: the node's policy, since a session's owner is replicated
/// state (every node that applied its open knows it). The client port asks these before it hands a request
/// over, and keeps nothing of its own about ownership.
extension Node {
    /// The sessions `operation` acts for: the ones it renews, the one it resolves, or the one its request id
    /// names.
    package func sessionsActedFor(_ operation: ClientOperation) -> [SessionID] {
        if case .renewSession(let session) = operation { return [session] }
        if case .renewSessions(let sessions) = operation { return sessions }
        if case .resolve(let request) = operation { return [request.session] }
        if case .subscribe(let subscription) = operation { return subscription.sessions }
        return operation.requestID.map { [$0.session] } ?? []
    }

    /// Why the authenticated client `name` may not do `operation` for the session it acts for now (see
    /// `sessionRefusal(of:byClient:)` for a session), or nil when it may. A batch renewal is never refused
    /// whole for its sessions: each is answered in its own entry, so its caller asks about each session.
    package func sessionRefusal(of operation: ClientOperation, byClient name: String) -> ClientFailure? {
        if case .renewSessions = operation { return nil }
        for session in sessionsActedFor(operation) {
            if let refusal = sessionRefusal(of: session, byClient: name) { return refusal }
        }
        return nil
    }

    /// Why the authenticated client `name` may not act for `session` now: `permissionDenied` when it belongs
    /// to another client or was opened without a token, `overloaded` while a new leader has not applied its
    /// predecessor's entries, nil when it may (a session that is not open is answered by the request itself:
    /// ended or unknown, as on an open port).
    package func sessionRefusal(of session: SessionID, byClient name: String) -> ClientFailure? {
        switch ownership(of: session) {
        case .client(let owner) where owner == name:
            return nil
        case .notOpen:
            return nil
        case .client:
            return .permissionDenied(reason: "session \(session.rawValue) belongs to another client")
        case .openPort:
            return .permissionDenied(
                reason: "session \(session.rawValue) was opened without a client token; open a new session")
        case .unsettled:
            return .overloaded(reason: "this node has just become leader and is catching up; retry")
        }
    }
}

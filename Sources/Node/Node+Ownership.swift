import PadlockTypes
import Wire

/// Which sessions a client connection may act for: the node's policy, since a session's owner is replicated
/// state (every node that applied its open knows it). The client port asks these before it hands a request
/// over, and keeps nothing of its own about ownership.
extension Node {
    /// The sessions `operation` acts for: the one it renews or resolves, or the one its request id names.
    package func sessionsActedFor(_ operation: ClientOperation) -> [SessionID] {
        if case .renewSession(let session) = operation { return [session] }
        if case .resolve(let request) = operation { return [request.session] }
        return operation.requestID.map { [$0.session] } ?? []
    }

    /// Why the authenticated client `name` may not do `operation` for the sessions it acts for now:
    /// `permissionDenied` when one belongs to another client or was opened without a token, `overloaded`
    /// while a new leader has not applied its predecessor's entries, nil when it may (a session that is not
    /// open is answered by the request itself: ended or unknown, as on an open port).
    package func sessionRefusal(of operation: ClientOperation, byClient name: String) -> ClientFailure? {
        for session in sessionsActedFor(operation) {
            switch ownership(of: session) {
            case .client(let owner) where owner == name:
                continue
            case .notOpen:
                continue
            case .client:
                return .permissionDenied(reason: "session \(session.rawValue) belongs to another client")
            case .openPort:
                return .permissionDenied(
                    reason: "session \(session.rawValue) was opened without a client token; open a new session")
            case .unsettled:
                return .overloaded(reason: "this node has just become leader and is catching up; retry")
            }
        }
        return nil
    }
}

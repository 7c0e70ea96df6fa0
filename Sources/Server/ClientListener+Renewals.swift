import EventLoop
import Logging
import Node
import PadlockSecurity
import PadlockTypes
import Wire

// Batch renewals (issue 19): which sessions of a batch this client may renew, and the node's answer merged
// with the refusals of the others.
extension ClientListener {
    /// A batch renewal: each session must belong to the caller, as for a single renewal. A session it may not
    /// renew is answered `permissionDenied` in its own entry, and the others go to the node; a refusal of the
    /// whole client (role, disabled) or a leader still catching up answers the whole request.
    func receivedBatch(_ sessions: [SessionID], _ correlation: CorrelationID, on connection: Connection) {
        for session in sessions { remember(session, on: connection) }
        let operation = ClientOperation.renewSessions(sessions)
        var refused: [Int: ClientFailure] = [:]
        var whole = refusal(of: operation, on: connection)
        if whole == nil, directory.requiresTokens, let identity = connection.identity {
            for (index, session) in sessions.enumerated() {
                guard let refusal = events.sessionRefusal(session, identity.name) else { continue }
                if case .permissionDenied = refusal {
                    refused[index] = refusal
                } else {
                    whole = refusal
                    break
                }
            }
        }
        if let whole {
            if case .permissionDenied = whole { metrics.requestsDenied.increment() }
            return send(ClientResponse(correlation: correlation, outcome: .failure(whole)), to: connection.id)
        }
        if !refused.isEmpty { metrics.requestsDenied.increment() }
        let allowed = sessions.indices.filter { refused[$0] == nil }.map { sessions[$0] }
        guard !allowed.isEmpty else {
            let answers = sessions.enumerated().compactMap { index, session in
                refused[index].map { SessionRenewal(session: session, outcome: .failure($0)) }
            }
            return send(
                ClientResponse(correlation: correlation, outcome: .success(.sessionsRenewed(answers))),
                to: connection.id)
        }
        if !refused.isEmpty { connection.batchRefusals[correlation] = (sessions, refused) }
        let caller = connection.identity.map { Caller(name: $0.name, sessionsMax: UInt64($0.sessionsMax)) }
        events.onRequest(
            ClientRequest(correlation: correlation, operation: .renewSessions(allowed)), connection.id, caller)
    }

    /// The node's answer to a batch it saw without the refused sessions, with their refusals put back in
    /// request order; any other answer unchanged.
    static func merged(
        _ response: ClientResponse, _ batch: (sessions: [SessionID], refused: [Int: ClientFailure])
    )
        -> ClientResponse
    {
        guard case .success(.sessionsRenewed(let answered)) = response.outcome else { return response }
        var remaining = answered[...]
        var answers: [SessionRenewal] = []
        for (index, session) in batch.sessions.enumerated() {
            if let refusal = batch.refused[index] {
                answers.append(SessionRenewal(session: session, outcome: .failure(refusal)))
            } else if let next = remaining.popFirst() {
                answers.append(next)
            }
        }
        return ClientResponse(correlation: response.correlation, outcome: .success(.sessionsRenewed(answers)))
    }
}

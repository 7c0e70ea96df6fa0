import Foundation
import PadlockTypes
import Testing
import Wire

/// Issue 21 against a real padlockd, on the wire: a subscribed holder's connection is told of a force-unlock,
/// with who and why, and a version-1 client is served as before and sent no events.
@Suite struct EventWireTests {
    @Test func aSubscribedHolderIsToldWhoForceUnlockedItsLockAndWhy() throws {
        let cluster = try LocalCluster(nodes: 1)
        defer { cluster.stop() }
        let holder = try WireClient(port: cluster.clientPort(1))
        let alice = try holder.openSession(owner: "alice@frontend-2")
        let key = try LockKey("acme/contacts/77")
        guard
            case .success(.granted(let granted)) = try holder.call(
                .acquire(
                    RequestID(session: alice, sequence: 1),
                    Acquisition(key: key, mode: .exclusive, waitMilliseconds: 0, note: "editing")))
        else { throw ClusterError("alice's acquire was refused") }
        guard case .success(.subscribed) = try holder.call(.subscribe(Subscription(sessions: [alice]))) else {
            throw ClusterError("the subscription was refused")
        }

        let admin = try WireClient(port: cluster.clientPort(1))
        let ops = try admin.openSession(owner: "ops@console")
        let unlock = ClientOperation.forceUnlock(RequestID(session: ops, sequence: 1), key: key, reason: "stuck record")
        guard case .success(.forceUnlocked) = try admin.call(unlock) else {
            throw ClusterError("the force-unlock was refused")
        }

        let event = try holder.nextEvent { if case .lockLost = $0.body { true } else { false } }
        guard case .lockLost(let lostKey, let previous, .forceUnlocked(let by, let reason)) = event.body else {
            throw ClusterError("expected a force-unlock notice, got \(event)")
        }
        #expect(lostKey == key && previous.fence == granted.fence)
        #expect(by == "ops@console" && reason == "stuck record")
        #expect(event.index > granted.fence.rawValue, "the entry that ended the lock came after the grant")
    }

    @Test func aVersionOneClientIsServedAndSentNoEvents() throws {
        let cluster = try LocalCluster(nodes: 1)
        defer { cluster.stop() }
        let old = try WireClient(port: cluster.clientPort(1), version: ProtocolVersion(1))
        let session = try old.openSession(owner: "legacy@frontend-1")
        let acquire = ClientOperation.acquire(
            RequestID(session: session, sequence: 1),
            Acquisition(key: try LockKey("acme/legacy/1"), mode: .exclusive, waitMilliseconds: 0, note: ""))
        guard case .success(.granted) = try old.call(acquire) else { throw ClusterError("the acquire was refused") }
        #expect(old.events.isEmpty)
    }

    /// Issue 22: a version-2 client refused by a hold is told permissionDenied with the hold's words, and its
    /// inspections arrive in the version-2 layout (without holds), while a version-3 client sees the hold.
    @Test func aVersionTwoClientRefusedByAHoldIsToldWhyInWordsItCanRead() throws {
        let cluster = try LocalCluster(nodes: 1)
        defer { cluster.stop() }
        let record = try LockKey("acme/deals/42")
        let rules = try WireClient(port: cluster.clientPort(1))
        let engine = try rules.openSession(owner: "rules@engine")
        let placement = HoldPlacement(
            key: record, rule: "Deal closed", reason: "stage closed-won", source: .rule, restricts: .edit,
            exemptRoles: ["finance-admin"], editableFields: ["notes"], endsHolders: false)
        guard
            case .success(.holdPlaced(let hold, _)) = try rules.call(
                .placeHold(RequestID(session: engine, sequence: 1), placement))
        else { throw ClusterError("the hold was not placed") }

        let old = try WireClient(port: cluster.clientPort(1), version: ProtocolVersion(2))
        let rep = try old.openSession(owner: "rep@frontend-1")
        let edit = ClientOperation.acquire(
            RequestID(session: rep, sequence: 1),
            Acquisition(key: record, mode: .exclusive, waitMilliseconds: 0, note: "editing"))
        guard case .failure(.permissionDenied(let reason)) = try old.call(edit) else {
            throw ClusterError("the version-2 client was not refused with permissionDenied")
        }
        #expect(reason.hasPrefix("Locked by rule 'Deal closed' on acme/deals/42 since "), "\(reason)")
        #expect(reason.contains("stage closed-won") && reason.contains("only finance-admin may edit"), "\(reason)")
        guard case .success(.inspected(let seenByOld)) = try old.call(.inspect(record)) else {
            throw ClusterError("the version-2 client's inspection failed")
        }
        #expect(seenByOld.holds.isEmpty, "decoded in the version-2 layout")
        guard case .success(.inspected(let seenByNew)) = try rules.call(.inspect(record)) else {
            throw ClusterError("the version-3 client's inspection failed")
        }
        #expect(seenByNew.holds == [hold])
    }
}

/// A client speaking the wire by hand: one request at a time, with the events that arrive meanwhile kept.
private final class WireClient {
    let socket: RawSocket
    private var correlation: UInt64 = 0
    private(set) var events: [ClientEvent] = []
    /// The protocol version it speaks: answers and events are decoded in its layouts.
    let version: ProtocolVersion

    init(port: Int, version: ProtocolVersion = .current) throws {
        self.version = version
        socket = try RawSocket(port: port)
        socket.writeFrame(
            Handshake(version: version, role: .client, cluster: ClusterID(0), node: NodeID(0)).encoded())
        let answer = try socket.readFrame().map { try HandshakeAnswer(decoding: $0) }
        guard case .accepted? = answer else { throw ClusterError("handshake answered \(String(describing: answer))") }
    }

    /// Sends `operation` until the node answers something other than "not leader yet" (the node elects
    /// itself after starting), and returns that answer.
    func call(_ operation: ClientOperation) throws -> Result<ClientResult, ClientFailure> {
        let deadline = Date().addingTimeInterval(120)
        while true {
            correlation += 1
            socket.writeFrame(ClientRequest(correlation: CorrelationID(correlation), operation: operation).encoded())
            let outcome = try response(to: CorrelationID(correlation), deadline: deadline)
            switch outcome {
            case .failure(.notLeader), .failure(.unavailable):
                guard Date() < deadline else { return outcome }
                Thread.sleep(forTimeInterval: 0.1)
            default:
                return outcome
            }
        }
    }

    func openSession(owner: String) throws -> SessionID {
        let open = ClientOperation.openSession(
            owner: owner, nonce: UInt64.random(in: 1...UInt64.max), ttlMilliseconds: 60_000)
        guard case .success(.sessionOpened(let grant)) = try call(open) else {
            throw ClusterError("\(owner)'s session did not open")
        }
        return grant.session
    }

    /// The first event (already received or still to come) that `matches`.
    func nextEvent(_ matches: (ClientEvent) -> Bool) throws -> ClientEvent {
        let deadline = Date().addingTimeInterval(120)
        while true {
            if let index = events.firstIndex(where: matches) { return events.remove(at: index) }
            guard Date() < deadline else { throw ClusterError("no such event within 2 minutes; got \(events)") }
            try readOne()
        }
    }

    private func response(to correlation: CorrelationID, deadline: Date) throws -> Result<ClientResult, ClientFailure> {
        while Date() < deadline {
            if let response = try readOne(), response.correlation == correlation { return response.outcome }
        }
        throw ClusterError("no answer to request \(correlation.rawValue) within 2 minutes")
    }

    /// Reads one frame (waiting at most the socket's 5 s): a response is returned, an event kept.
    @discardableResult
    private func readOne() throws -> ClientResponse? {
        guard let frame = socket.readFrame() else { return nil }
        switch frame.first {
        case MessageKind.clientResponse.rawValue: return try ClientResponse(decoding: frame, version: version)
        case MessageKind.clientEvent.rawValue: events.append(try ClientEvent(decoding: frame, version: version))
        default: throw ClusterError("an unexpected frame: \(frame.prefix(8))")
        }
        return nil
    }
}

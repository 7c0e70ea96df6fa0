import PadlockTypes
import Testing

@testable import Wire

/// `renewSessions` and its `sessionsRenewed` answer (issue 19): layout, bounds, and the largest answer.
@Suite struct RenewalBatchTests {
    @Test func aBatchRenewalAndItsAnswerSurviveEncodingAndDecoding() throws {
        let sessions = [SessionID(3), SessionID(1 << 40), SessionID(0)]
        let request = ClientRequest(correlation: CorrelationID(9), operation: .renewSessions(sessions))
        #expect(try ClientRequest(decoding: request.encoded()) == request)
        let grant = SessionGrant(
            session: SessionID(3), ttlMilliseconds: 15_000, renewalDeadline: Timestamp(rawValue: 77))
        let answers = [
            SessionRenewal(session: SessionID(3), outcome: .success(grant)),
            SessionRenewal(session: SessionID(1 << 40), outcome: .failure(.sessionExpired)),
            SessionRenewal(
                session: SessionID(0),
                outcome: .failure(.notLeader(LeaderHint(node: NodeID(2), address: "10.0.0.2:7401")))),
        ]
        let response = ClientResponse(correlation: CorrelationID(9), outcome: .success(.sessionsRenewed(answers)))
        #expect(try ClientResponse(decoding: response.encoded()) == response)
    }

    @Test func aBatchRenewalLaysOutItsTagCountAndSessions() {
        let request = ClientRequest(
            correlation: CorrelationID(1), operation: .renewSessions([SessionID(5), SessionID(300)]))
        // kind, correlation, tag 19, count 2, 5, 300 as a two-byte varint.
        #expect(request.encoded() == [MessageKind.clientRequest.rawValue, 1, 19, 2, 5, 0xAC, 0x02])
    }

    @Test func aBatchOfMoreSessionsThanTheBoundIsRefusedAsTooLong() {
        var writer = ByteWriter()
        writer.writeUInt8(MessageKind.clientRequest.rawValue)
        writer.writeVarint(1)
        writer.writeUInt8(OperationTag.renewSessions.rawValue)
        let count = WireLimits.renewalBatchCountMax + 1
        writer.writeVarint(UInt64(count))
        for session in 0..<count { writer.writeVarint(UInt64(session)) }
        let error = #expect(throws: WireError.self) { try ClientRequest(decoding: writer.bytes) }
        guard case .malformed(.lengthTooLarge(_, let length, let maximum))? = error else {
            Issue.record("expected lengthTooLarge, got \(String(describing: error))")
            return
        }
        #expect(length == UInt64(count))
        #expect(maximum == UInt64(WireLimits.renewalBatchCountMax))
    }

    @Test func theLargestBatchAnswerFitsInOneFrame() {
        let reason = String(repeating: "r", count: WireLimits.messageByteCountMax)
        let answers = (0..<WireLimits.renewalBatchCountMax).map { index in
            SessionRenewal(
                session: SessionID(UInt64.max - UInt64(index)), outcome: .failure(.permissionDenied(reason: reason)))
        }
        let response = ClientResponse(correlation: CorrelationID(.max), outcome: .success(.sessionsRenewed(answers)))
        #expect(response.encoded().count <= WireLimits.framePayloadByteCountMax)
    }
}

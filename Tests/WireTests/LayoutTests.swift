import PadlockTypes
import Testing

@testable import Wire

/// Byte-exact layouts of the messages whose fields docs/wire.md tables describe, so that the tables and the
/// codec cannot drift apart.
@Suite struct LayoutTests {
    private func response(_ result: ClientResult) -> [UInt8] {
        ClientResponse(correlation: CorrelationID(1), outcome: .success(result)).encoded()
    }

    private func response(_ failure: ClientFailure) -> [UInt8] {
        ClientResponse(correlation: CorrelationID(1), outcome: .failure(failure)).encoded()
    }

    @Test func anOpenSessionCarriesOwnerNonceAndTTL() {
        let request = ClientRequest(
            correlation: CorrelationID(2), operation: .openSession(owner: "al", nonce: 300, ttlMilliseconds: 10_000))
        let expected: [UInt8] = [
            0x03,  // kind: client request
            0x02,  // correlation id
            0x01,  // operation: openSession
            0x02, 0x61, 0x6C,  // owner "al"
            0xAC, 0x02,  // nonce 300
            0x90, 0x4E,  // ttl 10000 ms
        ]
        #expect(request.encoded() == expected)
    }

    @Test func aCancelWaitCarriesItsRequestIDAndKey() {
        let request = ClientRequest(
            correlation: CorrelationID(1),
            operation: .cancelWait(RequestID(session: SessionID(7), sequence: 3), key: key("a/b")))
        #expect(request.encoded() == [0x03, 0x01, 0x0E, 0x07, 0x03, 0x03, 0x61, 0x2F, 0x62])
    }

    @Test func anAuditRequestPagesBySequence() {
        let after = ClientRequest(correlation: CorrelationID(1), operation: .audit(after: 9, limit: 10))
        #expect(after.encoded() == [0x03, 0x01, 0x0B, 0x01, 0x09, 0x0A])
        let fromOldest = ClientRequest(correlation: CorrelationID(1), operation: .audit(after: nil, limit: 10))
        #expect(fromOldest.encoded() == [0x03, 0x01, 0x0B, 0x00, 0x0A])
    }

    @Test func aForceUnlockOfASharedKeyReportsEveryPreviousHolder() {
        let first = Holder(
            session: SessionID(1), owner: "a", mode: .shared, fence: FenceToken(5), since: Timestamp(rawValue: 6),
            note: "")
        let second = Holder(
            session: SessionID(2), owner: "b", mode: .shared, fence: FenceToken(8), since: Timestamp(rawValue: 6),
            note: "")
        let expected: [UInt8] = [
            0x04, 0x01, 0x00,  // kind: client response, correlation, result
            0x09,  // result: forceUnlocked
            0x02,  // two holders
            0x01, 0x01, 0x61, 0x01, 0x05, 0x06, 0x00,  // session 1, "a", shared, fence 5, since 6, no note
            0x02, 0x01, 0x62, 0x01, 0x08, 0x06, 0x00,  // session 2, "b", shared, fence 8, since 6, no note
        ]
        #expect(response(.forceUnlocked(previous: [first, second])) == expected)
        #expect(response(.forceUnlocked(previous: [])) == [0x04, 0x01, 0x00, 0x09, 0x00])
    }

    @Test func anInspectionEndsWithItsLockDelayThenItsHolds() {
        let delayed = KeyInspection(
            key: key("a/b"), holders: [], waiters: [], lockDelayedUntil: Timestamp(rawValue: 1_000))
        #expect(
            response(.inspected(delayed)) == [0x04, 0x01, 0x00, 0x06, 0x03, 0x61, 0x2F, 0x62, 0, 0, 1, 0xE8, 0x07, 0])
        let free = KeyInspection(key: key("a/b"), holders: [], waiters: [], lockDelayedUntil: nil)
        #expect(response(.inspected(free)) == [0x04, 0x01, 0x00, 0x06, 0x03, 0x61, 0x2F, 0x62, 0, 0, 0, 0])
        // Version 2's layout has no holds at all.
        let older = ClientResponse(correlation: CorrelationID(1), outcome: .success(.inspected(free)))
        #expect(older.encoded(for: ProtocolVersion(2)) == [0x04, 0x01, 0x00, 0x06, 0x03, 0x61, 0x2F, 0x62, 0, 0, 0])
    }

    @Test func theNewResultAndFailuresHaveTheirDocumentedTags() {
        #expect(response(.waitCancelled) == [0x04, 0x01, 0x00, 0x0D])
        #expect(response(.lockDelayed(until: Timestamp(rawValue: 1_000))) == [0x04, 0x01, 0x01, 0x0C, 0xE8, 0x07])
        #expect(response(.waitersAhead(key: key("a"), waiterCount: 2)) == [0x04, 0x01, 0x01, 0x0D, 0x01, 0x61, 0x02])
        #expect(response(.notWaiting) == [0x04, 0x01, 0x01, 0x0E])
        #expect(response(.superseded) == [0x04, 0x01, 0x01, 0x0F])
    }

    @Test func anAuditPageCarriesSequencesSessionsAndTheOldestKept() {
        let record = AuditRecord(
            sequence: 9, index: LogIndex(20), time: Timestamp(rawValue: 1_000), action: .forceUnlock,
            session: SessionID(7), key: key("a/b"), previousHolder: nil, identity: "op", reason: "x")
        let page = AuditPage(records: [record], next: 10, oldestKept: 5)
        let expected: [UInt8] = [
            0x04, 0x01, 0x00,  // kind: client response, correlation, result
            0x0B,  // result: audited
            0x01,  // one record
            0x09,  // sequence 9
            0x14,  // log index 20
            0xE8, 0x07,  // time 1000 ms
            0x00,  // action: forceUnlock
            0x07,  // session 7
            0x01, 0x03, 0x61, 0x2F, 0x62,  // key "a/b"
            0x00,  // no previous holder
            0x02, 0x6F, 0x70,  // identity "op"
            0x01, 0x78,  // reason "x"
            0x00,  // no hold (version 3)
            0x01, 0x0A,  // next: after 10
            0x05,  // oldest kept: 5
        ]
        #expect(response(.audited(page)) == expected)
        var older = expected
        older.remove(at: expected.count - 4)
        let answer = ClientResponse(correlation: CorrelationID(1), outcome: .success(.audited(page)))
        #expect(answer.encoded(for: ProtocolVersion(2)) == older, "version 2's record ends with its reason")
    }

    @Test func aStatusReportCarriesLogProgressMembershipAndPeers() {
        let status = NodeStatus(
            node: NodeID(1), role: .leader, term: Term(3), leader: NodeID(1),
            commitIndex: LogIndex(10), appliedIndex: LogIndex(9), lastIndex: LogIndex(11),
            snapshotIndex: LogIndex(4), sessionCount: 2, lockCount: 1, waiterCount: 0,
            members: [NodeID(1), NodeID(2), NodeID(3)], learners: [NodeID(4)],
            peers: [
                PeerProgress(node: NodeID(2), matchIndex: LogIndex(10), isLearner: false, isReachable: true),
                PeerProgress(node: NodeID(4), matchIndex: LogIndex(5), isLearner: true, isReachable: false),
            ], canCommit: false, problems: ["n2"])
        let expected: [UInt8] = [
            0x04, 0x01, 0x00,  // kind: client response, correlation, result
            0x0C,  // result: status
            0x01, 0x02, 0x03,  // node 1, leader, term 3
            0x01, 0x01,  // leader: node 1
            0x0A, 0x09, 0x0B, 0x04,  // commit 10, applied 9, last 11, snapshot 4
            0x02, 0x01, 0x00,  // 2 sessions, 1 lock, 0 waiters
            0x03, 0x01, 0x02, 0x03,  // voters 1, 2, 3
            0x01, 0x04,  // learner 4
            0x02,  // two peers
            0x02, 0x0A, 0x00, 0x01,  // node 2 at 10, voter, reachable
            0x04, 0x05, 0x01, 0x00,  // node 4 at 5, learner, unreachable
            0x00,  // cannot commit
            0x01, 0x02, 0x6E, 0x32,  // one problem: "n2"
        ]
        #expect(response(.status(status)) == expected)
    }

    @Test func listsAtTheirBoundsSurviveEncodingAndDecoding() throws {
        let holders = (0..<WireLimits.inspectionEntriesMax).map { index in
            Holder(
                session: SessionID(UInt64(index)), owner: "reader-\(index)", mode: .shared,
                fence: FenceToken(UInt64(index + 1)), since: Timestamp(rawValue: 1_700_000_000_000), note: "approve")
        }
        let unlocked = ClientResponse(
            correlation: CorrelationID(1), outcome: .success(.forceUnlocked(previous: holders)))
        #expect(try ClientResponse(decoding: unlocked.encoded()) == unlocked)

        let nodes = (1...WireLimits.clusterMembersMax).map { NodeID(UInt64($0)) }
        let status = NodeStatus(
            node: nodes[0], role: .leader, term: Term(.max), leader: nodes[0], commitIndex: LogIndex(.max),
            appliedIndex: LogIndex(.max), lastIndex: LogIndex(.max), snapshotIndex: LogIndex(.max),
            sessionCount: .max, lockCount: .max, waiterCount: .max, members: nodes, learners: nodes,
            peers: nodes.map {
                PeerProgress(node: $0, matchIndex: LogIndex(.max), isLearner: true, isReachable: true)
            })
        let report = ClientResponse(correlation: CorrelationID(1), outcome: .success(.status(status)))
        #expect(try ClientResponse(decoding: report.encoded()) == report)
    }
}

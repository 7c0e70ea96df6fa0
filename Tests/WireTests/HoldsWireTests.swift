import PadlockTypes
import Testing

@testable import Wire
@testable import WireFuzzing

/// Protocol v3 (issue 22): the hold, all-or-nothing and mode-change operations, their answers, and what a
/// server sends a v1 or v2 connection instead.
@Suite struct HoldsWireTests {
    /// 2026-12-07 10:02:07 UTC.
    static let since = Timestamp(rawValue: 1_796_637_727_000)
    static let dealClosed = Hold(
        key: key("acme/deals/42"), rule: "Deal closed", reason: "stage closed-won", source: .rule,
        placedBy: "client crm: rules@engine", since: since, fence: FenceToken(99), restricts: .edit,
        exemptRoles: ["finance-admin"], editableFields: ["notes"])
    static let request = RequestID(session: SessionID(7), sequence: 3)
    static let placement = HoldPlacement(
        key: key("acme/deals/42"), rule: "Deal closed", reason: "stage closed-won", source: .manual,
        restricts: .all, exemptRoles: ["finance-admin", "legal"], editableFields: ["notes"], endsHolders: true)

    static let operations: [ClientOperation] = [
        .acquireKeys(
            request, keys: [key("acme/deals/1"), key("acme/deals/2")],
            Acquisition(key: key("acme/deals/1"), mode: .exclusive, waitMilliseconds: 5_000, note: "merging"),
            roles: ["sales-rep"]),
        .changeMode(
            request, key: key("acme/deals/1"), fence: FenceToken(12), mode: .exclusive, waitMilliseconds: 0,
            roles: []),
        .placeHold(request, placement),
        .liftHold(request, key: key("acme/deals/42"), rule: "Deal closed", reason: "reopened"),
        .liftHold(request, key: key("acme"), rule: nil, reason: "invoice paid"),
        .holds(prefix: key("acme"), after: key("acme/deals/1"), limit: 50),
        .holds(prefix: nil, after: nil, limit: 1),
    ]

    static let results: [ClientResult] = [
        .grantedKeys([sampleHolder, sampleHolder]),
        .holdPlaced(
            dealClosed,
            ended: [LockInfo(key: key("acme/deals/42"), holder: sampleHolder, leaseDeadline: Timestamp(rawValue: 9))]),
        .holdPlaced(dealClosed, ended: []),
        .holdsLifted([dealClosed]),
        .holdsListed(HoldPage(holds: [dealClosed], next: key("acme/deals/42"))),
        .holdsListed(HoldPage(holds: [], next: nil)),
    ]

    @Test func everyNewOperationSurvivesEncodingAndDecoding() throws {
        for operation in Self.operations {
            let request = ClientRequest(correlation: CorrelationID(5), operation: operation)
            let bytes = request.encoded()
            let decoded = try ClientRequest(decoding: bytes)
            #expect(decoded == request)
            #expect(decoded.encoded() == bytes)
            #expect(try ClientRequest(decoding: bytes, version: .holds) == request)
        }
    }

    @Test func everyNewResultAndFailureSurvivesEncodingAndDecoding() throws {
        let outcomes =
            Self.results.map { Result<ClientResult, ClientFailure>.success($0) } + [
                .failure(.restricted(by: Self.dealClosed)), .failure(.noHold),
            ]
        for outcome in outcomes {
            let response = ClientResponse(correlation: CorrelationID(8), outcome: outcome)
            let bytes = response.encoded()
            #expect(try ClientResponse(decoding: bytes) == response)
            #expect(response.encoded(for: .current) == bytes, "a v3 connection gets every answer as it is")
        }
    }

    @Test func theHoldSamplesSurviveEncodingAndCoverEveryCase() throws {
        var operations = Set<String>()
        var results = Set<UInt8>()
        for seed in propertySeeds {
            var random = SplitMix64(seed: seed)
            for index in 0..<(valuesPerSeed / 4) {
                let request = ClientRequest(
                    correlation: CorrelationID(1), operation: WireSamples.holdOperation(using: &random))
                #expect(try ClientRequest(decoding: request.encoded()) == request, "seed \(seed), value \(index)")
                operations.insert(request.operation.name)
                let response = ClientResponse(
                    correlation: CorrelationID(1), outcome: .success(WireSamples.holdResult(using: &random)))
                let bytes = response.encoded()
                #expect(try ClientResponse(decoding: bytes) == response, "seed \(seed), value \(index)")
                results.insert(bytes[3])
                let hold = WireSamples.hold(using: &random)
                let failure = ClientResponse(correlation: CorrelationID(1), outcome: .failure(.restricted(by: hold)))
                #expect(try ClientResponse(decoding: failure.encoded()) == failure, "seed \(seed), value \(index)")
            }
        }
        #expect(operations == ["acquireKeys", "changeMode", "placeHold", "liftHold", "holds"])
        #expect(results == [17, 18, 19, 20])
    }

    @Test func aHoldHasTheDocumentedLayout() {
        let hold = Hold(
            key: key("a"), rule: "R", reason: "x", source: .manual, placedBy: "op", since: Timestamp(rawValue: 5),
            fence: FenceToken(9), restricts: .edit, exemptRoles: ["fa"], editableFields: [])
        let expected: [UInt8] = [
            0x04, 0x01, 0x01,  // kind: client response, correlation, failure
            0x10,  // failure: restricted
            0x01, 0x61,  // key "a"
            0x01, 0x52,  // rule "R"
            0x01, 0x78,  // reason "x"
            0x01,  // source: manual
            0x02, 0x6F, 0x70,  // placed by "op"
            0x05,  // since 5 ms
            0x09,  // fence 9
            0x01,  // restricts: edit
            0x01, 0x02, 0x66, 0x61,  // exempt roles ["fa"]
            0x00,  // no editable fields
        ]
        let response = ClientResponse(correlation: CorrelationID(1), outcome: .failure(.restricted(by: hold)))
        #expect(response.encoded() == expected)
        let noHold = ClientResponse(correlation: CorrelationID(1), outcome: .failure(.noHold))
        #expect(noHold.encoded() == [0x04, 0x01, 0x01, 0x11])
    }

    @Test func anOlderClientRefusedByAHoldIsToldPermissionDeniedWithTheSameWords() throws {
        let response = ClientResponse(
            correlation: CorrelationID(3), outcome: .failure(.restricted(by: Self.dealClosed)))
        for version in [ProtocolVersion(1), ProtocolVersion(2)] {
            let decoded = try ClientResponse(decoding: response.encoded(for: version), version: version)
            guard case .failure(.permissionDenied(let reason)) = decoded.outcome else {
                Issue.record("a \(version) client was answered \(decoded.outcome)")
                continue
            }
            #expect(
                reason
                    == "Locked by rule 'Deal closed' on acme/deals/42 since 2026-12-07 10:02:07 UTC (placed by client "
                    + "crm: rules@engine) — stage closed-won; only finance-admin may edit; notes stay editable")
        }
        var freeze = Self.dealClosed
        freeze.key = key("acme")
        freeze.exemptRoles = []
        freeze.editableFields = []
        freeze.restricts = .all
        #expect(freeze.refusalSentence.hasSuffix("; nobody may edit or view until it is lifted"))
        #expect(ClientFailure.restricted(by: Self.dealClosed).description == Self.dealClosed.refusalSentence)
    }

    @Test func aRefusalLongerThanTheMessageBoundIsCutSoAnOlderClientCanReadIt() throws {
        var hold = Self.dealClosed
        hold.reason = String(repeating: "é", count: InputLimits.reasonByteCountMax / 2)
        hold.exemptRoles = (0..<HoldLimits.exemptRolesMax).map { "role-\($0)" }
        let response = ClientResponse(correlation: CorrelationID(3), outcome: .failure(.restricted(by: hold)))
        let decoded = try ClientResponse(decoding: response.encoded(for: .events), version: .events)
        guard case .failure(.permissionDenied(let reason)) = decoded.outcome else {
            Issue.record("answered \(decoded.outcome)")
            return
        }
        #expect(reason.utf8.count <= WireLimits.messageByteCountMax)
        #expect(reason.hasPrefix("Locked by rule 'Deal closed' on acme/deals/42 since 2026-12-07 10:02:07 UTC"))
        #expect(reason.hasSuffix("…"))
    }

    @Test func noHoldIsNotHeldToAnOlderClient() throws {
        let response = ClientResponse(correlation: CorrelationID(3), outcome: .failure(.noHold))
        let decoded = try ClientResponse(decoding: response.encoded(for: .events), version: .events)
        #expect(decoded.outcome == .failure(.notHeld))
    }

    @Test func anOlderClientsAuditPageSkipsHoldRecordsAndStillPagesPastThem() throws {
        func record(_ sequence: UInt64, _ action: AuditAction, hold: Hold?) -> AuditRecord {
            AuditRecord(
                sequence: sequence, index: LogIndex(sequence + 10), time: Self.since, action: action,
                session: SessionID(7), key: key("acme/deals/42"), previousHolder: nil, identity: "ops@console",
                reason: "r", hold: hold)
        }
        let forced = record(4, .forceUnlock, hold: nil)
        let page = AuditPage(
            records: [
                forced, record(5, .holdPlaced, hold: Self.dealClosed), record(6, .holdBypassed, hold: Self.dealClosed),
                record(7, .holdLifted, hold: Self.dealClosed),
            ], next: 7, oldestKept: 1)
        let response = ClientResponse(correlation: CorrelationID(3), outcome: .success(.audited(page)))
        let older = try ClientResponse(decoding: response.encoded(for: .events), version: .events)
        #expect(older.outcome == .success(.audited(AuditPage(records: [forced], next: 7, oldestKept: 1))))
        let onlyHolds = AuditPage(records: Array(page.records.dropFirst()), next: nil, oldestKept: 1)
        let empty = ClientResponse(correlation: CorrelationID(3), outcome: .success(.audited(onlyHolds)))
        let olderEmpty = try ClientResponse(decoding: empty.encoded(for: .events), version: .events)
        #expect(olderEmpty.outcome == .success(.audited(AuditPage(records: [], next: nil, oldestKept: 1))))
        #expect(try ClientResponse(decoding: response.encoded(for: .current)) == response)
    }

    @Test func anOlderClientsInspectionsAndWatchedStatesHaveNoHolds() throws {
        let holder = LockInfo(key: key("acme/deals/42/notes"), holder: sampleHolder, leaseDeadline: Self.since)
        let inspection = KeyInspection(
            key: key("acme/deals/42"), holders: [holder], waiters: [], lockDelayedUntil: Self.since,
            holds: [Self.dealClosed])
        var withoutHolds = inspection
        withoutHolds.holds = []
        let response = ClientResponse(correlation: CorrelationID(3), outcome: .success(.inspected(inspection)))
        let older = try ClientResponse(decoding: response.encoded(for: .events), version: .events)
        #expect(older.outcome == .success(.inspected(withoutHolds)))
        #expect(try ClientResponse(decoding: response.encoded()).outcome == .success(.inspected(inspection)))

        let event = ClientEvent(index: 40, body: .keyState(inspection))
        #expect(
            try ClientEvent(decoding: event.encoded(for: .events), version: .events).body == .keyState(withoutHolds))
        #expect(try ClientEvent(decoding: event.encoded()) == event)
        #expect(event.encoded(for: .current) == event.encoded())
    }

    @Test func anOlderConnectionSendingALaterOperationGetsTheUnknownTagAnOlderServerGives() throws {
        for operation in Self.operations {
            let bytes = ClientRequest(correlation: CorrelationID(1), operation: operation).encoded()
            let error = #expect(throws: WireError.self) { try ClientRequest(decoding: bytes, version: .events) }
            guard case .malformed(.unknownTag(let offset, let type, let tag)) = error else {
                Issue.record("\(operation.name) from a v2 connection: \(String(describing: error))")
                continue
            }
            #expect(offset == 2 && type == "OperationTag" && tag == bytes[2])
        }
        let subscribe = ClientRequest(correlation: CorrelationID(1), operation: .subscribe(Subscription())).encoded()
        #expect(throws: WireError.self) { try ClientRequest(decoding: subscribe, version: .oldestSupported) }
        #expect(try ClientRequest(decoding: subscribe, version: .events).operation == .subscribe(Subscription()))
    }

    @Test func garbageTagsGetTheSameClearErrorFromEveryVersion() {
        let garbage = payload(.clientRequest) {
            $0.writeVarint(1)
            $0.writeUInt8(200)
        }
        let current = #expect(throws: WireError.self) { try ClientRequest(decoding: garbage) }
        #expect(current == .malformed(.unknownTag(offset: 2, type: "OperationTag", tag: 200)))
        for version in ProtocolVersion.oldestSupported.rawValue...ProtocolVersion.current.rawValue {
            let error = #expect(throws: WireError.self) {
                try ClientRequest(decoding: garbage, version: ProtocolVersion(version))
            }
            #expect(error == current)
            #expect(error?.description.contains("unknown OperationTag tag 200") == true)
        }
    }

    @Test func anOlderClientRefusesLaterResultsAndFailuresAsUnknownTags() {
        for outcome: Result<ClientResult, ClientFailure> in [.success(Self.results[0]), .failure(.noHold)] {
            let bytes = ClientResponse(correlation: CorrelationID(1), outcome: outcome).encoded()
            #expect(throws: WireError.self) { try ClientResponse(decoding: bytes, version: .events) }
        }
    }

    @Test func thisBuildSpeaksVersionThreeAndAcceptsOneToThree() {
        #expect(ProtocolVersion.current == ProtocolVersion(3))
        #expect(ProtocolVersion.supported == ProtocolVersion(1)...ProtocolVersion(3))
    }
}

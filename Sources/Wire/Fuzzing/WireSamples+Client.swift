import PadlockTypes

extension WireSamples {
    /// A client request of a random operation.
    package static func request(using random: inout WireRandom) -> ClientRequest {
        ClientRequest(correlation: CorrelationID(random.interestingUInt64()), operation: operation(using: &random))
    }

    /// A client operation; every case is equally likely.
    package static func operation(using random: inout WireRandom) -> ClientOperation {
        let reasonMax = InputLimits.reasonByteCountMax
        switch random.below(13) {
        case 0:
            return .openSession(
                owner: text(maxByteCount: InputLimits.ownerByteCountMax, using: &random),
                ttlMilliseconds: random.interestingUInt64())
        case 1: return .renewSession(SessionID(random.interestingUInt64()))
        case 2: return .closeSession(requestID(using: &random))
        case 3:
            let acquisition = Acquisition(
                key: key(using: &random), mode: random.pick(LockMode.allCases),
                waitMilliseconds: random.interestingUInt64(),
                note: text(maxByteCount: InputLimits.noteByteCountMax, using: &random))
            return .acquire(requestID(using: &random), acquisition)
        case 4:
            return .release(requestID(using: &random), key: key(using: &random), fence: FenceToken(random.next()))
        case 5: return .inspect(key(using: &random))
        case 6:
            let query = ListQuery(
                prefix: maybe(&random) { key(using: &$0) },
                owner: maybe(&random) { text(maxByteCount: InputLimits.ownerByteCountMax, using: &$0) },
                after: maybe(&random) { key(using: &$0) }, limit: random.below(WireLimits.pageSizeMax + 1))
            return .list(query)
        case 7: return .checkFence(key: key(using: &random), fence: FenceToken(random.interestingUInt64()))
        case 8:
            return .forceUnlock(
                requestID(using: &random), key: key(using: &random),
                reason: text(maxByteCount: reasonMax, using: &random))
        case 9:
            return .revokeSession(
                requestID(using: &random), target: SessionID(random.interestingUInt64()),
                reason: text(maxByteCount: reasonMax, using: &random))
        case 10:
            return .audit(
                after: maybe(&random) { WireLogIndex($0.interestingUInt64()) },
                limit: random.below(WireLimits.pageSizeMax + 1))
        case 11: return .status
        default: return .resolve(requestID(using: &random))
        }
    }

    /// A client response: a result three times in five, otherwise a failure.
    package static func response(using random: inout WireRandom) -> ClientResponse {
        let correlation = CorrelationID(random.interestingUInt64())
        if random.chance(60) {
            return ClientResponse(correlation: correlation, outcome: .success(result(using: &random)))
        }
        return ClientResponse(correlation: correlation, outcome: .failure(failure(using: &random)))
    }

    /// A result of a random kind; every case is equally likely.
    package static func result(using random: inout WireRandom) -> ClientResult {
        switch random.below(12) {
        case 0: .sessionOpened(sessionGrant(using: &random))
        case 1: .sessionRenewed(sessionGrant(using: &random))
        case 2: .sessionClosed
        case 3: .granted(holder(using: &random))
        case 4: .released
        case 5:
            .inspected(
                KeyInspection(
                    key: key(using: &random),
                    holders: list(&random, maxCount: WireLimits.inspectionEntriesMax) { lockInfo(using: &$0) },
                    waiters: list(&random, maxCount: WireLimits.inspectionEntriesMax) { waiter(using: &$0) }))
        case 6:
            .listed(
                ListPage(
                    locks: list(&random, maxCount: WireLimits.pageSizeMax) { lockInfo(using: &$0) },
                    next: maybe(&random) { key(using: &$0) }))
        case 7:
            .fenceChecked(
                FenceCheck(
                    isCurrent: random.chance(50), currentFence: maybe(&random) { FenceToken($0.interestingUInt64()) }))
        case 8: .forceUnlocked(previous: holder(using: &random))
        case 9: .sessionRevoked(releasedLockCount: random.interestingUInt64())
        case 10:
            .audited(
                AuditPage(
                    records: list(&random, maxCount: WireLimits.pageSizeMax) { auditRecord(using: &$0) },
                    next: maybe(&random) { WireLogIndex($0.interestingUInt64()) }))
        default: .status(nodeStatus(using: &random))
        }
    }

    /// A failure of a random kind; every case is equally likely.
    package static func failure(using random: inout WireRandom) -> ClientFailure {
        let messageMax = WireLimits.messageByteCountMax
        switch random.below(11) {
        case 0: return .invalidArgument(message: text(maxByteCount: messageMax, using: &random))
        case 1: return .permissionDenied(reason: text(maxByteCount: messageMax, using: &random))
        case 2: return .held(by: holder(using: &random), waiterCount: random.interestingUInt64())
        case 3:
            return .notLeader(
                maybe(&random) {
                    LeaderHint(
                        node: WireNodeID($0.interestingUInt64()),
                        address: text(maxByteCount: WireLimits.addressByteCountMax, using: &$0))
                })
        case 4:
            return .unavailable(
                reason: text(maxByteCount: messageMax, using: &random),
                retryAfterMilliseconds: random.interestingUInt64())
        case 5: return .overloaded(reason: text(maxByteCount: messageMax, using: &random))
        case 6: return .sessionExpired
        case 7: return .notHeld
        case 8: return .lockLost
        case 9: return .timedOut
        default: return .unknownRequest
        }
    }

    static func sessionGrant(using random: inout WireRandom) -> SessionGrant {
        SessionGrant(
            session: SessionID(random.interestingUInt64()), ttlMilliseconds: random.interestingUInt64(),
            renewalDeadline: Timestamp(rawValue: random.interestingUInt64()))
    }

    static func lockInfo(using random: inout WireRandom) -> LockInfo {
        LockInfo(
            key: key(using: &random), holder: holder(using: &random),
            leaseDeadline: Timestamp(rawValue: random.interestingUInt64()))
    }

    static func waiter(using random: inout WireRandom) -> Waiter {
        Waiter(
            key: key(using: &random), session: SessionID(random.interestingUInt64()),
            owner: text(maxByteCount: InputLimits.ownerByteCountMax, using: &random),
            mode: random.pick(LockMode.allCases), since: Timestamp(rawValue: random.interestingUInt64()))
    }

    static func auditRecord(using random: inout WireRandom) -> AuditRecord {
        AuditRecord(
            index: WireLogIndex(random.interestingUInt64()), time: Timestamp(rawValue: random.interestingUInt64()),
            action: random.pick(AuditAction.allCases), key: maybe(&random) { key(using: &$0) },
            previousHolder: maybe(&random) { holder(using: &$0) },
            identity: text(maxByteCount: InputLimits.ownerByteCountMax, using: &random),
            reason: text(maxByteCount: InputLimits.reasonByteCountMax, using: &random))
    }

    static func nodeStatus(using random: inout WireRandom) -> NodeStatus {
        NodeStatus(
            node: WireNodeID(random.interestingUInt64()), role: random.pick(NodeRole.allCases),
            term: WireTerm(random.interestingUInt64()), leader: maybe(&random) { WireNodeID($0.interestingUInt64()) },
            commitIndex: WireLogIndex(random.interestingUInt64()),
            appliedIndex: WireLogIndex(random.interestingUInt64()), sessionCount: random.interestingUInt64(),
            lockCount: random.interestingUInt64(), waiterCount: random.interestingUInt64())
    }
}

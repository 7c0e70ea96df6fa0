import PadlockTypes
import Wire

extension WireSamples {
    /// A client request of a random operation.
    package static func request(using random: inout SplitMix64) -> ClientRequest {
        ClientRequest(
            correlation: CorrelationID(random.interestingUInt64()), operation: operation(using: &random),
            trace: random.chance(25) ? traceContext(using: &random) : nil)
    }

    /// A trace context: usually a well-formed version-00 traceparent, sometimes any visible ASCII up to the
    /// bound (the wire does not parse it), with a tracestate a third of the time.
    package static func traceContext(using random: inout SplitMix64) -> TraceContext {
        let hex = Array("0123456789abcdef".utf8)
        func digits(_ count: Int, _ random: inout SplitMix64) -> String {
            String(decoding: (0..<count).map { _ in random.pick(hex) }, as: UTF8.self)
        }
        func ascii(_ range: ClosedRange<Int>, _ random: inout SplitMix64) -> String {
            String(decoding: (0..<random.within(range)).map { _ in UInt8(random.within(0x20...0x7E)) }, as: UTF8.self)
        }
        let parent =
            random.chance(75)
            ? "00-\(digits(32, &random))-\(digits(16, &random))-\(random.pick(["00", "01"]))"
            : ascii(1...WireLimits.traceparentByteCountMax, &random)
        let state = random.chance(33) ? ascii(0...WireLimits.tracestateByteCountMax, &random) : ""
        return TraceContext(traceparent: parent, tracestate: state)
    }

    /// A client operation; every case is equally likely.
    ///
    /// The case is chosen by its wire tag, so that the compiler insists on a sample for every tag there is.
    package static func operation(using random: inout SplitMix64) -> ClientOperation {
        let reasonMax = InputLimits.reasonByteCountMax
        switch random.pick(OperationTag.allCases) {
        case .openSession:
            return .openSession(
                owner: text(maxByteCount: InputLimits.ownerByteCountMax, using: &random),
                nonce: random.interestingUInt64(), ttlMilliseconds: random.interestingUInt64())
        case .renewSession: return .renewSession(SessionID(random.interestingUInt64()))
        case .closeSession: return .closeSession(requestID(using: &random))
        case .acquire:
            let acquisition = Acquisition(
                key: key(using: &random), mode: random.pick(LockMode.allCases),
                waitMilliseconds: random.interestingUInt64(),
                note: text(maxByteCount: InputLimits.noteByteCountMax, using: &random))
            return .acquire(requestID(using: &random), acquisition)
        case .release:
            return .release(requestID(using: &random), key: key(using: &random), fence: FenceToken(random.next()))
        case .cancelWait: return .cancelWait(requestID(using: &random), key: key(using: &random))
        case .inspect: return .inspect(key(using: &random))
        case .list:
            let query = ListQuery(
                prefix: maybe(&random) { key(using: &$0) },
                owner: maybe(&random) { text(maxByteCount: InputLimits.ownerByteCountMax, using: &$0) },
                after: maybe(&random) { key(using: &$0) }, limit: random.below(WireLimits.pageSizeMax + 1))
            return .list(query)
        case .checkFence: return .checkFence(key: key(using: &random), fence: FenceToken(random.interestingUInt64()))
        case .forceUnlock:
            return .forceUnlock(
                requestID(using: &random), key: key(using: &random),
                reason: text(maxByteCount: reasonMax, using: &random))
        case .revokeSession:
            return .revokeSession(
                requestID(using: &random), target: SessionID(random.interestingUInt64()),
                reason: text(maxByteCount: reasonMax, using: &random))
        case .audit:
            return .audit(
                after: maybe(&random) { $0.interestingUInt64() }, limit: random.below(WireLimits.pageSizeMax + 1))
        case .status: return .status
        case .resolve: return .resolve(requestID(using: &random))
        case .addMember:
            return .addMember(
                node: NodeID(random.interestingUInt64()),
                peerAddress: text(maxByteCount: WireLimits.addressByteCountMax, using: &random),
                clientAddress: text(maxByteCount: WireLimits.addressByteCountMax, using: &random))
        case .promoteMember: return .promoteMember(NodeID(random.interestingUInt64()))
        case .removeMember: return .removeMember(NodeID(random.interestingUInt64()))
        case .members: return .members
        case .renewSessions:
            return .renewSessions(
                list(&random, maxCount: WireLimits.renewalBatchCountMax) { SessionID($0.interestingUInt64()) })
        case .subscribe: return .subscribe(subscription(using: &random))
        case .unsubscribe: return .unsubscribe(subscription(using: &random))
        case .acquireKeys, .changeMode, .placeHold, .liftHold, .holds:
            return holdOperation(using: &random)
        case .backup, .backupChunk: return backupOperation(using: &random)
        case .takeover:
            let acquisition = Acquisition(
                key: key(using: &random), mode: random.pick(LockMode.allCases), waitMilliseconds: 0,
                note: text(maxByteCount: InputLimits.noteByteCountMax, using: &random))
            return .takeover(
                requestID(using: &random), acquisition, reason: text(maxByteCount: reasonMax, using: &random))
        }
    }

    /// A subscription naming random sessions, keys and prefixes.
    static func subscription(using random: inout SplitMix64) -> Subscription {
        Subscription(
            sessions: list(&random, maxCount: WireLimits.subscriptionSessionsMax) { SessionID($0.interestingUInt64()) },
            keys: list(&random, maxCount: WireLimits.subscriptionKeysMax) { key(using: &$0) },
            prefixes: list(&random, maxCount: WireLimits.subscriptionKeysMax) { key(using: &$0) },
            after: maybe(&random) { $0.interestingUInt64() })
    }

    /// An event of a random kind; every case is equally likely, chosen by its wire tag.
    package static func event(using random: inout SplitMix64) -> ClientEvent {
        let body: EventBody
        switch random.pick(EventTag.allCases) {
        case .lockLost:
            body = .lockLost(key: key(using: &random), holder: holder(using: &random), loss: lockLoss(using: &random))
        case .waiterPosition:
            body = .waiterPosition(
                request: requestID(using: &random), key: key(using: &random), position: random.interestingUInt64())
        case .keyState:
            body = .keyState(keyInspection(using: &random))
        case .resync:
            body = .resync(
                session: SessionID(random.interestingUInt64()), isOpen: random.chance(50),
                fences: list(&random, maxCount: 64) { FenceToken($0.interestingUInt64()) })
        case .subscriptionEnded:
            body = .subscriptionEnded(
                reason: text(maxByteCount: WireLimits.messageByteCountMax, using: &random),
                leader: maybe(&random) { random in
                    LeaderHint(
                        node: NodeID(random.interestingUInt64()),
                        address: text(maxByteCount: WireLimits.addressByteCountMax, using: &random))
                })
        }
        return ClientEvent(index: random.interestingUInt64(), body: body)
    }

    /// A lock loss of a random kind.
    static func lockLoss(using random: inout SplitMix64) -> LockLoss {
        let actor = text(maxByteCount: InputLimits.ownerByteCountMax, using: &random)
        let reason = text(maxByteCount: InputLimits.reasonByteCountMax, using: &random)
        switch random.below(4) {
        case 0: return .forceUnlocked(by: actor, reason: reason)
        case 1: return .takenOver(by: holder(using: &random), reason: reason)
        case 2: return .sessionRevoked(by: actor, reason: reason)
        default: return .expired
        }
    }

    /// A client response: a result three times in five, otherwise a failure.
    package static func response(using random: inout SplitMix64) -> ClientResponse {
        let correlation = CorrelationID(random.interestingUInt64())
        if random.chance(60) {
            return ClientResponse(correlation: correlation, outcome: .success(result(using: &random)))
        }
        return ClientResponse(correlation: correlation, outcome: .failure(failure(using: &random)))
    }

    /// A result of a random kind; every case is equally likely, chosen by its wire tag.
    package static func result(using random: inout SplitMix64) -> ClientResult {
        switch random.pick(ResultTag.allCases) {
        case .sessionOpened: .sessionOpened(sessionGrant(using: &random))
        case .sessionRenewed: .sessionRenewed(sessionGrant(using: &random))
        case .sessionClosed: .sessionClosed
        case .granted: .granted(holder(using: &random))
        case .released: .released
        case .waitCancelled: .waitCancelled
        case .inspected: .inspected(keyInspection(using: &random))
        case .listed:
            .listed(
                ListPage(
                    locks: list(&random, maxCount: WireLimits.pageSizeMax) { lockInfo(using: &$0) },
                    next: maybe(&random) { key(using: &$0) }))
        case .fenceChecked:
            .fenceChecked(
                FenceCheck(
                    isCurrent: random.chance(50), currentFence: maybe(&random) { FenceToken($0.interestingUInt64()) }))
        case .forceUnlocked:
            .forceUnlocked(previous: list(&random, maxCount: WireLimits.inspectionEntriesMax) { holder(using: &$0) })
        case .sessionRevoked: .sessionRevoked(releasedLockCount: random.interestingUInt64())
        case .audited:
            .audited(
                AuditPage(
                    records: list(&random, maxCount: WireLimits.pageSizeMax) { auditRecord(using: &$0) },
                    next: maybe(&random) { $0.interestingUInt64() }, oldestKept: random.interestingUInt64()))
        case .status: .status(nodeStatus(using: &random))
        case .members:
            .members(
                list(&random, maxCount: WireLimits.clusterMembersMax) { random in
                    MemberInfo(
                        node: NodeID(random.interestingUInt64()),
                        peerAddress: text(maxByteCount: WireLimits.addressByteCountMax, using: &random),
                        clientAddress: text(maxByteCount: WireLimits.addressByteCountMax, using: &random),
                        isVoter: random.chance(50))
                })
        case .sessionsRenewed:
            .sessionsRenewed(list(&random, maxCount: WireLimits.renewalBatchCountMax) { sessionRenewal(using: &$0) })
        case .subscribed: .subscribed(index: random.interestingUInt64())
        case .grantedKeys, .holdPlaced, .holdsLifted, .holdsListed: holdResult(using: &random)
        case .backupStarted, .backupChunk: backupResult(using: &random)
        }
    }

    /// A failure of a random kind; every case is equally likely, chosen by its wire tag.
    package static func failure(using random: inout SplitMix64) -> ClientFailure {
        let messageMax = WireLimits.messageByteCountMax
        switch random.pick(FailureTag.allCases) {
        case .invalidArgument: return .invalidArgument(message: text(maxByteCount: messageMax, using: &random))
        case .permissionDenied: return .permissionDenied(reason: text(maxByteCount: messageMax, using: &random))
        case .held:
            let count = 1 + random.below(WireLimits.heldHoldersMax)
            return .held(
                by: (0..<count).map { _ in lockInfo(using: &random) }, truncated: random.chance(20),
                waiterCount: random.interestingUInt64())
        case .notLeader:
            return .notLeader(
                maybe(&random) {
                    LeaderHint(
                        node: NodeID($0.interestingUInt64()),
                        address: text(maxByteCount: WireLimits.addressByteCountMax, using: &$0))
                })
        case .unavailable:
            return .unavailable(
                reason: text(maxByteCount: messageMax, using: &random),
                retryAfterMilliseconds: random.interestingUInt64())
        case .overloaded: return .overloaded(reason: text(maxByteCount: messageMax, using: &random))
        case .sessionExpired: return .sessionExpired
        case .notHeld: return .notHeld
        case .lockLost: return .lockLost
        case .timedOut: return .timedOut
        case .unknownRequest: return .unknownRequest
        case .lockDelayed: return .lockDelayed(until: Timestamp(rawValue: random.interestingUInt64()))
        case .waitersAhead: return .waitersAhead(key: key(using: &random), waiterCount: random.interestingUInt64())
        case .notWaiting: return .notWaiting
        case .superseded: return .superseded
        case .restricted: return .restricted(by: hold(using: &random))
        case .noHold: return .noHold
        }
    }

    static func sessionGrant(using random: inout SplitMix64) -> SessionGrant {
        SessionGrant(
            session: SessionID(random.interestingUInt64()), ttlMilliseconds: random.interestingUInt64(),
            renewalDeadline: Timestamp(rawValue: random.interestingUInt64()))
    }

    static func lockInfo(using random: inout SplitMix64) -> LockInfo {
        LockInfo(
            key: key(using: &random), holder: holder(using: &random),
            leaseDeadline: Timestamp(rawValue: random.interestingUInt64()))
    }

    static func waiter(using random: inout SplitMix64) -> Waiter {
        Waiter(
            key: key(using: &random), session: SessionID(random.interestingUInt64()),
            owner: text(maxByteCount: InputLimits.ownerByteCountMax, using: &random),
            mode: random.pick(LockMode.allCases), since: Timestamp(rawValue: random.interestingUInt64()))
    }

    static func keyInspection(using random: inout SplitMix64) -> KeyInspection {
        KeyInspection(
            key: key(using: &random),
            holders: list(&random, maxCount: WireLimits.inspectionEntriesMax) { lockInfo(using: &$0) },
            waiters: list(&random, maxCount: WireLimits.inspectionEntriesMax) { waiter(using: &$0) },
            lockDelayedUntil: maybe(&random) { Timestamp(rawValue: $0.interestingUInt64()) },
            holds: list(&random, maxCount: WireLimits.inspectionHoldsMax) { hold(using: &$0) })
    }

    static func auditRecord(using random: inout SplitMix64) -> AuditRecord {
        AuditRecord(
            sequence: random.interestingUInt64(), index: LogIndex(random.interestingUInt64()),
            time: Timestamp(rawValue: random.interestingUInt64()), action: random.pick(AuditAction.allCases),
            session: SessionID(random.interestingUInt64()), key: maybe(&random) { key(using: &$0) },
            previousHolder: maybe(&random) { holder(using: &$0) },
            identity: text(maxByteCount: InputLimits.ownerByteCountMax, using: &random),
            reason: text(maxByteCount: InputLimits.reasonByteCountMax, using: &random),
            hold: maybe(&random) { hold(using: &$0) })
    }

    static func nodeStatus(using random: inout SplitMix64) -> NodeStatus {
        let membersMax = WireLimits.clusterMembersMax
        return NodeStatus(
            node: NodeID(random.interestingUInt64()), role: random.pick(NodeRole.allCases),
            term: Term(random.interestingUInt64()), leader: maybe(&random) { NodeID($0.interestingUInt64()) },
            commitIndex: LogIndex(random.interestingUInt64()),
            appliedIndex: LogIndex(random.interestingUInt64()), lastIndex: LogIndex(random.interestingUInt64()),
            snapshotIndex: LogIndex(random.interestingUInt64()), sessionCount: random.interestingUInt64(),
            lockCount: random.interestingUInt64(), waiterCount: random.interestingUInt64(),
            members: list(&random, maxCount: membersMax) { NodeID($0.interestingUInt64()) },
            learners: list(&random, maxCount: membersMax) { NodeID($0.interestingUInt64()) },
            peers: list(&random, maxCount: membersMax) { peerProgress(using: &$0) }, canCommit: random.chance(50),
            problems: list(&random, maxCount: membersMax) {
                text(maxByteCount: WireLimits.messageByteCountMax, using: &$0)
            })
    }

    static func peerProgress(using random: inout SplitMix64) -> PeerProgress {
        PeerProgress(
            node: NodeID(random.interestingUInt64()), matchIndex: LogIndex(random.interestingUInt64()),
            isLearner: random.chance(50), isReachable: random.chance(50))
    }
}

extension WireSamples {
    /// One session's answer in a batch renewal: renewed half the time, else a random failure.
    static func sessionRenewal(using random: inout SplitMix64) -> SessionRenewal {
        let session = SessionID(random.interestingUInt64())
        guard random.chance(50) else {
            return SessionRenewal(session: session, outcome: .failure(failure(using: &random)))
        }
        var grant = sessionGrant(using: &random)
        grant.session = session
        return SessionRenewal(session: session, outcome: .success(grant))
    }
}

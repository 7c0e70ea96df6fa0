import LockTable
import PadlockTypes

/// The package's seeded generator (SplitMix64, in PadlockTypes), so every randomized test replays from its seed.
typealias SeededGenerator = SplitMix64

/// Generates plausible, conflict-heavy commands: few sessions, a small tree of overlapping keys (including
/// `acme/c-x`, whose byte order differs from its segment order), retries and stale repeats, early and late
/// expiries. It looks at the reference model only to choose realistic targets.
struct RandomWorkload {
    static let keys: [LockKey] = [
        "acme", "acme/c", "acme/c/1", "acme/c/1/phone", "acme/c/1/email", "acme/c/1/phone/x", "acme/c/2",
        "acme/c/2/phone", "acme/c-x/1", "acme/c-x", "globex/c/1", "globex/c/1/phone",
    ].map { try! LockKey($0) }

    static let configuration = LockTableConfiguration(
        sessionCountMax: 6, locksPerSessionMax: 4, heldLockCountMax: 14, waitersPerKeyMax: 3, waiterCountMax: 8,
        auditRecordCountMax: 25, endedSessionMemoryMax: 4, lockDelayMillisecondsDefault: 300,
        lockDelayMillisecondsByNamespace: ["globex": 0], pageSizeMax: 50, holdCountMax: 7, holdsPerNamespaceMax: 5)

    var random: SeededGenerator
    var time: UInt64 = 1_000
    var opened: [SessionID] = []
    var nextSequence: [SessionID: UInt64] = [:]
    var recent: [Command] = []
    /// Sessions open in the model, in id order (never dictionary order, which differs between processes).
    var live: [SessionID] = []

    init(seed: UInt64) { random = SeededGenerator(seed: seed) }

    mutating func next(_ model: ReferenceTable) -> (Command, Timestamp) {
        time += [0, 0, 0, 10, 50, 200, 400].randomElement(using: &random)!
        live = model.sessions.keys.sorted()
        let roll = Int.random(in: 0..<100, using: &random)
        let command: Command
        switch roll {
        case 0..<7: command = open()
        case 7..<30: command = acquire()
        case 30..<34: command = takeover()
        case 34..<49: command = release(model)
        case 49..<52: command = cancelWait(model)
        case 52..<55: command = .closeSession(request())
        case 55..<60: command = expireSession(model)
        case 60..<67: command = expireWaiter(model)
        case 67..<69: command = .forceUnlock(request(), key: key(), reason: "stuck", admin: "root@ops")
        case 69..<71: command = .revokeSession(request(), session: session(), reason: "left", admin: "root@ops")
        case 71..<74: command = checkpoint(model)
        case 74..<76: command = resolve(model)
        case 76..<83: command = acquireKeys()
        case 83..<88: command = changeMode(model)
        case 88..<90: command = placeHold()
        case 90..<92: command = liftHold(model)
        default: command = recent.randomElement(using: &random) ?? open()
        }
        if roll < 92, command.isOpen {
        } else if roll < 92, !isHousekeeping(command) {
            recent.append(command)
            if recent.count > 6 { recent.removeFirst() }
        }
        return (command, Timestamp(rawValue: time))
    }

    private func isHousekeeping(_ command: Command) -> Bool {
        switch command {
        case .expireSession, .expireWaiter, .checkpointLeases: true
        default: false
        }
    }

    /// Opens on an open port half the time; otherwise for one of two clients with a small session quota, so
    /// that quotas bite and two clients reuse one (owner, nonce).
    private mutating func open() -> Command {
        let owner = ["alice@fe", "bob@fe", "carol@fe"].randomElement(using: &random)!
        let nonce = UInt64.random(in: 0..<4, using: &random)
        let ttl = UInt64.random(in: 2_000...6_000, using: &random)
        guard Bool.random(using: &random) else { return .openSession(owner: owner, nonce: nonce, ttlMilliseconds: ttl) }
        return .openClientSession(
            owner: owner, nonce: nonce, ttlMilliseconds: ttl,
            client: ["crm-a", "crm-b"].randomElement(using: &random)!,
            sessionsMax: [0, 2, 6].randomElement(using: &random)!)
    }

    /// Records a session id the table may have created (the open's index); unknown ids are fine too.
    mutating func noteOpened(_ result: CommandResult) {
        if case let .sessionOpened(id, _) = result, !opened.contains(id) { opened.append(id) }
    }

    mutating func session() -> SessionID {
        let roll = Int.random(in: 0..<100, using: &random)
        if roll < 90, let id = live.randomElement(using: &random) { return id }
        if roll < 99, let id = opened.randomElement(using: &random) { return id }
        return SessionID(999_999)
    }

    mutating func request(_ chosen: SessionID? = nil) -> RequestID {
        let id = chosen ?? session()
        let sequence = nextSequence[id, default: 1]
        nextSequence[id] = sequence + 1
        return RequestID(session: id, sequence: sequence)
    }

    mutating func key() -> LockKey { Self.keys.randomElement(using: &random)! }

    /// Cancels a wait the model knows of half the time, by any of its keys (a batch by any one of them).
    private mutating func cancelWait(_ model: ReferenceTable) -> Command {
        if Bool.random(using: &random), let wait = model.waits.randomElement(using: &random) {
            return .cancelWait(request(wait.request.session), key: wait.keys.randomElement(using: &random)!)
        }
        return .cancelWait(request(), key: key())
    }

    private mutating func acquire() -> Command {
        .acquire(
            request(), key: key(), mode: Bool.random(using: &random) ? .exclusive : .shared,
            waitMilliseconds: Bool.random(using: &random) ? 0 : UInt64.random(in: 100...3_000, using: &random),
            note: ["", "editing phone"].randomElement(using: &random)!)
    }

    private mutating func takeover() -> Command {
        .takeover(
            request(), key: key(), mode: Bool.random(using: &random) ? .exclusive : .shared,
            note: ["", "fixing it"].randomElement(using: &random)!, reason: "on leave", admin: "client crm: m@fe")
    }

    private mutating func release(_ model: ReferenceTable) -> Command {
        if let hold = model.holds.randomElement(using: &random), Int.random(in: 0..<5, using: &random) > 0 {
            return .release(request(hold.session), key: hold.key, fence: hold.fence)
        }
        return .release(request(), key: key(), fence: FenceToken(UInt64.random(in: 0...20, using: &random)))
    }

    private mutating func expireSession(_ model: ReferenceTable) -> Command {
        let id = session()
        let generation = model.sessions[id]?.generation ?? 0
        return .expireSession(
            id,
            renewalGeneration: generation + UInt64.random(in: 0...1, using: &random)
                - (generation > 0 && Bool.random(using: &random) ? 1 : 0))
    }

    private mutating func expireWaiter(_ model: ReferenceTable) -> Command {
        if let wait = model.waits.randomElement(using: &random) { return .expireWaiter(wait.request) }
        return .expireWaiter(RequestID(session: session(), sequence: 1))
    }

    private mutating func checkpoint(_ model: ReferenceTable) -> Command {
        let count = Int.random(in: 1...2, using: &random)
        return .checkpointLeases(
            (0..<count).map { _ in
                let id = session()
                return LeaseCheckpoint(
                    session: id,
                    renewalGeneration: (model.sessions[id]?.generation ?? 0) + UInt64.random(in: 0...1, using: &random),
                    remainingMilliseconds: UInt64.random(in: 0...13_000, using: &random))
            })
    }

    /// Settles the last applied request (answered again), an older one (stale), or the next one before it is
    /// sent: its sequence is not used up, so the session's next request arrives already abandoned.
    private mutating func resolve(_ model: ReferenceTable) -> Command {
        let id = session()
        let last = model.sessions[id]?.lastSequence ?? 0
        let choices = [last, last > 0 ? last - 1 : 0, nextSequence[id, default: 1]]
        return .resolve(RequestID(session: id, sequence: choices.randomElement(using: &random)!))
    }
}

extension Command {
    fileprivate var isOpen: Bool {
        switch self {
        case .openSession, .openClientSession: true
        default: false
        }
    }
}

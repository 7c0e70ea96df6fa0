import LockHistory
import PadlockTypes

extension Checkers {
    /// (4) The lock history, converted to `LockHistory`'s operations (``HistoryConversion``), is linearizable
    /// and its fences are in order.
    func checkLinearizability(_ all: [Pair], grants: [Grant], _ results: inout CheckResults) {
        var conversion = HistoryConversion(grants: grants)
        for pair in all { conversion.convert(pair) }
        let operations = conversion.finish()
        let report = LinearizabilityChecker().check(operations)
        for violation in report.violations { results.linearizability.append(String("\(violation)".prefix(4000))) }
        let inconclusive = report.groups.filter { $0.verdict == .inconclusive }
        if !inconclusive.isEmpty {
            results.notes.append(
                "linearizability: \(inconclusive.count) conflict group(s) inconclusive (search bound): "
                    + inconclusive.map { $0.keys.map(\.string).joined(separator: ",") }.joined(separator: "; "))
        }
        results.notes.append(
            "linearizability: \(operations.count) operations in \(report.groups.count) conflict groups, "
                + "\(conversion.endedSessionCount) sessions ended by expiry")
        for violation in FenceOrderCheck().check(operations) {
            results.linearizability.append("fence order: \(violation)")
        }
    }
}

/// Turns the harness's history into `LockHistory` operations. Every case keeps the checker's verdicts sound:
/// - acquire ok → `granted(fence)`; answered `held(by:)` → `refused(holder:)` when that (session, fence)
///   was seen granted, else `refused(nil)` (a holder from an unknown-outcome acquire, whose fence the history
///   cannot know); other failures are left out (`failed`: nothing was applied).
/// - acquire `outcomeUnknown` → unknown outcome, for the session its request id names. The library settles it
///   (releases a leaked grant) outside the history; since no observation names such a grant (see above), the
///   checker never has to place it.
/// - release ok → `released`; unknown → unknown outcome; `lockLost`/`sessionExpired` → left out, and the
///   session gets an `endSession` of unknown outcome invoked when the lost lock's acquire was: the cluster
///   expired it at some instant after that.
/// - the administrator's force-unlock answered with the holders it released → `done`, with none →
///   `notHeld`; a failed one → unknown outcome.
/// - the final inspection → `checkFence(key, fence) → true` for each holder of exactly the key, and `→ false`
///   for every other fence granted on the key whose release was not acknowledged (a lost or unknown one).
struct HistoryConversion {
    /// A session id no real session has: the requester of a refused acquire is not known (the client's pool
    /// picks the session), and for a refusal it does not matter (no reentrancy with a stranger).
    static let unknownSession = SessionID(UInt64.max)

    let grants: [Grant]
    private let granted: Set<String>
    private var grantInvoke: [String: UInt64] = [:]
    private var operations: [LockOperation] = []
    private var processIDs: [String: Int] = [:]
    private var endSessionInvoke: [UInt64: UInt64] = [:]
    private var acknowledgedReleases: Set<String> = []

    init(grants: [Grant]) {
        self.grants = grants
        granted = Set(grants.map { "\($0.session)#\($0.fence)" })
        for grant in grants { grantInvoke["\(grant.session)#\(grant.key)#\(grant.fence)"] = grant.invokeNs }
    }

    var endedSessionCount: Int { endSessionInvoke.count }

    /// Adds the operations one invoke and its completion stand for (pairs must come in invoke order).
    mutating func convert(_ pair: Pair) {
        guard let keyText = pair.invoke.key, let key = try? LockKey(keyText) else { return }
        switch pair.invoke.f {
        case "acquire": convertAcquire(pair, key: key)
        case "release": convertRelease(pair, key: key)
        case "inspect": convertInspection(pair, key: key)
        case "force-unlock": convertForceUnlock(pair, key: key)
        default: return
        }
    }

    /// The operations, with an `endSession` of unknown outcome for every session that lost a lock.
    mutating func finish() -> [LockOperation] {
        for (session, invoke) in endSessionInvoke.sorted(by: { $0.key < $1.key }) {
            add("lost", invoke, nil, .endSession(session: SessionID(session)), nil)
        }
        return operations
    }

    private mutating func convertAcquire(_ pair: Pair, key: LockKey) {
        let mode = lockMode(pair.invoke.mode)
        let (process, invoke) = (pair.invoke.process, pair.invoke.monoNs)
        guard let done = pair.completion else { return }
        switch done.type {
        case "ok":
            add(
                process, invoke, done.monoNs, .acquire(session: SessionID(done.session ?? 0), key: key, mode: mode),
                .granted(FenceToken(done.fence ?? 0)))
        case "info":
            if let session = done.session {
                add(process, invoke, nil, .acquire(session: SessionID(session), key: key, mode: mode), nil)
            }
        default:
            guard done.error == "held" else { return }
            var holder: HolderRef?
            if let session = done.holderSession, let fence = done.holderFence, granted.contains("\(session)#\(fence)") {
                holder = HolderRef(session: SessionID(session), fence: FenceToken(fence))
            }
            add(
                process, invoke, done.monoNs, .acquire(session: Self.unknownSession, key: key, mode: mode),
                .refused(holder: holder))
        }
    }

    private mutating func convertRelease(_ pair: Pair, key: LockKey) {
        guard let session = pair.invoke.session, let fence = pair.invoke.fence else { return }
        let action = LockAction.release(session: SessionID(session), key: key, fence: FenceToken(fence))
        switch pair.completion?.type {
        case "ok":
            acknowledgedReleases.insert("\(key.string)#\(fence)")
            add(pair.invoke.process, pair.invoke.monoNs, pair.completion!.monoNs, action, .released)
        case "fail":
            let from = grantInvoke["\(session)#\(key.string)#\(fence)"] ?? pair.invoke.monoNs
            endSessionInvoke[session] = min(endSessionInvoke[session] ?? from, from)
        default:
            add(pair.invoke.process, pair.invoke.monoNs, nil, action, nil)
        }
    }

    private mutating func convertInspection(_ pair: Pair, key: LockKey) {
        guard let done = pair.completion, done.type == "ok" else { return }
        let held = Set((done.holders ?? []).map(\.fence))
        let (process, invoke) = (pair.invoke.process, pair.invoke.monoNs)
        for fence in held.sorted() {
            add(process, invoke, done.monoNs, .checkFence(key: key, fence: FenceToken(fence)), .fenceCurrent(true))
        }
        for grant in grants
        where grant.key == key.string && !held.contains(grant.fence)
            && !acknowledgedReleases.contains("\(key.string)#\(grant.fence)")
        {
            add(
                process, invoke, done.monoNs, .checkFence(key: key, fence: FenceToken(grant.fence)),
                .fenceCurrent(false))
        }
    }

    /// A force-unlock answered with the holders it released → `done`; answered with none → `notHeld`; any
    /// failure → unknown (a retried force-unlock may have been applied).
    private mutating func convertForceUnlock(_ pair: Pair, key: LockKey) {
        let (process, invoke) = (pair.invoke.process, pair.invoke.monoNs)
        guard let done = pair.completion, done.type == "ok" else {
            return add(process, invoke, nil, .forceUnlock(key: key), nil)
        }
        let outcome: LockOutcome = (done.holders ?? []).isEmpty ? .notHeld : .done
        add(process, invoke, done.monoNs, .forceUnlock(key: key), outcome)
    }

    /// Appends one operation; `outcome == nil` makes it one of unknown outcome.
    private mutating func add(
        _ process: String, _ invoke: UInt64, _ complete: UInt64?, _ action: LockAction, _ outcome: LockOutcome?
    ) {
        operations.append(
            LockOperation(
                id: operations.count, process: processID(process), invoke: invoke,
                complete: outcome == nil ? nil : max(invoke, complete ?? invoke), action: action, outcome: outcome))
    }

    /// w7 → 7, p2 → 1002, others numbered from 2001: reports name processes by these numbers.
    private mutating func processID(_ process: String) -> Int {
        if let id = processIDs[process] { return id }
        let number = Int(process.dropFirst()) ?? 0
        let id =
            process.hasPrefix("w") && number > 0
            ? number
            : process.hasPrefix("p") && number > 0 ? 1000 + number : 2001 + processIDs.count
        processIDs[process] = id
        return id
    }
}

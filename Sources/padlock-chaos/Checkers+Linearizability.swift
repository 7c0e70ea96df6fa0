import LockHistory
import PadlockTypes

extension Checkers {
    /// A session id no real session has: the requester of a refused or failed acquire is not known (the
    /// client's pool picks the session), and for a refusal it does not matter (no reentrancy with a stranger).
    static let unknownSession = SessionID(UInt64.max)

    /// (4) The lock history, converted to `LockHistory`'s operations, is linearizable and its fences are in
    /// order. The conversion, and why each case is sound:
    /// - acquire ok → `granted(fence)`; answered `held(by:)` → `refused(holder:)` when that (session, fence)
    ///   was seen granted, else `refused(nil)` (a holder from an unknown-outcome acquire of which the history
    ///   cannot know the fence); other failures → `failed` (nothing was applied).
    /// - acquire `outcomeUnknown` → unknown outcome, for the session its request id names. The library
    ///   settles it (releases a leaked grant) outside the history; since no observation names such a grant
    ///   (see above), the checker never has to place it.
    /// - release ok → `released`; unknown → unknown outcome; `lockLost`/`sessionExpired` → left out, and the
    ///   session gets an `endSession` of unknown outcome invoked when the lost lock's acquire was: the cluster
    ///   expired it at some instant after that.
    /// - the final inspection → `checkFence(key, fence) → true` for each holder of exactly the key, and `→ false`
    ///   for every other fence granted on the key whose release was not acknowledged (a lost or unknown one).
    func checkLinearizability(_ all: [Pair], grants: [Grant], _ results: inout CheckResults) {
        var operations: [LockOperation] = []
        var processIDs: [String: Int] = [:]
        func add(_ process: String, _ invoke: UInt64, _ complete: UInt64?, _ action: LockAction, _ outcome: LockOutcome?) {
            // w7 → 7, p2 → 1002, others numbered from 2001: reports name processes by these numbers.
            let processID = processIDs[process] ?? {
                let number = Int(process.dropFirst()) ?? 0
                let id = process.hasPrefix("w") && number > 0 ? number
                    : process.hasPrefix("p") && number > 0 ? 1000 + number : 2001 + processIDs.count
                processIDs[process] = id
                return id
            }()
            operations.append(
                LockOperation(
                    id: operations.count, process: processID, invoke: invoke, complete: outcome == nil ? nil : max(invoke, complete ?? invoke),
                    action: action, outcome: outcome))
        }
        let granted = Set(grants.map { "\($0.session)#\($0.fence)" })
        var grantInvoke: [String: UInt64] = [:]
        for grant in grants { grantInvoke["\(grant.session)#\(grant.key)#\(grant.fence)"] = grant.invokeNs }
        var endSessionInvoke: [UInt64: UInt64] = [:]
        var acknowledgedReleases: Set<String> = []
        for pair in all {
            guard let keyText = pair.invoke.key, let key = try? LockKey(keyText) else { continue }
            let invoke = pair.invoke.monoNs
            let done = pair.completion
            switch pair.invoke.f {
            case "acquire":
                let mode = lockMode(pair.invoke.mode)
                guard let done else { continue }
                switch done.type {
                case "ok":
                    add(pair.invoke.process, invoke, done.monoNs,
                        .acquire(session: SessionID(done.session ?? 0), key: key, mode: mode), .granted(FenceToken(done.fence ?? 0)))
                case "info":
                    if let session = done.session {
                        add(pair.invoke.process, invoke, nil, .acquire(session: SessionID(session), key: key, mode: mode), nil)
                    }
                default:
                    let action = LockAction.acquire(session: Self.unknownSession, key: key, mode: mode)
                    if done.error == "held" {
                        var holder: HolderRef?
                        if let session = done.holderSession, let fence = done.holderFence, granted.contains("\(session)#\(fence)") {
                            holder = HolderRef(session: SessionID(session), fence: FenceToken(fence))
                        }
                        add(pair.invoke.process, invoke, done.monoNs, action, .refused(holder: holder))
                    }
                }
            case "release":
                guard let session = pair.invoke.session, let fence = pair.invoke.fence else { continue }
                let action = LockAction.release(session: SessionID(session), key: key, fence: FenceToken(fence))
                switch done?.type {
                case "ok":
                    acknowledgedReleases.insert("\(keyText)#\(fence)")
                    add(pair.invoke.process, invoke, done!.monoNs, action, .released)
                case "fail":
                    let from = grantInvoke["\(session)#\(keyText)#\(fence)"] ?? invoke
                    endSessionInvoke[session] = min(endSessionInvoke[session] ?? from, from)
                default:
                    add(pair.invoke.process, invoke, nil, action, nil)
                }
            case "inspect":
                guard let done, done.type == "ok" else { continue }
                let held = Set((done.holders ?? []).map(\.fence))
                for fence in held {
                    add(pair.invoke.process, invoke, done.monoNs, .checkFence(key: key, fence: FenceToken(fence)), .fenceCurrent(true))
                }
                for grant in grants where grant.key == keyText && !held.contains(grant.fence)
                    && !acknowledgedReleases.contains("\(keyText)#\(grant.fence)")
                {
                    add(pair.invoke.process, invoke, done.monoNs, .checkFence(key: key, fence: FenceToken(grant.fence)),
                        .fenceCurrent(false))
                }
            default: continue
            }
        }
        for (session, invoke) in endSessionInvoke.sorted(by: { $0.key < $1.key }) {
            add("lost", invoke, nil, .endSession(session: SessionID(session)), nil)
        }
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
                + "\(endSessionInvoke.count) sessions ended by expiry")
        for violation in FenceOrderCheck().check(operations) {
            results.linearizability.append("fence order: \(violation)")
        }
    }
}

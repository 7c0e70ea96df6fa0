import LockTable
import PadlockTypes
import Testing

/// A lock table and the reference model fed the same hand-written commands, one entry per command.
struct TableAndModel {
    var table: LockTable
    var model: ReferenceTable
    var index: UInt64 = 0
    var time: UInt64 = 1_000
    var sequences: [SessionID: UInt64] = [:]

    init(configuration: LockTableConfiguration = RandomWorkload.configuration) {
        table = LockTable(configuration: configuration)
        model = ReferenceTable(configuration: configuration)
    }

    /// Applies `command` to both and records an issue if they answer differently; returns the table's answer.
    @discardableResult
    mutating func apply(_ command: Command, sourceLocation: SourceLocation = #_sourceLocation) -> LockTable.Applied {
        index += 1
        let actual = table.apply(command, at: index, time: Timestamp(rawValue: time))
        let expected = model.apply(command, at: index, time: Timestamp(rawValue: time))
        #expect(actual == expected, "entry \(index) \(command)", sourceLocation: sourceLocation)
        return actual
    }

    /// Opens a session for `owner`; its id is the open's index.
    mutating func open(_ owner: String) -> SessionID {
        apply(.openSession(owner: owner, nonce: index, ttlMilliseconds: 60_000))
        return SessionID(index)
    }

    mutating func request(_ session: SessionID) -> RequestID {
        let sequence = sequences[session, default: 0] + 1
        sequences[session] = sequence
        return RequestID(session: session, sequence: sequence)
    }

    mutating func acquire(
        _ session: SessionID, _ key: LockKey, _ mode: LockMode = .exclusive, wait: UInt64 = 0, roles: [String] = []
    ) -> LockTable.Applied {
        apply(.acquireKeys(request(session), keys: [key], mode: mode, waitMilliseconds: wait, note: "", roles: roles))
    }

    mutating func place(_ session: SessionID, _ placement: HoldPlacement) -> LockTable.Applied {
        apply(.placeHold(request(session), placement, actor: "client ops: root@ops"))
    }
}

/// Hand-written runs for what the random runs reach seldom, compared with the model at every step, and the
/// places where the table and docs/holds.md still disagree (known issues until the lead decides).
@Suite struct HoldScenarioTests {
    static func key(_ string: String) -> LockKey { try! LockKey(string) }

    static let record = key("acme/c/1")
    static let phone = key("acme/c/1/phone")

    @Test func aKeyTakesAtMostEightRulesAndTheTableItsConfiguredHolds() {
        var run = TableAndModel(configuration: LockTableConfiguration(holdCountMax: 8, holdsPerNamespaceMax: 9))
        let admin = run.open("root@ops")
        var answers: [CommandResult] = []
        for number in 1...9 {
            answers.append(
                run.place(admin, HoldPlacement(key: Self.record, rule: "rule \(number)", reason: "audit")).result)
        }
        #expect(answers.last == .overloaded(.holdsPerKey))
        // Replacing a rule the key has needs no new slot.
        guard case .holdPlaced = run.place(admin, HoldPlacement(key: Self.record, rule: "rule 1", reason: "again")).result
        else { Issue.record("replacing a rule on a full key was refused"); return }
        let other = run.place(admin, HoldPlacement(key: Self.key("globex/c/1"), rule: "rule 1", reason: "audit")).result
        #expect(other == .overloaded(.holds), "the table allows 8 holds in this run")
    }

    @Test func aTenantFreezeRefusesEditsButNotViewsUntilLifted() {
        var run = TableAndModel()
        let admin = run.open("root@ops")
        let rep = run.open("alice@fe")
        run.place(admin, HoldPlacement(key: Self.key("acme"), rule: "Frozen", reason: "invoice overdue"))
        guard case .restricted = run.acquire(rep, Self.phone).result else {
            Issue.record("an edit in a frozen tenant was not refused")
            return
        }
        guard case .granted = run.acquire(rep, Self.phone, .shared).result else {
            Issue.record("a view in a frozen tenant was refused")
            return
        }
        run.apply(.liftHold(run.request(admin), key: Self.key("acme"), rule: nil, reason: "paid", actor: "root@ops"))
        guard case .granted = run.acquire(rep, Self.key("acme/c/2")).result else {
            Issue.record("an edit after the freeze was lifted was refused")
            return
        }
    }

    @Test func anUpgradeQueuedBehindAnotherQueuedUpgradeIsRefusedAtOnce() {
        var run = TableAndModel()
        let first = run.open("alice@fe")
        let second = run.open("bob@fe")
        run.acquire(first, Self.record, .shared)
        run.acquire(second, Self.record, .shared)
        let fences = run.model.holds.map(\.fence)
        run.apply(
            .changeMode(
                run.request(first), key: Self.record, fence: fences[0], mode: .exclusive, waitMilliseconds: 5_000,
                roles: []))
        let refused = run.apply(
            .changeMode(
                run.request(second), key: Self.record, fence: fences[1], mode: .exclusive, waitMilliseconds: 5_000,
                roles: []))
        guard case .held(let holder, _) = refused.result else {
            Issue.record("the second upgrade was not refused: \(refused.result)")
            return
        }
        #expect(holder.session == first)
    }

    /// docs/holds.md: "checkFence answers not current for a fence below the fence of a hold that refuses
    /// exclusive locks on the key", and a hold on a field refuses an exclusive lock on its record. The table
    /// counts only holds on the key and its ancestors, so an editor of the whole record keeps a current fence
    /// after its phone field is held.
    @Test func aHoldOnAFieldMakesTheRecordEditorsFenceStale() {
        var run = TableAndModel()
        let admin = run.open("root@ops")
        let rep = run.open("alice@fe")
        guard case .granted(let fence, _) = run.acquire(rep, Self.record).result else {
            Issue.record("the record was not granted")
            return
        }
        run.place(admin, HoldPlacement(key: Self.phone, rule: "Contact locked", reason: "lead entered"))
        withKnownIssue("the table's checkFence ignores holds below the key (docs/holds.md, Placing and lifting)") {
            guard case .notCurrent = run.table.checkFence(Self.record, fence) else {
                Issue.record("the record editor's fence \(fence) is still current under a hold on its phone field")
                return
            }
        }
    }

    /// docs/holds.md: "If a holder it waits for has itself an upgrade queued, the upgrade is refused at once".
    /// The table looks only at other sessions' holders, so a session's two upgrades of overlapping shared locks
    /// wait for each other until they time out.
    @Test func aSessionsTwoUpgradesOfOverlappingLocksDoNotWaitForEachOther() {
        var run = TableAndModel()
        let rep = run.open("alice@fe")
        guard case .granted(let outer, _) = run.acquire(rep, Self.key("acme/c"), .shared).result,
            case .granted(let inner, _) = run.acquire(rep, Self.record, .shared).result
        else {
            Issue.record("the shared locks were not granted")
            return
        }
        run.apply(
            .changeMode(
                run.request(rep), key: Self.record, fence: inner, mode: .exclusive, waitMilliseconds: 5_000, roles: []))
        // The model refuses the next one at once; only the table's answer is checked below.
        let changeOuter = Command.changeMode(
            run.request(rep), key: Self.key("acme/c"), fence: outer, mode: .exclusive, waitMilliseconds: 5_000, roles: [])
        let answer = run.table.apply(changeOuter, at: run.index + 1, time: Timestamp(rawValue: run.time)).result
        withKnownIssue("the table ignores the session's own queued upgrade (docs/holds.md, Upgrade and downgrade)") {
            guard case .held = answer else {
                Issue.record("the second upgrade was answered \(answer), not refused at once")
                return
            }
        }
    }

    /// A batch waiter stands in several queues with one arrival. A request on a key above two or more of them
    /// was answered `waitersAhead` naming whichever of those queues the table's dictionary yielded first, so a
    /// table and its restored copy (or two replicas) answered differently; now the lowest key in bytes.
    @Test(arguments: 2...7) func aBatchWaiterAheadIsNamedByTheSameKeyOnEveryReplica(keyCount: Int) throws {
        var run = TableAndModel(configuration: LockTableConfiguration())
        let waiting = run.open("alice@fe")
        let blocking = run.open("bob@fe")
        let asking = run.open("carol@fe")
        run.acquire(blocking, Self.key("globex/c/1"))
        let keys = (1...keyCount).map { Self.key("acme/c/\($0)") } + [Self.key("globex/c/1")]
        run.apply(
            .acquireKeys(
                run.request(waiting), keys: keys, mode: .exclusive, waitMilliseconds: 60_000, note: "", roles: []))
        var restored = LockTable(configuration: LockTableConfiguration())
        try restored.restore(from: run.table.snapshot())
        let command = Command.acquire(
            run.request(asking), key: Self.key("acme/c"), mode: .shared, waitMilliseconds: 0, note: "")
        let fromRestored = restored.apply(command, at: run.index + 1, time: Timestamp(rawValue: run.time))
        let original = run.apply(command)
        #expect(original == fromRestored, "the original and its restored copy name different keys")
        #expect(original.result == .waitersAhead(key: Self.key("acme/c/1")))
    }

    /// docs/holds.md: "Every grant made afterwards on a key the hold covers has a higher fence". A waiter the
    /// hold exempts, freed by the holders the same placement ends (no lock-delay in `globex`), is granted in the
    /// placing entry, under the hold's own fence.
    @Test func aWaiterGrantedInThePlacingEntryHasAFenceAboveTheHolds() {
        var run = TableAndModel()
        let admin = run.open("root@ops")
        let editor = run.open("alice@fe")
        let exempt = run.open("bob@fe")
        let record = Self.key("globex/c/1")
        run.acquire(editor, record)
        run.acquire(exempt, record, wait: 60_000, roles: ["finance-admin"])
        let placed = run.place(
            admin,
            HoldPlacement(
                key: record, rule: "Deal closed", reason: "stage closed-won", exemptRoles: ["finance-admin"],
                endsHolders: true))
        guard case .holdPlaced(let hold, _) = placed.result,
            let granted = placed.events.lazy.compactMap({ event -> Holder? in
                if case let .waiterGranted(_, _, holder) = event { holder } else { nil }
            }).first
        else {
            Issue.record("the exempt waiter was not granted by the placement: \(placed)")
            return
        }
        withKnownIssue("a grant in the placing entry shares the hold's fence") {
            #expect(granted.fence > hold.fence, "granted \(granted.fence) under a hold placed at \(hold.fence)")
        }
    }
}

import LockTable
import PadlockTypes
import Testing

/// The simulator's self-test switches on deliberate defects and expects its checkers to notice. These tests
/// prove that each flag really changes what the table answers, and that a table with defects still never
/// traps and still restores its own snapshots.
@Suite struct InjectedBugTests {
    /// Applies commands to one table with consecutive indexes at one time.
    struct Driver {
        var table: LockTable
        var index: UInt64 = 0

        init(_ bugs: LockTableInjectedBugs) {
            var configuration = LockTableConfiguration()
            configuration.injectedBugs = bugs
            table = LockTable(configuration: configuration)
        }

        @discardableResult
        mutating func apply(_ command: Command) -> CommandResult {
            index += 1
            return table.apply(command, at: index, time: Timestamp(rawValue: 1_000)).result
        }

        /// Opens a session for `owner` (nonce 1) and returns its id.
        mutating func open(_ owner: String) -> SessionID {
            guard case let .sessionOpened(id, _) = apply(.openSession(owner: owner, nonce: 1, ttlMilliseconds: 10_000))
            else { preconditionFailure("\(owner) did not open") }
            return id
        }
    }

    static func acquire(
        _ session: SessionID, _ sequence: UInt64, _ key: String, _ mode: LockMode = .exclusive, wait: UInt64 = 0
    ) -> Command {
        .acquire(
            RequestID(session: session, sequence: sequence), key: try! LockKey(key), mode: mode,
            waitMilliseconds: wait, note: "")
    }

    /// What the overlapping-holders scenario observed.
    struct OverlapOutcome {
        var fieldUnderHeldRecord: CommandResult
        var sameRecordAgain: CommandResult
        var recordBehindFieldHolder: CommandResult
        var recordHoldersAfterRelease: [SessionID]
    }

    /// A field lock under a held record, and a waiter on a record promoted past a shared field holder.
    private func overlappingHoldersScenario(_ bugs: LockTableInjectedBugs) -> OverlapOutcome {
        var driver = Driver(bugs)
        let (alice, bob, carol) = (driver.open("alice@fe"), driver.open("bob@fe"), driver.open("carol@fe"))
        driver.apply(Self.acquire(alice, 1, "acme/contacts/42"))
        let field = driver.apply(Self.acquire(bob, 1, "acme/contacts/42/phone"))
        // Holders of the exact key still conflict, bug or not.
        let same = driver.apply(Self.acquire(carol, 1, "acme/contacts/42"))
        let record = try! LockKey("acme/contacts/7")
        driver.apply(Self.acquire(alice, 2, record.string, .shared))
        driver.apply(Self.acquire(bob, 2, "acme/contacts/7/phone", .shared))
        let queued = driver.apply(Self.acquire(carol, 2, record.string, wait: 5_000))
        // Alice's release wakes Carol's waiter, which Bob's shared field lock must still hold back.
        let fence = driver.table.inspect(record).holders[0].holder.fence
        driver.apply(.release(RequestID(session: alice, sequence: 3), key: record, fence: fence))
        return OverlapOutcome(
            fieldUnderHeldRecord: field, sameRecordAgain: same, recordBehindFieldHolder: queued,
            recordHoldersAfterRelease: driver.table.inspect(record).holders.map(\.holder.session))
    }

    @Test func ignoringOverlappingHoldersGrantsAFieldUnderAHeldRecordAndPromotesPastAFieldHolder() {
        let correct = overlappingHoldersScenario(LockTableInjectedBugs())
        let buggy = overlappingHoldersScenario(LockTableInjectedBugs(ignoresOverlappingHolders: true))
        guard case .held = correct.fieldUnderHeldRecord, case .granted = buggy.fieldUnderHeldRecord else {
            Issue.record(
                "a field under a held record: \(correct.fieldUnderHeldRecord) vs \(buggy.fieldUnderHeldRecord)")
            return
        }
        guard case .held = correct.sameRecordAgain, case .held = buggy.sameRecordAgain else {
            Issue.record(
                "the exact key must conflict either way: \(correct.sameRecordAgain) vs \(buggy.sameRecordAgain)")
            return
        }
        #expect(correct.recordBehindFieldHolder == .queued(position: 1))
        #expect(buggy.recordBehindFieldHolder == .queued(position: 1))
        // After Alice's release the record is held by nobody in the correct table, by Carol in the buggy one.
        #expect(correct.recordHoldersAfterRelease == [])
        #expect(buggy.recordHoldersAfterRelease == [SessionID(3)])
    }

    /// A retried release, a stale retried acquire and a retried open.
    private func retriesScenario(_ bugs: LockTableInjectedBugs) -> (answers: [CommandResult], sessions: Int) {
        var driver = Driver(bugs)
        let alice = driver.open("alice@fe")
        let key = try! LockKey("acme/contacts/42")
        var answers: [CommandResult] = []
        answers.append(driver.apply(Self.acquire(alice, 1, key.string)))
        let fence = driver.table.inspect(key).holders[0].holder.fence
        let release = Command.release(RequestID(session: alice, sequence: 2), key: key, fence: fence)
        answers.append(driver.apply(release))
        answers.append(driver.apply(release))
        answers.append(driver.apply(Self.acquire(alice, 1, key.string)))
        answers.append(driver.apply(.openSession(owner: "alice@fe", nonce: 1, ttlMilliseconds: 10_000)))
        return (answers, driver.table.counts.sessions)
    }

    @Test func skippingDeduplicationAppliesARetriedReleaseTwiceAndOpensASecondSession() {
        let correct = retriesScenario(LockTableInjectedBugs())
        let buggy = retriesScenario(LockTableInjectedBugs(skipsDeduplication: true))
        #expect(correct.answers[2] == .released)
        #expect(buggy.answers[2] == .notHeld)
        #expect(correct.answers[3] == .stale(lastSequence: 2))
        guard case .granted = buggy.answers[3] else {
            Issue.record("a stale acquire applied again should be granted again: \(buggy.answers[3])")
            return
        }
        #expect(correct.answers[4] == .sessionOpened(SessionID(1), leaseDeadline: Timestamp(rawValue: 11_000)))
        #expect(correct.sessions == 1)
        #expect(buggy.sessions == 2)
    }

    /// Random workloads with each defect: the table never traps, restores its own snapshots and answers the
    /// same after a restore, and its answers soon differ from the reference model's (what the simulator's
    /// checkers are there to notice).
    @Test(arguments: [
        LockTableInjectedBugs(ignoresOverlappingHolders: true), LockTableInjectedBugs(skipsDeduplication: true),
        LockTableInjectedBugs(ignoresOverlappingHolders: true, skipsDeduplication: true),
    ])
    func aTableWithInjectedBugsNeverTrapsRestoresItselfAndDiffersFromTheModel(bugs: LockTableInjectedBugs) throws {
        var configuration = RandomWorkload.configuration
        configuration.injectedBugs = bugs
        var run = RandomRun(seed: 77)
        run.table = LockTable(configuration: configuration)
        var differences = 0
        var overlappingConflicts = 0
        for _ in 0..<10 {
            var shadow = LockTable(configuration: configuration)
            try shadow.restore(from: run.table.snapshot())
            for _ in 0..<1_000 {
                let (command, time) = run.workload.next(run.model)
                let index = run.table.lastAppliedIndex + 1
                let original = run.table.apply(command, at: index, time: time)
                let restored = shadow.apply(command, at: index, time: time)
                let expected = run.model.apply(command, at: index, time: time)
                run.workload.noteOpened(original.result)
                try #require(original == restored, "entry \(index) \(command): \(original) vs restored \(restored)")
                if original != expected { differences += 1 }
            }
            if !Self.holdersAreMutuallyCompatible(run.table) { overlappingConflicts += 1 }
        }
        #expect(differences > 0)
        #expect(overlappingConflicts > 0 || !bugs.ignoresOverlappingHolders, "no conflicting holders were ever seen")
    }

    /// Mutual exclusion as a checker sees it from outside: no two overlapping holders with incompatible modes.
    static func holdersAreMutuallyCompatible(_ table: LockTable) -> Bool {
        let held = table.list(limit: 1_000).locks
        for (offset, first) in held.enumerated() {
            for second in held[(offset + 1)...] where first.key.overlaps(second.key) {
                if !first.holder.mode.isCompatible(with: second.holder.mode) { return false }
            }
        }
        return true
    }
}

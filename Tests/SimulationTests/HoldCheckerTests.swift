import LockTable
import PadlockTypes
import Simulation
import Testing

/// The holds checker on a real lock table's answers: quiet for a correct table, loud for one that lets requests
/// through holds (`docs/simulation.md`, "Holds").
@Suite struct HoldCheckerTests {
    private struct Run {
        var table: LockTable
        var checker = HoldChecker()
        var index: UInt64 = 0
        var problems: [String] = []

        init(ignoresHolds: Bool) {
            var configuration = LockTableConfiguration()
            configuration.injectedBugs.ignoresHolds = ignoresHolds
            table = LockTable(configuration: configuration)
        }

        @discardableResult
        mutating func apply(_ command: Command) -> CommandResult {
            index += 1
            let applied = table.apply(command, at: index, time: Timestamp(rawValue: 1_000 + index))
            problems += checker.check(index: index, command: command, applied: applied, table: table)
            return applied.result
        }

        mutating func open(_ owner: String) -> SessionID {
            guard
                case .sessionOpened(let session, _) = apply(
                    .openSession(owner: owner, nonce: index, ttlMilliseconds: 5_000))
            else {
                Issue.record("\(owner)'s session did not open")
                return SessionID(rawValue: 0)
            }
            return session
        }
    }

    private func key(_ text: String) throws -> LockKey { try LockKey(text) }

    /// A hold with an exempt role and an editable field; an editable field, an exempt role and a plain rep ask.
    private func run(ignoresHolds: Bool) throws -> Run {
        var run = Run(ignoresHolds: ignoresHolds)
        let admin = run.open("admin@crm")
        let rep = run.open("rep@crm")
        let other = run.open("other@crm")
        let placement = HoldPlacement(
            key: try key("crm/deals/42"), rule: "Deal closed", reason: "stage closed-won",
            exemptRoles: ["finance-admin"], editableFields: ["phone"])
        run.apply(.placeHold(RequestID(session: admin, sequence: 1), placement, actor: "admin@crm"))
        run.apply(
            .acquire(
                RequestID(session: rep, sequence: 1), key: try key("crm/deals/42/phone"), mode: .exclusive,
                waitMilliseconds: 0, note: "editable field"))
        run.apply(
            .acquireKeys(
                RequestID(session: rep, sequence: 2), keys: [try key("crm/deals/42/amount"), try key("crm/deals/7")],
                mode: .exclusive, waitMilliseconds: 0, note: "exempt", roles: ["finance-admin"]))
        run.apply(
            .acquire(
                RequestID(session: other, sequence: 1), key: try key("crm/deals/42/notes"), mode: .exclusive,
                waitMilliseconds: 0, note: "refused"))
        return run
    }

    @Test("A correct table's grants under a hold (editable field, exempt role) raise nothing")
    func correctTableIsClean() throws {
        let run = try run(ignoresHolds: false)
        #expect(run.problems.isEmpty, "\(run.problems)")
        #expect(run.checker.placements == 1)
        #expect(run.checker.grantsUnderHolds == 2)
    }

    @Test("A table that lets a plain rep through a hold is reported, naming the hold")
    func grantThroughHoldIsReported() throws {
        let run = try run(ignoresHolds: true)
        #expect(run.problems.count == 1, "\(run.problems)")
        #expect(run.problems.first?.contains("'Deal closed'") == true)
        #expect(run.problems.first?.contains("crm/deals/42/notes") == true)
    }

    @Test("A grant whose fence is not above a covering hold's is reported")
    func staleFenceIsReported() throws {
        var run = try run(ignoresHolds: false)
        let session = run.open("late@crm")
        let holder = Holder(
            session: session, owner: "late@crm", mode: .shared, fence: FenceToken(rawValue: 2),
            since: Timestamp(rawValue: 1), note: "")
        let command = Command.acquire(
            RequestID(session: session, sequence: 1), key: try key("crm/deals/42/phone"), mode: .shared,
            waitMilliseconds: 0, note: "")
        let problems = run.checker.check(
            index: 2, command: command,
            applied: LockTable.Applied(result: .granted(holder.fence, holder), events: []), table: run.table)
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?.contains("not above") == true)
    }

    @Test("The workload places holds and makes grants the checker checks against them", arguments: 1...3)
    func workloadExercisesHolds(seed: UInt64) async {
        let report = await SimulationLane.run {
            let report = Simulation(options: SimulationOptions(seed: seed)).run()
            return (
                violations: report.violations, holdsPlaced: report.holdsPlaced,
                grantsUnderHolds: report.grantsUnderHolds
            )
        }
        #expect(report.violations.isEmpty, "\(report.violations.joined(separator: "\n"))")
        #expect(report.holdsPlaced > 0, "seed \(seed) placed no hold")
        #expect(report.grantsUnderHolds > 0, "seed \(seed) granted nothing under a hold")
    }
}

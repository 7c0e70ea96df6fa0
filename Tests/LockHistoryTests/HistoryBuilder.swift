import LockHistory
import PadlockTypes

/// A key from a literal known to be valid.
func key(_ string: String) -> LockKey { try! LockKey(string) }

/// Sessions and fences written as numbers.
func session(_ number: UInt64) -> SessionID { SessionID(number) }
func fence(_ number: UInt64) -> FenceToken { FenceToken(number) }

/// Builds a history one operation at a time, numbering operations in the order they are written.
struct HistoryBuilder {
    private(set) var operations: [LockOperation] = []

    /// Adds an operation that was invoked at `window.lowerBound` and answered `outcome` at `window.upperBound`.
    mutating func add(_ process: Int, _ window: ClosedRange<UInt64>, _ action: LockAction, _ outcome: LockOutcome) {
        operations.append(
            LockOperation(
                id: operations.count + 1, process: process, invoke: window.lowerBound, complete: window.upperBound,
                action: action, outcome: outcome))
    }

    /// Adds an operation invoked at `invoke` whose answer never came.
    mutating func lost(_ process: Int, from invoke: UInt64, _ action: LockAction) {
        operations.append(
            LockOperation(
                id: operations.count + 1, process: process, invoke: invoke, complete: nil, action: action,
                outcome: nil))
    }

    /// Checks the history with the default step bound (or `maxSteps`).
    func check(maxSteps: Int = LinearizabilityChecker.maxStepsDefault) -> LinearizabilityReport {
        LinearizabilityChecker(maxSteps: maxSteps).check(operations)
    }

    /// The direct fence check's findings.
    func fenceViolations() -> [FenceOrderViolation] { FenceOrderCheck().check(operations) }
}

/// Shorthands for the actions, so tests read like the history they describe.
func acquire(_ who: UInt64, _ name: String, _ mode: LockMode = .exclusive) -> LockAction {
    .acquire(session: session(who), key: key(name), mode: mode)
}

func release(_ who: UInt64, _ name: String, _ grant: UInt64) -> LockAction {
    .release(session: session(who), key: key(name), fence: fence(grant))
}

func checkFence(_ name: String, _ grant: UInt64) -> LockAction { .checkFence(key: key(name), fence: fence(grant)) }

func refusedBy(_ who: UInt64, _ grant: UInt64) -> LockOutcome {
    .refused(holder: HolderRef(session: session(who), fence: fence(grant)))
}

func granted(_ grant: UInt64) -> LockOutcome { .granted(fence(grant)) }

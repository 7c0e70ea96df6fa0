// The machinery of `withLock`: running the body in a child task cancelled when a lock is lost, and releasing
// on every path.

extension PadlockClient {
    /// What `withLock` throws when the lock was lost while its body ran.
    static func lostWhileRunning(_ lock: Lock) -> PadlockError {
        let why = lock.lossReason.map { ": \($0)" } ?? ""
        return PadlockError(
            .lockLost, "the lock on \(lock.key) (\(lock.fence)) was lost while the body ran\(why); stop using its fence"
        )
    }

    /// Runs `body` in a child task, cancelling it when one of `locks` turns lost; throws `lockLost` when one did.
    static func run<T: Sendable>(
        _ body: ([Lock]) async throws -> T, cancelledWhenLost locks: [Lock]
    ) async throws -> T {
        try await withoutActuallyEscaping(body) { escapable in
            // Runs only while this function waits for it: the group does not outlive the call.
            nonisolated(unsafe) let body = escapable
            return try await withThrowingTaskGroup(of: BodyOutcome<T>.self) { group in
                group.addTask { .returned(try await body(locks)) }
                for (index, lock) in locks.enumerated() {
                    group.addTask {
                        for await state in lock.states where state == .lost { return .lost(index) }
                        return .watcherDone
                    }
                }
                var lost: Lock?
                while let outcome = try await group.next() {
                    switch outcome {
                    case .returned(let value):
                        group.cancelAll()
                        if let lost { throw lostWhileRunning(lost) }
                        return value
                    case .lost(let index):
                        lost = lost ?? locks[index]
                        group.cancelAll()
                    case .watcherDone:
                        continue
                    }
                }
                throw lostWhileRunning(lost ?? locks[0])
            }
        }
    }

    private enum BodyOutcome<T: Sendable>: Sendable {
        case returned(T)
        case lost(Int)
        case watcherDone
    }

    func logReleaseFailure(_ error: PadlockError, of lock: Lock) {
        guard error.code != .lockLost else { return }
        handle.loop.logger.warning(
            "release after withLock failed",
            metadata: [
                "key": "\(lock.key)", "fence": "\(lock.fence)", "error": "\(error)",
            ])
    }
}

import Dispatch
import EventLoop
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A value shared between the loop thread and the test thread, guarded by a mutex.
final class Shared<Value: Sendable>: Sendable {
    private let state: Mutex<Value>
    init(_ value: Value) { state = Mutex(value) }
    func with<Result: Sendable>(_ body: (inout Value) -> Result) -> Result { state.withLock { body(&$0) } }
    var value: Value { state.withLock { $0 } }
}

/// Starts a loop, runs `body`, then stops the loop and checks that it closed with zero live handles.
@discardableResult
func withLoop<Result>(
    name: String = "test-loop", mailboxCapacity: Int = 4096,
    _ body: (EventLoop) async throws -> Result
) async throws -> Result {
    let loop = try EventLoop(name: name, mailboxCapacity: mailboxCapacity)
    let result: Result
    do {
        result = try await body(loop)
    } catch {
        loop.stop()
        throw error
    }
    let report = loop.stop()
    #expect(
        report.isClean,
        "loop \(name) stopped with \(report.liveHandles) live handles, \(String(describing: report.closeError))")
    return result
}

/// Waits (off the loop) until `condition` holds, polling. The suite's time limit bounds it: when the
/// limit cancels the test, the wait ends and the test's own expectations then fail.
func waitUntil(_ condition: () -> Bool) async {
    while !condition() && !Task.isCancelled {
        try? await Task.sleep(for: .milliseconds(2))
    }
}

/// Whether PADLOCK_LONG=1 asks for the larger randomized runs.
let isLongRun: Bool = getenv("PADLOCK_LONG").map { String(cString: $0) == "1" } ?? false

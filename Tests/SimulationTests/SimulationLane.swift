import Foundation
import Synchronization

/// Runs CPU-bound simulator work on threads of its own, two at a time, never on Swift's cooperative pool.
///
/// A test function runs on the pool, which has one thread per core: two simulator tests of minutes each held
/// both threads of the 2-core CI machine, and every other suite's timers and process waits stalled behind
/// them (a `padlockd` that refused to start at once was reported "still running after 30 s", 210 s into its
/// test). Here the work waits for a lane on its own thread and the pool stays free.
enum SimulationLane {
    private static let lanes = DispatchSemaphore(value: 2)

    static func run<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                lanes.wait()
                let result = work()
                lanes.signal()
                continuation.resume(returning: result)
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}

import Dispatch
import EventLoop
import Synchronization
import Testing

@testable import PadlockClient

/// A cancelled call must hear of its cancellation however busy the client's loop is.
@Suite("Cancellation delivery") struct CancellationQueueTests {
    /// Waits until a job of its own has run on `loop`, retrying while the mailbox is still full.
    private func passThrough(_ loop: EventLoop) async {
        while (try? await loop.submit {}) == nil && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test("a cancellation made while the client's mailbox is full still reaches the loop, once")
    func cancellationSurvivesAFullMailbox() async throws {
        let loop = try EventLoop(name: "tiny-mailbox", mailboxCapacity: 2)
        let queue = CancellationQueue()
        let delivered = Mutex<[UInt64]>([])
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        // Hold the loop thread, then fill the mailbox behind it.
        #expect(
            loop.post {
                started.signal(); release.wait()
            } == .accepted)
        started.wait()
        var queued = 0
        while loop.post({}) == .accepted { queued += 1 }
        #expect(queued == 2)
        let tickets = (1...3).map { CallTicket(id: $0, cancellable: true) }
        for ticket in tickets {
            ticket.markCancelled()
            queue.add(ticket, on: loop) { cancelled in delivered.withLock { $0 += cancelled.map(\.id) } }
        }
        release.signal()
        // Any later job runs after the delivery job, which was queued before it.
        await passThrough(loop)
        #expect(delivered.withLock { $0 } == [1, 2, 3])
        // The queue takes more after a delivery, with room in the mailbox again.
        queue.add(CallTicket(id: 4, cancellable: true), on: loop) { cancelled in
            delivered.withLock { $0 += cancelled.map(\.id) }
        }
        await passThrough(loop)
        #expect(delivered.withLock { $0 } == [1, 2, 3, 4])
        #expect(loop.stop().isClean)
    }
}

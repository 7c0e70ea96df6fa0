import EventLoop
import Synchronization
import Tracing
import Wire

/// What every public entry point shares: the client's loop, its loop-confined core and its closed flag.
///
/// The core is reached only through the loop's mailbox; this is the one place that turns a mailbox job and
/// its completion into an `async` call with cancellation.
struct ClientHandle: Sendable {
    let loop: EventLoop
    let core: LoopBound<ClientCore>
    let flags: ClientFlags
    /// The tracer the client was given; nil uses the bootstrapped one (`InstrumentationSystem.tracer`).
    let tracer: (any Tracer)?

    /// Runs `start` on the loop thread and waits for the completion it is handed, which the core calls
    /// exactly once. When `cancellable`, cancelling the task tells the core (which answers `cancelled` and
    /// settles whatever the call may have left behind).
    func perform<Value: Sendable>(
        cancellable: Bool = true,
        _ start:
            @escaping @Sendable (ClientCore, CallTicket, @escaping @Sendable (Result<Value, PadlockError>) -> Void)
            -> Void
    ) async throws(PadlockError) -> Value {
        if flags.isClosed { throw PadlockError.clientClosed }
        let ticket = CallTicket(id: flags.makeCallID(), cancellable: cancellable, trace: currentTraceContext())
        let core = self.core
        let loop = self.loop
        let result: Result<Value, PadlockError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let answer = loop.post {
                    start(core.value, ticket) { continuation.resume(returning: $0) }
                }
                switch answer {
                case .accepted: break
                case .overloaded: continuation.resume(returning: .failure(.clientBusy))
                case .stopped: continuation.resume(returning: .failure(.clientClosed))
                }
            }
        } onCancel: {
            guard cancellable else { return }
            ticket.markCancelled()
            flags.cancellations.add(ticket, on: loop) { tickets in
                for ticket in tickets { core.value.cancel(ticket) }
            }
        }
        return try result.get()
    }
}

/// Flags shared by every thread: whether the client is closed, and the next call number.
final class ClientFlags: Sendable {
    private let closed = Atomic<Bool>(false)
    private let nextCallID = Atomic<UInt64>(0)
    /// Cancellations on their way to the core.
    let cancellations = CancellationQueue()

    var isClosed: Bool { closed.load(ordering: .acquiring) }
    func markClosed() { closed.store(true, ordering: .releasing) }
    func makeCallID() -> UInt64 { nextCallID.wrappingAdd(1, ordering: .relaxed).newValue }
}

/// Cancellations waiting for the loop thread. A cancellation must reach the core even when the client's
/// mailbox is full (the call would otherwise run on to its deadline): each is recorded here, under a lock,
/// and one delivery job, posted past the mailbox's bound (`postBeyondCapacity`), hands every recorded
/// ticket over. At most one such job is queued at a time, so the mailbox stays bounded.
final class CancellationQueue: Sendable {
    private struct State {
        var tickets: [CallTicket] = []
        var deliveryQueued = false
    }

    private let state = Mutex(State())

    /// Records `ticket` and makes sure a delivery job is queued; `deliver` runs on the loop thread with
    /// every ticket recorded since the last delivery. Every caller of one queue passes the same `deliver`.
    func add(
        _ ticket: CallTicket, on loop: EventLoop, deliver: @escaping @Sendable ([CallTicket]) -> Void
    ) {
        let needsJob = state.withLock { state -> Bool in
            state.tickets.append(ticket)
            defer { state.deliveryQueued = true }
            return !state.deliveryQueued
        }
        guard needsJob else { return }
        switch loop.postBeyondCapacity({ deliver(self.take()) }) {
        case .accepted, .overloaded: break
        // The client is closing: closing answers every call still in progress.
        case .stopped: break
        }
    }

    /// The recorded tickets, in the order they were cancelled; the next `add` queues a new job.
    private func take() -> [CallTicket] {
        state.withLock { state in
            state.deliveryQueued = false
            defer { state.tickets = [] }
            return state.tickets
        }
    }
}

/// One public call's identity and cancellation flag, readable from any thread.
///
/// The flag closes the race between a cancellation and the call's start: the cancellation's mailbox job may
/// run before the call is registered, so the call checks the flag when it starts.
final class CallTicket: Sendable {
    let id: UInt64
    let cancellable: Bool
    /// The caller's trace context: the call's span, injected by the tracer; nil without one.
    let trace: TraceContext?
    private let cancelled = Atomic<Bool>(false)

    init(id: UInt64, cancellable: Bool, trace: TraceContext? = nil) {
        self.id = id
        self.cancellable = cancellable
        self.trace = trace
    }

    var isCancelled: Bool { cancellable && cancelled.load(ordering: .acquiring) }
    func markCancelled() { cancelled.store(true, ordering: .releasing) }
}

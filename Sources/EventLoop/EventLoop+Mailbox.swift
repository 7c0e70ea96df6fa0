import CLibUV

/// The answer to a post into a loop's mailbox.
package enum MailboxAnswer: Sendable, Equatable {
    /// The job is queued and will run on the loop thread.
    case accepted
    /// The mailbox is full; the job was not queued. Retry later or shed the work.
    case overloaded
    /// The loop is stopping or stopped; the job was not queued and never will be.
    case stopped
}

/// Why the mailbox refused a job, as an error for `execute` and `submit`.
package enum MailboxRefusal: Error, Sendable, Equatable {
    /// The mailbox is full.
    case overloaded
    /// The loop is stopping or stopped.
    case stopped
}

extension EventLoop {
    /// Queues `job` to run on the loop thread, from any thread, and says whether it was accepted.
    ///
    /// Jobs posted from one thread run in the order they were posted. Never blocks: a full mailbox answers
    /// `.overloaded` at once.
    package func post(_ job: @escaping @Sendable () -> Void) -> MailboxAnswer {
        core.post(job, ignoringCapacity: false)
    }

    /// Queues `job` even when the mailbox is full; refused only once the loop is stopping. For a caller that
    /// bounds such jobs itself (the client keeps at most one cancellation job queued), so the mailbox still
    /// cannot grow without limit, and for work that must not be lost to a busy moment.
    package func postBeyondCapacity(_ job: @escaping @Sendable () -> Void) -> MailboxAnswer {
        core.post(job, ignoringCapacity: true)
    }

    /// Queues `job` to run on the loop thread, throwing `MailboxRefusal` when the mailbox does not take it.
    package func execute(_ job: @escaping @Sendable () -> Void) throws(MailboxRefusal) {
        switch core.post(job, ignoringCapacity: false) {
        case .accepted: return
        case .overloaded: throw .overloaded
        case .stopped: throw .stopped
        }
    }

    /// Runs `body` on the loop thread and returns its result to the awaiting caller.
    ///
    /// For the async edges (startup, tests, the client library); the loop's own code never awaits.
    /// Throws `MailboxRefusal` when the mailbox refuses, or whatever `body` throws.
    package func submit<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let answer = core.post({ continuation.resume(with: Result { try body() }) }, ignoringCapacity: false)
            switch answer {
            case .accepted: break
            case .overloaded: continuation.resume(throwing: MailboxRefusal.overloaded)
            case .stopped: continuation.resume(throwing: MailboxRefusal.stopped)
            }
        }
    }
}

/// The mailbox's shared state, guarded by the core's mutex.
struct MailboxState {
    var jobs: [@Sendable () -> Void] = []
    /// False once a stop was requested: every later post is refused, so the final drain sees all mail.
    var accepting = true
    var stopRequested = false
}

extension LoopCore {
    /// Queues a job. `ignoringCapacity` is for completions whose number is already bounded elsewhere (the
    /// disk thread's queue), which must not be lost to a full mailbox.
    func post(_ job: @escaping @Sendable () -> Void, ignoringCapacity: Bool) -> MailboxAnswer {
        let capacity = mailboxCapacity
        let wake = wakeHandle
        return mailbox.withLock { state -> MailboxAnswer in
            guard state.accepting else { return .stopped }
            if !ignoringCapacity && state.jobs.count >= capacity { return .overloaded }
            state.jobs.append(job)
            // One send per empty-to-non-empty transition is enough: the drain swaps the whole queue out
            // under this mutex. Sending while holding it guarantees no send races the handle's close,
            // which happens only after a drain that saw `accepting == false`.
            if state.jobs.count == 1 { uv_async_send(wake) }
            return .accepted
        }
    }

    /// Refuses further mail and wakes the loop so it shuts down.
    func requestStop() {
        let wake = wakeHandle
        mailbox.withLock { state in
            guard state.accepting else { return }
            state.accepting = false
            state.stopRequested = true
            uv_async_send(wake)
        }
    }

    /// Runs every queued job (loop thread, from the wake-up callback), then shuts down if asked to.
    func drainMailbox() {
        var batch = spareBatch
        spareBatch = []
        let stopRequested = mailbox.withLock { state -> Bool in
            swap(&state.jobs, &batch)
            return state.stopRequested
        }
        for job in batch { job() }
        batch.removeAll(keepingCapacity: true)
        spareBatch = batch
        if stopRequested && !shuttingDown {
            beginShutdown()
        }
    }
}

/// The C callback for the mailbox's `uv_async_t`; the loop's data holds the (unretained) core.
func mailboxWakeCallback(_ handle: UnsafeMutablePointer<uv_async_t>?) {
    guard let handle else { return }
    LoopCore.of(uv_handle_get_loop(asHandle(handle))).drainMailbox()
}

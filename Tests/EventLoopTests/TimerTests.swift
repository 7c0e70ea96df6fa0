import EventLoop
import Testing

@Suite("Timers", .timeLimit(.minutes(10)))
struct TimerTests {
    @Test("timers fire in deadline order, not scheduling order")
    func timersFireInDeadlineOrder() async throws {
        let fired = Shared([Int]())
        let delays = [30, 5, 20, 1, 25, 10, 15, 0]
        try await withLoop { loop in
            try await loop.submit {
                for delay in delays {
                    loop.schedule(after: .milliseconds(delay)) { fired.with { $0.append(delay) } }
                }
            }
            await waitUntil { fired.value.count == delays.count }
        }
        #expect(fired.value == delays.sorted())
    }

    @Test("a cancelled timer never fires, even when due in the same loop iteration")
    func cancelledTimerNeverFires() async throws {
        let fired = Shared([String]())
        try await withLoop { loop in
            try await loop.submit {
                // Both are due at the same time; the canceller was scheduled first, so it runs first and
                // cancels the other after libuv already considered it due.
                var doomed: LoopTimer?
                loop.schedule(after: .milliseconds(10)) { doomed?.cancel() }
                doomed = loop.schedule(after: .milliseconds(10)) { fired.with { $0.append("cancelled") } }
                let early = loop.schedule(after: .milliseconds(1)) { fired.with { $0.append("early") } }
                _ = early
                let plain = loop.schedule(after: .milliseconds(5)) { fired.with { $0.append("plain") } }
                plain.cancel()
                #expect(!plain.isActive)
                loop.schedule(after: .milliseconds(40)) { fired.with { $0.append("last") } }
            }
            await waitUntil { fired.value.contains("last") }
        }
        #expect(fired.value == ["early", "last"])
    }

    @Test("a repeating timer repeats and stops when cancelled")
    func repeatingTimerRepeatsUntilCancelled() async throws {
        let ticks = Shared(0)
        let stopped = Shared(false)
        try await withLoop { loop in
            try await loop.submit {
                var timer: LoopTimer?
                timer = loop.schedule(after: .milliseconds(1), repeating: .milliseconds(1)) {
                    let count = ticks.with {
                        $0 += 1; return $0
                    }
                    if count == 5 {
                        timer?.cancel()
                        timer = nil
                        // Give a cancelled timer plenty of chances to fire again before checking.
                        loop.schedule(after: .milliseconds(20)) { stopped.with { $0 = true } }
                    }
                }
            }
            await waitUntil { stopped.value }
        }
        #expect(ticks.value == 5)
    }

    @Test("loop time is monotonic and advances with timers")
    func loopTimeAdvances() async throws {
        let times = Shared([Ticks]())
        try await withLoop { loop in
            try await loop.submit {
                let start = loop.now
                times.with { $0.append(start) }
                loop.schedule(after: .milliseconds(15)) { times.with { $0.append(loop.now) } }
            }
            await waitUntil { times.value.count == 2 }
        }
        let recorded = times.value
        #expect(recorded[1] >= recorded[0] + .milliseconds(15))
    }
}

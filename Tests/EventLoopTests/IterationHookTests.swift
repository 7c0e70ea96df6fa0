import EventLoop
import Testing

/// End-of-iteration hooks (`EventLoop.beforeWaiting`): work asked for during an iteration runs before the
/// loop waits for the next event, however long that event is in coming.
@Suite("Iteration hooks") struct IterationHookTests {
    /// Waits until `condition` holds or `limit` passes (far longer than a busy machine needs), and says which.
    private func settles(within limit: Duration = .seconds(20), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while !condition() && ContinuousClock.now < deadline && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(2))
        }
        return condition()
    }

    @Test("a hook requested from a timer runs although the loop then has nothing to do for ten minutes")
    func aRequestedHookRunsBeforeTheLoopSleeps() async throws {
        let runs = Shared(0)
        try await withLoop { loop in
            try await loop.submit {
                let hook = loop.beforeWaiting { runs.with { $0 += 1 } }
                let idle = loop.schedule(after: .seconds(600)) {}
                _ = loop.schedule(after: .milliseconds(20)) { hook.request() }
                _ = idle
            }
            #expect(await settles { runs.value == 1 }, "the hook did not run while the loop waited")
        }
    }

    @Test("requests made before a hook runs coalesce into one run; a cancelled hook never runs")
    func requestsCoalesceAndCancelStops() async throws {
        let runs = Shared(0)
        let cancelledRuns = Shared(0)
        try await withLoop { loop in
            try await loop.submit {
                let hook = loop.beforeWaiting { runs.with { $0 += 1 } }
                let cancelled = loop.beforeWaiting { cancelledRuns.with { $0 += 1 } }
                hook.request()
                hook.request()
                cancelled.request()
                cancelled.cancel()
                cancelled.request()
            }
            #expect(await settles { runs.value == 1 })
            // A later iteration (this job's) runs nothing more.
            let pending = try await loop.submit { runs.value }
            #expect(pending == 1)
        }
        #expect(cancelledRuns.value == 0)
    }

    @Test("a hook that keeps asking for itself runs past the round limit without anything else waking the loop")
    func aHookRequestingItselfKeepsRunning() async throws {
        let runs = Shared(0)
        try await withLoop { loop in
            try await loop.submit {
                var hook: IterationHook?
                hook = loop.beforeWaiting {
                    let count = runs.with { count -> Int in
                        count += 1
                        return count
                    }
                    if count < 200 { hook?.request() }
                }
                hook?.request()
            }
            #expect(await settles { runs.value == 200 }, "stopped after \(runs.value) runs")
        }
    }

    @Test("frames a hook sends leave before the loop waits (the write flush follows the hooks)")
    func framesSentByAHookLeave() async throws {
        let received = Shared([[UInt8]]())
        try await withLoop(name: "server") { server in
            let port = try await server.submit {
                try server.listen(host: "127.0.0.1", port: 0) { connection in
                    connection.onFrame = { payload in received.with { $0.append(payload) } }
                }.port
            }
            try await withLoop(name: "client") { client in
                let connection = try await connect(on: client, port: port)
                try await client.submit {
                    let hook = client.beforeWaiting {
                        for byte in UInt8(1)...3 { _ = connection.value.send([byte]) }
                    }
                    hook.request()
                }
                #expect(await settles { received.value.count == 3 })
                try await client.submit { connection.value.close() }
            }
        }
        #expect(received.value == [[1], [2], [3]])
    }
}

import Logging
import Testing
import Tracing
import Wire

@testable import PadlockClient

/// Issue 19: every call is a client span named `padlock.<call>` with `padlock.*` attributes, a refusal marks
/// its span failed with the error's code, and the request carries the span as a W3C traceparent. Each test
/// hands its own `RecordingTracer` to its client, so nothing is bootstrapped globally.
@Suite struct TracingTests {
    private func withTracedClient<Result>(
        _ fake: FakeCluster, owner: String = "alice@frontend-2", tracer: RecordingTracer,
        _ body: (PadlockClient) async throws -> Result
    ) async throws -> Result {
        let client = try await PadlockClient(
            endpoints: fake.endpoints, owner: owner, configuration: testConfiguration, logger: quietLogger,
            tracer: tracer)
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }

    @Test func anAcquireIsAClientSpanWithKeyModeWaitFenceAndOutcome() async throws {
        let tracer = RecordingTracer()
        try await withCluster { fake in
            try await withTracedClient(fake, tracer: tracer) { client in
                let lock = try await client.acquire("acme/contacts/42", mode: .shared, wait: .milliseconds(1500))
                let span = try #require(tracer.spans(named: "padlock.acquire").first)
                #expect(span.kind == .client)
                #expect(span.attribute("padlock.key") == "acme/contacts/42")
                #expect(span.attribute("padlock.mode") == "shared")
                #expect(span.attribute("padlock.wait_ms") == "1500")
                #expect(span.attribute("padlock.fence") == "\(lock.fence.rawValue)")
                #expect(span.attribute("padlock.outcome") == "granted")
                #expect(span.status == nil, "a granted acquire is not an error")

                // The acquire request carried the span: same trace, the span's own id as parent.
                let identity = try #require(span.identity)
                let acquires = await fake.with { $0.requests(\.isAcquire) }
                let trace = try #require(acquires.last?.request.trace)
                #expect(trace.traceparent == "00-\(identity.traceID)-\(identity.spanID)-01")
                #expect(trace.traceID == identity.traceID)
                #expect(trace.tracestate == "padlocktest=1")

                try await lock.release()
                let release = try #require(tracer.spans(named: "padlock.release").first)
                #expect(release.attribute("padlock.fence") == "\(lock.fence.rawValue)")
                #expect(release.attribute("padlock.outcome") == "ok")
            }
        }
    }

    @Test func aRefusedAcquireRecordsTheErrorAndItsCode() async throws {
        let tracer = RecordingTracer()
        try await withCluster { fake in
            try await withClient(fake, owner: "bob@frontend-3") { bob in
                let held = try await bob.acquire("acme/contacts/7", note: "editing")
                try await withTracedClient(fake, tracer: tracer) { alice in
                    let refused = await padlockError { _ = try await alice.acquire("acme/contacts/7") }
                    guard case .held? = refused?.code else {
                        Issue.record("expected held, got \(String(describing: refused))")
                        return
                    }
                    let span = try #require(tracer.spans(named: "padlock.acquire").first)
                    #expect(span.attribute("padlock.outcome") == "held")
                    #expect(span.attribute("error.type") == "held")
                    #expect(span.attribute("padlock.holder.owner") == "bob@frontend-3")
                    #expect(span.attribute("padlock.fence") == nil, "no fence without a grant")
                    #expect(span.status?.code == .error)
                    #expect(span.status?.message?.contains("bob@frontend-3") == true)
                    #expect((span.errors.first as? PadlockError)?.code == refused?.code)
                }
                try await held.release()
            }
        }
    }

    @Test func anInvalidAcquireIsAFailedSpanEvenWithAnAbsurdWait() async throws {
        let tracer = RecordingTracer()
        try await withCluster { fake in
            try await withTracedClient(fake, tracer: tracer) { client in
                let refused = await padlockError {
                    _ = try await client.acquire("acme/contacts/1", wait: .seconds(Int64.max))
                }
                #expect(refused?.code == .invalidArgument)
                let span = try #require(tracer.spans(named: "padlock.acquire").first)
                #expect(span.attribute("padlock.wait_ms") == "\(Int.max)")
                #expect(span.attribute("error.type") == "invalidArgument")
                #expect(span.status?.code == .error)
            }
        }
    }

    @Test func adminCallsAndReadsAreSpansToo() async throws {
        let tracer = RecordingTracer()
        try await withCluster { fake in
            try await withTracedClient(fake, tracer: tracer) { client in
                _ = try await client.acquire("acme/contacts/9")
                _ = try await client.inspect("acme/contacts/9")
                _ = try await client.list(prefix: "acme")
                let released = try await client.forceUnlock("acme/contacts/9", reason: "stuck editor")
                #expect(released.count == 1)
                _ = try await client.status()
                let names = Set(tracer.spans.map(\.operationName))
                for name in ["padlock.inspect", "padlock.list", "padlock.forceUnlock", "padlock.status"] {
                    #expect(names.contains(name), "no \(name) span among \(names.sorted())")
                }
                let force = try #require(tracer.spans(named: "padlock.forceUnlock").first)
                #expect(force.attribute("padlock.key") == "acme/contacts/9")
                #expect(force.attribute("padlock.released_count") == "1")
                #expect(tracer.spans.allSatisfy { $0.kind == .client })
            }
        }
    }

    @Test func aCallersOwnSpanIsTheParent() async throws {
        let tracer = RecordingTracer()
        try await withCluster { fake in
            try await withTracedClient(fake, tracer: tracer) { client in
                let parent = tracer.startSpan("save contact", ofKind: .server)
                let lock = try await InstrumentationContext.$current.withValue(parent.context) {
                    try await client.acquire("acme/contacts/11")
                }
                parent.end()
                let span = try #require(tracer.spans(named: "padlock.acquire").first)
                #expect(span.identity?.traceID == parent.identity?.traceID)
                try await lock.release()
            }
        }
    }

    @Test func withoutATracerRequestsCarryNoTraceContext() async throws {
        try await withCluster { fake in
            try await withClient(fake) { client in
                let lock = try await client.acquire("acme/contacts/12")
                try await lock.release()
                let sent = await fake.with { $0.requests { _ in true } }
                #expect(!sent.isEmpty)
                #expect(sent.allSatisfy { $0.request.trace == nil })
            }
        }
    }

    @Test func aTracerWhoseHeadersBreakTheWireBoundsSendsNone() {
        var carrier = TraceCarrier()
        let injector = TraceInjector()
        injector.inject(
            String(repeating: "a", count: WireLimits.traceparentByteCountMax + 1), forKey: "TraceParent",
            into: &carrier)
        #expect(carrier.wireContext == nil)
        injector.inject(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", forKey: "traceparent", into: &carrier)
        injector.inject("vendor=\u{7}", forKey: "tracestate", into: &carrier)
        #expect(
            carrier.wireContext == TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
    }
}

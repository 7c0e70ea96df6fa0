import Tracing
import Wire

// Spans for the public calls and the W3C trace context each request carries (docs/client.md, "Tracing";
// decision 0013). Without a tracer (the default NoOpTracer) none of this runs: no span, no task-local, and
// requests carry no trace context.

extension ClientHandle {
    /// The tracer in use: the one given to the client, else the bootstrapped one; nil for the no-op tracer.
    var activeTracer: (any Tracer)? {
        if let tracer { return tracer is NoOpTracer ? nil : tracer }
        // Nothing bootstrapped, the common case: one lock-protected read and a cast to a concrete type, where
        // `InstrumentationSystem.tracer` casts to `any Tracer` (about 1 µs).
        if InstrumentationSystem.instrument is NoOpInstrument { return nil }
        let tracer = InstrumentationSystem.tracer
        return tracer is NoOpTracer ? nil : tracer
    }

    /// The trace context for a request sent now: the current task's context (the call's span, or the caller's
    /// own) as the tracer injects it, or nil without a tracer or a context, or when the tracer's strings would
    /// not pass the wire's checks.
    func currentTraceContext() -> TraceContext? {
        guard let tracer = activeTracer, let context = InstrumentationContext.current else { return nil }
        var carrier = TraceCarrier()
        tracer.inject(context, into: &carrier, using: TraceInjector())
        return carrier.wireContext
    }

    /// Runs `body` in a client span named `padlock.<operation>` with `attributes`, records the outcome
    /// (`padlock.outcome`, and on failure the error, `error.type` and an error status) and ends the span.
    /// Requests the body sends carry the span's context.
    func traced<Value: Sendable>(
        _ operation: String, attributes describe: (inout SpanAttributes) -> Void = { _ in },
        answered: (Value, inout SpanAttributes) -> Void = { _, _ in },
        _ body: () async throws(PadlockError) -> Value
    ) async throws(PadlockError) -> Value {
        guard let tracer = activeTracer else { return try await body() }
        let span = tracer.startSpan("padlock.\(operation)", ofKind: .client)
        defer { span.end() }
        if span.isRecording {
            span.updateAttributes { attributes in
                attributes["rpc.system"] = "padlock"
                attributes["rpc.method"] = operation
                describe(&attributes)
            }
        }
        let result = await InstrumentationContext.$current.withValue(span.context) {
            () async -> Result<Value, PadlockError> in
            do throws(PadlockError) { return .success(try await body()) } catch { return .failure(error) }
        }
        switch result {
        case .success(let value):
            if span.isRecording {
                span.updateAttributes { attributes in
                    attributes["padlock.outcome"] = "ok"
                    answered(value, &attributes)
                }
            }
            return value
        case .failure(let error):
            Self.record(error, on: span)
            throw error
        }
    }

    /// Marks `span` failed with `error`: its code as `padlock.outcome` and `error.type`, the error as an
    /// event, and an error status whose message is the error's sentence.
    static func record(_ error: PadlockError, on span: any Span) {
        span.updateAttributes { attributes in
            attributes["padlock.outcome"] = error.code.name
            attributes["error.type"] = error.code.name
            switch error.code {
            case .held(let holders):
                attributes["padlock.holder_count"] = holders.count
                if let first = holders.first { attributes["padlock.holder.owner"] = first.owner }
            case .outcomeUnknown(let request):
                attributes["padlock.session"] = Int(clamping: request.session.rawValue)
                attributes["padlock.request.sequence"] = Int(clamping: request.sequence)
            default:
                break
            }
            if let retryAfter = error.retryAfter { attributes["padlock.retry_after_ms"] = milliseconds(retryAfter) }
        }
        span.recordError(error)
        span.setStatus(SpanStatus(code: .error, message: error.description))
    }

    /// `duration` in whole milliseconds for an attribute, clamped to `Int`'s range (a caller's wait is
    /// described before it is validated, so it may be absurd).
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, overflow) = duration.components.seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return duration < .zero ? Int.min : Int.max }
        let (total, sumOverflow) = seconds.addingReportingOverflow(
            duration.components.attoseconds / 1_000_000_000_000_000)
        return sumOverflow ? (duration < .zero ? Int.min : Int.max) : Int(total)
    }
}

/// Where a tracer writes its propagation headers; only the two W3C ones are kept.
struct TraceCarrier: Sendable {
    var traceparent = ""
    var tracestate = ""

    /// The wire's trace context, or nil when there is no traceparent or it would break the wire's bounds (a
    /// server closes the connection on those); a tracestate too long or not visible ASCII is left out.
    var wireContext: TraceContext? {
        guard Self.fits(traceparent, max: WireLimits.traceparentByteCountMax), !traceparent.isEmpty else { return nil }
        let state = Self.fits(tracestate, max: WireLimits.tracestateByteCountMax) ? tracestate : ""
        return TraceContext(traceparent: traceparent, tracestate: state)
    }

    private static func fits(_ text: String, max: Int) -> Bool {
        text.utf8.count <= max && text.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }
    }
}

/// Takes the `traceparent` and `tracestate` a tracer injects (header names are case-insensitive).
struct TraceInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout TraceCarrier) {
        switch key.lowercased() {
        case "traceparent": carrier.traceparent = value
        case "tracestate": carrier.tracestate = value
        default: break
        }
    }
}

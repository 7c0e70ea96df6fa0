import Synchronization
import Tracing

/// A tracer for tests: it records every span it ends, and injects a W3C `traceparent` for its spans. Tests
/// hand it to one client (`tracer:`) instead of bootstrapping it, so parallel tests do not share spans.
final class RecordingTracer: Tracer, Sendable {
    typealias Span = RecordedSpan

    private let ended = Mutex<[RecordedSpan]>([])
    private let counter = Atomic<UInt64>(0)

    /// The spans ended so far, in the order they ended.
    var spans: [RecordedSpan] { ended.withLock { $0 } }

    /// The ended spans named `name`.
    func spans(named name: String) -> [RecordedSpan] { spans.filter { $0.operationName == name } }

    func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> InstrumentationContext, ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> RecordedSpan {
        var context = context()
        let number = counter.wrappingAdd(1, ordering: .relaxed).newValue
        let spanID = Self.hex(number, digits: 16)
        // A child keeps its parent's trace; a root span starts a trace of its own.
        let traceID = context.recordedSpan?.traceID ?? Self.hex(0xACE0_0000 + number, digits: 32)
        context.recordedSpan = RecordedSpanIdentity(traceID: traceID, spanID: spanID)
        return RecordedSpan(operationName, kind: kind, context: context) { [weak self] span in
            self?.ended.withLock { $0.append(span) }
        }
    }

    func forceFlush() {}

    func inject<Carrier, Inject>(_ context: InstrumentationContext, into carrier: inout Carrier, using injector: Inject)
    where Inject: Injector, Carrier == Inject.Carrier {
        guard let identity = context.recordedSpan else { return }
        injector.inject("00-\(identity.traceID)-\(identity.spanID)-01", forKey: "traceparent", into: &carrier)
        injector.inject("padlocktest=1", forKey: "tracestate", into: &carrier)
    }

    func extract<Carrier, Extract>(
        _ carrier: Carrier, into context: inout InstrumentationContext, using extractor: Extract
    )
    where Extract: Extractor, Carrier == Extract.Carrier {}

    private static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}

/// The trace and span a recorded span is, kept in its context.
struct RecordedSpanIdentity: Sendable, Hashable {
    var traceID: String
    var spanID: String
}

private enum RecordedSpanKey: InstrumentationContextKey {
    typealias Value = RecordedSpanIdentity
}

extension InstrumentationContext {
    var recordedSpan: RecordedSpanIdentity? {
        get { self[RecordedSpanKey.self] }
        set { self[RecordedSpanKey.self] = newValue }
    }
}

/// One span: its name, kind, attributes, status and recorded errors, readable once it ended.
final class RecordedSpan: Tracing.Span, Sendable {
    struct State {
        var name: String
        var attributes: SpanAttributes = [:]
        var status: SpanStatus?
        var errors: [any Error] = []
        var isEnded = false
    }

    let context: InstrumentationContext
    let kind: SpanKind
    private let state: Mutex<State>
    private let onEnd: @Sendable (RecordedSpan) -> Void

    init(
        _ name: String, kind: SpanKind, context: InstrumentationContext,
        onEnd: @escaping @Sendable (RecordedSpan) -> Void
    ) {
        self.context = context
        self.kind = kind
        self.state = Mutex(State(name: name))
        self.onEnd = onEnd
    }

    var identity: RecordedSpanIdentity? { context.recordedSpan }
    var status: SpanStatus? { state.withLock { $0.status } }
    var errors: [any Error] { state.withLock { $0.errors } }
    var isRecording: Bool { true }

    var operationName: String {
        get { state.withLock { $0.name } }
        set { state.withLock { $0.name = newValue } }
    }

    var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set { state.withLock { $0.attributes = newValue } }
    }

    /// An attribute's value as text (numbers and booleans as Swift prints them), nil when unset.
    func attribute(_ name: String) -> String? {
        guard let value = attributes.get(name) else { return nil }
        switch value {
        case .string(let text): return text
        case .int64(let number): return "\(number)"
        case .int32(let number): return "\(number)"
        case .bool(let flag): return "\(flag)"
        case .double(let number): return "\(number)"
        default: return "\(value)"
        }
    }

    func setStatus(_ status: SpanStatus) { state.withLock { $0.status = status } }
    func addEvent(_ event: SpanEvent) {}
    func addLink(_ link: SpanLink) {}

    func recordError<Instant: TracerInstant>(
        _ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant
    ) {
        state.withLock { $0.errors.append(error) }
    }

    func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let first = state.withLock { state in
            defer { state.isEnded = true }
            return !state.isEnded
        }
        if first { onEnd(self) }
    }
}

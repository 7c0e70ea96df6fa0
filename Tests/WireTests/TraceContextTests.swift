import PadlockTypes
import Testing

@testable import Wire

/// Issue 19: a client request's optional W3C trace context (docs/wire.md, "Client requests").
@Suite struct TraceContextTests {
    static let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    private func request(_ trace: TraceContext?) -> ClientRequest {
        ClientRequest(
            correlation: CorrelationID(5),
            operation: .release(
                RequestID(session: SessionID(7), sequence: 2), key: try! LockKey("a/b"),
                fence: FenceToken(9)),
            trace: trace)
    }

    @Test func aTraceContextRoundTripsWithAndWithoutTracestate() throws {
        for trace in [
            TraceContext(traceparent: Self.traceparent),
            TraceContext(traceparent: Self.traceparent, tracestate: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"),
        ] {
            let decoded = try ClientRequest(decoding: request(trace).encoded())
            #expect(decoded == request(trace))
            #expect(decoded.trace?.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        }
    }

    @Test func anAbsentTraceContextAddsNoByteAndAPresentOneIsATaggedTail() throws {
        let plain = request(nil).encoded()
        // kind, correlation, release tag, session, sequence, key "a/b", fence: exactly the layout before the field.
        #expect(plain == [0x03, 0x05, 0x05, 0x07, 0x02, 0x03, 0x61, 0x2F, 0x62, 0x09])
        #expect(try ClientRequest(decoding: plain).trace == nil)
        let traced = request(TraceContext(traceparent: "x", tracestate: "y=1")).encoded()
        #expect(traced == plain + [0x01, 0x01, 0x78, 0x03, 0x79, 0x3D, 0x31])
    }

    @Test func aTraceparentOrTracestateOverItsBoundIsRefusedWithItsLength() {
        let longParent = String(repeating: "a", count: WireLimits.traceparentByteCountMax + 1)
        let parentError = #expect(throws: WireError.self) {
            try ClientRequest(decoding: request(TraceContext(traceparent: longParent)).encoded())
        }
        #expect(
            parentError
                == .malformed(
                    .lengthTooLarge(
                        offset: 11, length: UInt64(WireLimits.traceparentByteCountMax + 1),
                        maximum: UInt64(WireLimits.traceparentByteCountMax))))

        let longState = String(repeating: "k", count: WireLimits.tracestateByteCountMax + 1)
        let bytes = request(TraceContext(traceparent: Self.traceparent, tracestate: longState)).encoded()
        let stateError = #expect(throws: WireError.self) { try ClientRequest(decoding: bytes) }
        #expect(
            stateError
                == .malformed(
                    .lengthTooLarge(
                        offset: 11 + 1 + Self.traceparent.utf8.count,
                        length: UInt64(WireLimits.tracestateByteCountMax + 1),
                        maximum: UInt64(WireLimits.tracestateByteCountMax))))
    }

    @Test func anEmptyTraceparentOrAControlCharacterIsATypedError() {
        let empty = #expect(throws: WireError.self) {
            try ClientRequest(decoding: request(TraceContext(traceparent: "")).encoded())
        }
        #expect(empty == .invalidTraceContext(offset: 11, "an empty traceparent"))
        let newline = #expect(throws: WireError.self) {
            try ClientRequest(decoding: request(TraceContext(traceparent: "00-ab\nforged log line")).encoded())
        }
        guard case .invalidTraceContext(let offset, let what)? = newline else {
            Issue.record("expected invalidTraceContext, got \(String(describing: newline))")
            return
        }
        #expect(offset == 11)
        #expect(what.contains("position 5"))
        #expect(newline?.description.contains("trace context") == true)
    }

    @Test func aByteAfterTheOperationThatIsNotTheTraceTagIsStillTrailing() {
        let bytes = request(nil).encoded() + [0x00]
        let error = #expect(throws: WireError.self) { try ClientRequest(decoding: bytes) }
        #expect(error == .malformed(.trailingBytes(offset: 10, count: 1)))
    }

    @Test func theTraceIDIsReadOnlyFromAValidTraceparent() {
        let id = "4bf92f3577b34da6a3ce929d0e0e4736"
        let cases: [(String, String?)] = [
            (Self.traceparent, id),
            ("01-\(id)-00f067aa0ba902b7-01-later-fields", id),  // a later version may add fields
            ("00-\(id)-00f067aa0ba902b7-01-extra", nil),  // version 00 may not
            ("ff-\(id)-00f067aa0ba902b7-01", nil),  // version ff is invalid
            ("00-\(id.uppercased())-00f067aa0ba902b7-01", nil),  // hex is lowercase
            ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", nil),
            ("00-\(id)-0000000000000000-01", nil),
            ("00-\(id)-00f067aa0ba902b7", nil),
            ("00_\(id)_00f067aa0ba902b7_01", nil),
        ]
        for (traceparent, expected) in cases {
            #expect(TraceContext(traceparent: traceparent).traceID == expected, "\(traceparent)")
        }
    }
}

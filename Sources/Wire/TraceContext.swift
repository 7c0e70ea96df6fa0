import PadlockTypes

/// A W3C Trace Context (`traceparent`, and `tracestate` when the caller's tracer keeps one) carried by a client
/// request, so that the node's log lines about the request name the caller's trace.
///
/// The wire checks only the bounds and that both strings are visible ASCII, as the headers they come from
/// are; ``traceID`` parses the `traceparent` and is nil for anything the W3C format does not allow, so a
/// node never logs an id it could not read.
package struct TraceContext: Hashable, Sendable {
    /// The `traceparent` header's value, such as `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`.
    package var traceparent: String
    /// The `tracestate` header's value; empty when there is none.
    package var tracestate: String

    /// Creates a trace context.
    package init(traceparent: String, tracestate: String = "") {
        self.traceparent = traceparent
        self.tracestate = tracestate
    }

    /// The 32 lowercase hex digits of the trace id, or nil when `traceparent` is not a valid W3C traceparent
    /// (a version other than two hex digits or `ff`, an all-zero trace or parent id, version 00 with extra
    /// fields, a field of the wrong length).
    package var traceID: String? {
        let bytes = Array(traceparent.utf8)
        // version "-" trace-id(32) "-" parent-id(16) "-" flags(2): 55 bytes; later versions may append "-…".
        guard bytes.count >= 55, bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"),
            bytes[52] == UInt8(ascii: "-")
        else { return nil }
        let version = bytes[0..<2]
        let trace = bytes[3..<35]
        let parent = bytes[36..<52]
        let flags = bytes[53..<55]
        guard [version, trace, parent, flags].allSatisfy({ $0.allSatisfy(Self.isLowercaseHex) }),
            Array(version) != Array("ff".utf8),
            trace.contains(where: { $0 != UInt8(ascii: "0") }), parent.contains(where: { $0 != UInt8(ascii: "0") })
        else { return nil }
        if Array(version) == Array("00".utf8) {
            guard bytes.count == 55 else { return nil }
        } else if bytes.count > 55, bytes[55] != UInt8(ascii: "-") {
            return nil
        }
        return String(decoding: trace, as: UTF8.self)
    }

    private static func isLowercaseHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}

extension TraceContext {
    /// The tag that opens a trace context after a request's operation (docs/wire.md, "Client requests").
    static let tag: UInt8 = 1

    func write(to writer: inout ByteWriter) {
        writer.writeUInt8(Self.tag)
        writer.writeString(traceparent)
        writer.writeString(tracestate)
    }

    /// Reads the trace context whose tag was already read.
    static func read(from reader: inout ByteReader) throws -> TraceContext {
        let parentOffset = reader.offset
        let parent = try reader.readString(maxByteCount: WireLimits.traceparentByteCountMax)
        try check(parent, field: "traceparent", offset: parentOffset, allowsEmpty: false)
        let stateOffset = reader.offset
        let state = try reader.readString(maxByteCount: WireLimits.tracestateByteCountMax)
        try check(state, field: "tracestate", offset: stateOffset, allowsEmpty: true)
        return TraceContext(traceparent: parent, tracestate: state)
    }

    private static func check(_ text: String, field: String, offset: Int, allowsEmpty: Bool) throws(WireError) {
        if text.isEmpty && !allowsEmpty {
            throw .invalidTraceContext(offset: offset, "an empty \(field)")
        }
        if let bad = text.utf8.firstIndex(where: { $0 < 0x20 || $0 > 0x7E }) {
            let position = text.utf8.distance(from: text.utf8.startIndex, to: bad)
            throw .invalidTraceContext(
                offset: offset, "a \(field) with a byte that is not visible ASCII at position \(position)")
        }
    }
}

/// An incremental, bounded HTTP/1.1 request parser (RFC 9112), as a pure value type: bytes in with
/// `append(_:)`, requests out with `next()`, one at a time and in order, so pipelined requests come out one
/// after another.
///
/// What it accepts: a request line `method SP target SP HTTP/1.0|HTTP/1.1`, header fields (names
/// compared without regard to case), and a body of exactly `Content-Length` bytes. Lines end with CRLF or
/// a bare LF (RFC 9112 §2.2); empty lines before a request line are skipped. What it refuses, with a typed
/// `HTTPParseError` that names the status to answer: anything malformed (400), a long request line (414),
/// too many or too large headers (431), a long body (413), other versions (505), chunked bodies (411) and
/// other transfer codings (501). It never traps on input.
///
/// Bounds: it holds the unparsed bytes it was given. Parsing stops at the first refusal, which is final:
/// `next()` keeps throwing it and later bytes are dropped. Between requests the buffer holds what the
/// caller appended and has not yet taken as requests; a caller that appends only while it also drains
/// (`next()` until nil) keeps it to one request's limits plus one appended chunk.
package struct HTTPRequestParser: Sendable {
    /// The parser's bounds; the defaults are the admin port's.
    package struct Limits: Sendable, Equatable {
        /// The longest request line, without its line ending (and counting any empty lines before it).
        package var requestLineBytesMax: Int
        /// The most header fields in one request.
        package var headerCountMax: Int
        /// The most bytes in one request's header fields, line endings included.
        package var headerBytesMax: Int
        /// The longest body `Content-Length` may announce.
        package var bodyBytesMax: Int

        /// Makes limits: 8 KiB request line, 100 header fields, 16 KiB of headers, 64 KiB of body.
        package init(
            requestLineBytesMax: Int = 8 * 1024, headerCountMax: Int = 100, headerBytesMax: Int = 16 * 1024,
            bodyBytesMax: Int = 64 * 1024
        ) {
            precondition((16...(1 << 20)).contains(requestLineBytesMax), "requestLineBytesMax \(requestLineBytesMax)")
            precondition((1...10_000).contains(headerCountMax), "headerCountMax \(headerCountMax)")
            precondition((16...(1 << 24)).contains(headerBytesMax), "headerBytesMax \(headerBytesMax)")
            precondition((0...(1 << 26)).contains(bodyBytesMax), "bodyBytesMax \(bodyBytesMax)")
            self.requestLineBytesMax = requestLineBytesMax
            self.headerCountMax = headerCountMax
            self.headerBytesMax = headerBytesMax
            self.bodyBytesMax = bodyBytesMax
        }
    }

    /// Where the parser is within the current request.
    enum Phase: Equatable {
        case requestLine
        case headers
        case body(bytes: Int)
    }

    /// The parts of a request known before its body.
    struct Head {
        var method: HTTPMethod
        var target: String
        var version: HTTPVersion
        var headers = HTTPHeaders()
    }

    /// This parser's bounds.
    package let limits: Limits
    var buffer: [UInt8] = []
    /// The first byte not yet parsed.
    var cursor = 0
    /// Where the search for the next line feed resumes (never before `cursor`), so a request that
    /// trickles in one byte at a time is still scanned once.
    var scanFrom = 0
    var phase = Phase.requestLine
    /// Bytes the current phase has consumed: empty lines before the request line, then header lines.
    var sectionBytes = 0
    var headerCount = 0
    var head: Head?
    /// The first refusal; once set, the parser is done.
    package private(set) var failure: HTTPParseError?

    /// Makes a parser with `limits`.
    package init(limits: Limits = .init()) {
        self.limits = limits
    }

    /// Bytes appended but not yet parsed into requests.
    package var bufferedBytes: Int { buffer.count - cursor }

    /// Whether part of a request has arrived and its end has not (the server's idle timeout answers 408
    /// then, and closes quietly otherwise).
    package var isInsideRequest: Bool {
        failure == nil && (bufferedBytes > 0 || phase != .requestLine || sectionBytes > 0)
    }

    /// Adds received bytes. After a refusal they are dropped.
    package mutating func append<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        guard failure == nil else { return }
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete request, or nil until more bytes arrive. Throws the first refusal, again on every
    /// later call.
    package mutating func next() throws(HTTPParseError) -> HTTPRequest? {
        if let failure { throw failure }
        do {
            return try parseNext()
        } catch {
            failure = error
            buffer = []
            cursor = 0
            scanFrom = 0
            throw error
        }
    }

    private mutating func parseNext() throws(HTTPParseError) -> HTTPRequest? {
        while true {
            switch phase {
            case .requestLine:
                guard try takeRequestLine() else { return nil }
            case .headers:
                guard let bodyBytes = try takeHeaderLine() else { return nil }
                if bodyBytes == 0 { return finishRequest(body: []) }
                phase = .body(bytes: bodyBytes)
            case .body(let bodyBytes):
                guard buffer.count - cursor >= bodyBytes else { return nil }
                let body = Array(buffer[cursor..<(cursor + bodyBytes)])
                cursor += bodyBytes
                scanFrom = cursor
                return finishRequest(body: body)
            }
        }
    }

    /// Parses the request line if it is complete (skipping empty lines before it); false when more
    /// bytes are needed.
    private mutating func takeRequestLine() throws(HTTPParseError) -> Bool {
        while true {
            let budget = limits.requestLineBytesMax - sectionBytes
            let tooLong = HTTPParseError(
                .requestLineTooLong,
                "request line longer than \(limits.requestLineBytesMax) bytes")
            let lineStart = cursor
            guard let line = try nextLine(contentBytesMax: budget, orThrow: tooLong) else { return false }
            if line.isEmpty {
                sectionBytes += cursor - lineStart
                continue
            }
            head = try parseRequestLine(buffer[line])
            phase = .headers
            sectionBytes = 0
            headerCount = 0
            return true
        }
    }

    /// Parses one header line if it is complete. Returns nil when more bytes are needed, the body's
    /// length once the empty line ending the header section arrived, and loops over field lines.
    private mutating func takeHeaderLine() throws(HTTPParseError) -> Int? {
        let tooLarge = HTTPParseError(.headersTooLarge, "header section larger than \(limits.headerBytesMax) bytes")
        while true {
            let lineStart = cursor
            let budget = limits.headerBytesMax - sectionBytes
            guard let line = try nextLine(contentBytesMax: budget, orThrow: tooLarge) else { return nil }
            if line.isEmpty { return try bodyLength() }
            sectionBytes += cursor - lineStart
            if sectionBytes > limits.headerBytesMax { throw tooLarge }
            headerCount += 1
            if headerCount > limits.headerCountMax {
                throw HTTPParseError(.tooManyHeaders, "more than \(limits.headerCountMax) header fields")
            }
            let field = try parseField(buffer[line])
            head?.headers.appendParsed(field)
        }
    }

    /// The next line's content (without CR LF or LF), consuming it with its ending; nil when no line
    /// ending has arrived yet. Throws `error` as soon as the line is sure to be longer than
    /// `contentBytesMax`.
    private mutating func nextLine(
        contentBytesMax: Int, orThrow error: HTTPParseError
    ) throws(HTTPParseError)
        -> Range<Int>?
    {
        guard contentBytesMax >= 0 else { throw error }
        guard let lineFeed = buffer[scanFrom...].firstIndex(of: 0x0A) else {
            scanFrom = buffer.count
            // The last byte may be the CR of a CRLF still arriving; every other byte is content.
            if buffer.count - cursor - 1 > contentBytesMax { throw error }
            return nil
        }
        var end = lineFeed
        if end > cursor && buffer[end - 1] == 0x0D { end -= 1 }
        guard end - cursor <= contentBytesMax else { throw error }
        let line = cursor..<end
        cursor = lineFeed + 1
        scanFrom = cursor
        return line
    }

    private mutating func finishRequest(body: [UInt8]) -> HTTPRequest {
        let complete = head!
        head = nil
        phase = .requestLine
        sectionBytes = 0
        headerCount = 0
        return HTTPRequest(
            method: complete.method, target: complete.target, version: complete.version,
            headers: complete.headers, body: body)
    }

    /// Drops parsed bytes when they are all of the buffer or at least 4 KiB, so each byte moves a bounded
    /// number of times.
    private mutating func compactIfWorthwhile() {
        guard cursor > 0 else { return }
        if cursor == buffer.count {
            buffer.removeAll(keepingCapacity: true)
        } else if cursor >= 4096 {
            buffer.removeSubrange(0..<cursor)
        } else {
            return
        }
        scanFrom -= cursor
        cursor = 0
    }
}

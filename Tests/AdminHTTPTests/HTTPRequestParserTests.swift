import AdminHTTP
import Testing

/// What parsing some input produced: the requests, in order, then the refusal if there was one.
struct ParseOutcome: Equatable {
    var requests: [HTTPRequest] = []
    var error: HTTPParseError.Code?
    var bufferedBytes = 0
}

/// Feeds `bytes` in chunks of `chunkBytes` (all at once when nil), taking every request after each chunk.
func parse(_ bytes: [UInt8], limits: HTTPRequestParser.Limits = .init(), chunkBytes: Int? = nil) -> ParseOutcome {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = ParseOutcome()
    var offset = 0
    repeat {
        let end = min(bytes.count, offset + (chunkBytes ?? bytes.count))
        parser.append(bytes[offset..<end])
        offset = end
        do {
            while let request = try parser.next() { outcome.requests.append(request) }
        } catch {
            outcome.error = error.code
            break
        }
    } while offset < bytes.count
    outcome.bufferedBytes = parser.bufferedBytes
    return outcome
}

func parse(_ text: String, limits: HTTPRequestParser.Limits = .init(), chunkBytes: Int? = nil) -> ParseOutcome {
    parse(Array(text.utf8), limits: limits, chunkBytes: chunkBytes)
}

/// `count` header lines `X-Fill-n: …`, each `lineBytes` long with its CRLF.
func fillerHeaders(count: Int, lineBytes: Int) -> String {
    (0..<count).map { index in
        let name = "X-Fill-\(index): "
        return name + String(repeating: "a", count: lineBytes - name.utf8.count - 2) + "\r\n"
    }.joined()
}

@Suite("HTTP request parser")
struct HTTPRequestParserTests {
    @Test("a GET with headers parses into method, target, path, query, version and case-insensitive headers")
    func parsesSimpleGet() throws {
        let outcome = parse(
            "GET /metrics?name[]=up HTTP/1.1\r\nHost: padlock:9090\r\nAccept:  text/plain \r\n"
                + "X-Two: a\r\nx-two: b\r\n\r\n")
        #expect(outcome.error == nil)
        let request = try #require(outcome.requests.first)
        #expect(outcome.requests.count == 1)
        #expect(request.method == .get)
        #expect(request.target == "/metrics?name[]=up")
        #expect(request.path == "/metrics")
        #expect(request.query == "name[]=up")
        #expect(request.version == .http1_1)
        #expect(request.headers["accept"] == "text/plain")
        #expect(request.headers["HOST"] == "padlock:9090")
        #expect(request.headers.values(for: "X-TWO") == ["a", "b"])
        #expect(request.headers.count == 4)
        #expect(request.body.isEmpty)
        #expect(request.keepAlive)
        #expect(outcome.bufferedBytes == 0)
    }

    @Test("keep-alive follows the version and the Connection header's options")
    func keepAliveRules() {
        let cases: [(String, Bool)] = [
            ("GET / HTTP/1.1\r\nHost: a\r\n\r\n", true),
            ("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false),
            ("GET / HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", false),
            ("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nConnection: close\r\n\r\n", false),
            ("GET / HTTP/1.0\r\n\r\n", false),
            ("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true),
        ]
        for (text, keepAlive) in cases {
            #expect(parse(text).requests.map(\.keepAlive) == [keepAlive], "\(text.debugDescription)")
        }
    }

    @Test("a Content-Length body is read exactly, even when every byte arrives alone")
    func contentLengthBody() {
        let text =
            "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world"
            + "GET /y HTTP/1.1\r\nHost: a\r\n\r\n"
        let whole = parse(text)
        #expect(whole.error == nil)
        #expect(whole.requests.map(\.body) == [Array("hello world".utf8), []])
        #expect(whole.requests.map(\.target) == ["/x", "/y"])
        #expect(parse(text, chunkBytes: 1) == whole)
    }

    @Test("pipelined requests come out one after another, in order, with nothing left over")
    func pipelinedRequests() throws {
        let one = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
        let two = "HEAD /b HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nxy"
        let three = "GET /c HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
        let outcome = parse(one + two + three)
        #expect(outcome.requests.map(\.path) == ["/a", "/b", "/c"])
        #expect(outcome.requests.map(\.method) == [.get, .head, .get])
        #expect(outcome.requests.map(\.keepAlive) == [true, true, false])
        #expect(outcome.bufferedBytes == 0)
        // Half of a fourth request stays buffered until the rest arrives.
        var parser = HTTPRequestParser()
        parser.append(Array((one + "GET /d HT").utf8))
        #expect(try parser.next()?.path == "/a")
        #expect(try parser.next() == nil)
        #expect(parser.isInsideRequest)
        parser.append(Array("TP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(try parser.next()?.path == "/d")
        #expect(!parser.isInsideRequest)
    }

    @Test("bare LF line endings are accepted and empty lines before a request line are skipped")
    func lenientLineEndings() {
        let outcome = parse("\r\n\nGET /a HTTP/1.1\nHost: a\n\n\r\nGET /b HTTP/1.0\r\n\n")
        #expect(outcome.error == nil)
        #expect(outcome.requests.map(\.path) == ["/a", "/b"])
    }

    @Test("an absolute-form target is routed by its path")
    func absoluteFormTarget() {
        let paths = ["http://padlock:9090/metrics?x", "HTTP://padlock", "https://h?q", "*"].map { target in
            HTTPRequest(method: .get, target: target).path
        }
        #expect(paths == ["/metrics", "/", "/", "*"])
    }

    @Test("an HTTP/1.0 request needs no Host")
    func http10WithoutHost() {
        #expect(parse("GET / HTTP/1.0\r\n\r\n").requests.count == 1)
    }
}

@Suite("HTTP request parser limits")
struct HTTPRequestParserLimitTests {
    @Test("a request line of exactly 8 KiB is accepted; one byte more is refused with 414, even before it ends")
    func requestLineLimit() {
        let prefix = "GET /"
        let suffix = " HTTP/1.1"
        let fitting = prefix + String(repeating: "a", count: 8192 - prefix.count - suffix.count) + suffix
        #expect(fitting.utf8.count == 8192)
        #expect(parse(fitting + "\r\nHost: a\r\n\r\n").requests.count == 1)
        let tooLong = prefix + "a" + String(fitting.dropFirst(prefix.count))
        #expect(parse(tooLong + "\r\nHost: a\r\n\r\n").error == .requestLineTooLong)
        // Without any line ending: refused as soon as more than the limit (and a possible CR) has arrived.
        let unterminated = "GET /" + String(repeating: "a", count: 8200)
        #expect(parse(String(unterminated.prefix(8193))).error == nil)
        #expect(parse(String(unterminated.prefix(8194))).error == .requestLineTooLong)
        #expect(HTTPParseError(.requestLineTooLong, "").status.code == 414)
    }

    @Test("100 header fields are accepted; the 101st is refused with 431")
    func headerCountLimit() {
        let head = "GET / HTTP/1.1\r\nHost: a\r\n"
        #expect(parse(head + fillerHeaders(count: 99, lineBytes: 20) + "\r\n").requests.count == 1)
        let outcome = parse(head + fillerHeaders(count: 100, lineBytes: 20) + "\r\n")
        #expect(outcome.error == .tooManyHeaders)
        #expect(HTTPParseError(.tooManyHeaders, "").status.code == 431)
    }

    @Test("16 KiB of header lines are accepted; one byte more is refused with 431, even before the line ends")
    func headerBytesLimit() {
        /// 17 header lines of 16 KiB in all, plus `extra` bytes.
        func headers(extra: Int) -> String {
            let host = "Host: a\r\n"
            let lastLineBytes = 16384 - host.utf8.count - 15 * 1023 + extra
            return host + fillerHeaders(count: 15, lineBytes: 1023) + "X-Last: "
                + String(repeating: "b", count: lastLineBytes - 10) + "\r\n"
        }
        #expect(headers(extra: 0).utf8.count == 16384)
        #expect(parse("GET / HTTP/1.1\r\n" + headers(extra: 0) + "\r\n").requests.count == 1)
        #expect(parse("GET / HTTP/1.1\r\n" + headers(extra: 1) + "\r\n").error == .headersTooLarge)
        // A single unterminated header line that cannot fit any more is refused at once.
        let endless = "GET / HTTP/1.1\r\nX-Endless: " + String(repeating: "z", count: 16384)
        #expect(parse(endless).error == .headersTooLarge)
        #expect(HTTPParseError(.headersTooLarge, "").status.code == 431)
    }

    @Test("a 64 KiB body is accepted; a longer announced body is refused with 413 before it is sent")
    func bodyLimit() {
        let body = String(repeating: "x", count: 65536)
        let fitting = parse("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 65536\r\n\r\n" + body)
        #expect(fitting.requests.map(\.body.count) == [65536])
        #expect(parse("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 65537\r\n\r\n").error == .bodyTooLarge)
        let enormous = "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999999\r\n\r\n"
        #expect(parse(enormous).error == .bodyTooLarge)
        #expect(HTTPParseError(.bodyTooLarge, "").status.code == 413)
    }

    @Test("smaller configured limits are applied exactly")
    func customLimits() {
        let limits = HTTPRequestParser.Limits(
            requestLineBytesMax: 20, headerCountMax: 1, headerBytesMax: 20,
            bodyBytesMax: 3)
        #expect(parse("GET /123456 HTTP/1.1\r\nHost: a\r\n\r\n", limits: limits).requests.count == 1)
        #expect(parse("GET /1234567 HTTP/1.1\r\nHost: a\r\n\r\n", limits: limits).error == .requestLineTooLong)
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\r\n", limits: limits).error == .tooManyHeaders)
        #expect(parse("GET / HTTP/1.0\r\nContent-Length: 4\r\n\r\nabcd", limits: limits).error == .bodyTooLarge)
        #expect(parse("GET / HTTP/1.0\r\nX: 123456789012345678\r\n\r\n", limits: limits).error == .headersTooLarge)
    }

    @Test("empty lines before the request line count toward its limit")
    func leadingEmptyLinesAreBounded() {
        let limits = HTTPRequestParser.Limits(requestLineBytesMax: 20)
        let request = "GET / HTTP/1.0\r\n\r\n"
        #expect(parse(String(repeating: "\r\n", count: 3) + request, limits: limits).requests.count == 1)
        #expect(parse(String(repeating: "\r\n", count: 11), limits: limits).error == .requestLineTooLong)
    }
}

@Suite("HTTP request parser refusals")
struct HTTPRequestParserRefusalTests {
    /// Each malformed shape, the code it is refused with, and the status the server answers.
    static let shapes: [(String, HTTPParseError.Code, Int)] = [
        ("GET /\r\n\r\n", .malformedRequestLine, 400),
        ("GET\r\n\r\n", .malformedRequestLine, 400),
        ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        ("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        ("G@T / HTTP/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        ("GET /a\u{1}b HTTP/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        ("GET /caf\u{E9} HTTP/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        ("GET / http/1.1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        ("GET / HTTP/1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        ("GET / HTTP/11.1\r\nHost: a\r\n\r\n", .malformedRequestLine, 400),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", .unsupportedVersion, 505),
        ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", .unsupportedVersion, 505),
        ("GET / HTTP/1.2\r\nHost: a\r\n\r\n", .unsupportedVersion, 505),
        ("GET / HTTP/0.9\r\n\r\n", .unsupportedVersion, 505),
        ("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", .bareCarriageReturn, 400),
        ("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", .bareCarriageReturn, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nNo colon here\r\n\r\n", .malformedHeader, 400),
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", .malformedHeader, 400),
        ("GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n", .malformedHeader, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n  folded\r\n\r\n", .malformedHeader, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX-Null: a\u{0}b\r\n\r\n", .malformedHeader, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX-Del: a\u{7F}\r\n\r\n", .malformedHeader, 400),
        ("GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", .malformedHeader, 400),
        ("GET / HTTP/1.1\r\n\r\n", .invalidHost, 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", .invalidHost, 400),
        ("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", .invalidHost, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", .invalidContentLength, 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", .chunkedBodyRefused, 411),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n", .chunkedBodyRefused, 411),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", .unsupportedTransferCoding, 501),
        (
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc",
            .chunkedBodyRefused, 411
        ),
    ]

    @Test("each malformed shape is refused with its own code and status", arguments: 0..<shapes.count)
    func malformedShape(index: Int) {
        let (text, code, status) = Self.shapes[index]
        let outcome = parse(text)
        #expect(outcome.requests.isEmpty, "\(text.debugDescription)")
        #expect(outcome.error == code, "\(text.debugDescription)")
        #expect(HTTPParseError(code, "").status.code == status)
        #expect(parse(text, chunkBytes: 1).error == code, "byte by byte: \(text.debugDescription)")
    }

    @Test("a repeated Content-Length with one value is accepted")
    func repeatedEqualContentLength() {
        let outcome = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 002\r\n\r\nok")
        #expect(outcome.requests.map(\.body) == [Array("ok".utf8)])
    }

    @Test("requests before a malformed one are delivered; the refusal is final and later bytes are dropped")
    func refusalIsFinal() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("GET /ok HTTP/1.1\r\nHost: a\r\n\r\nBROKEN\r\n\r\n".utf8))
        #expect(try parser.next()?.path == "/ok")
        #expect(throws: HTTPParseError.self) { try parser.next() }
        #expect(parser.failure?.code == .malformedRequestLine)
        parser.append(Array("GET /more HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(parser.bufferedBytes == 0)
        #expect(!parser.isInsideRequest)
        do {
            _ = try parser.next()
            Issue.record("a failed parser produced a request")
        } catch {
            #expect(error.code == .malformedRequestLine)
        }
    }
}

import AdminHTTP
import Foundation
import Testing

@Suite("HTTP responses")
struct HTTPResponseTests {
    private func lines(_ bytes: [UInt8]) -> [String] {
        String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
    }

    @Test("a response serializes its status line, headers, Content-Type, Content-Length, Connection and body")
    func serializesResponse() {
        var response = HTTPResponse.text("ok\n")
        response.headers.add(name: "Cache-Control", value: "no-store")
        #expect(
            lines(response.serialized(keepAlive: true)) == [
                "HTTP/1.1 200 OK",
                "Content-Type: text/plain; charset=utf-8",
                "Cache-Control: no-store",
                "Content-Length: 3",
                "Connection: keep-alive",
                "",
                "ok\n",
            ])
        #expect(lines(response.serialized(keepAlive: false)).contains("Connection: close"))
    }

    @Test("a HEAD response announces the body's length and leaves the body out")
    func headLeavesBodyOut() {
        let response = HTTPResponse(status: .ok, contentType: "text/plain", body: "12345")
        let bytes = response.serialized(keepAlive: true, includeBody: false)
        #expect(
            lines(bytes) == [
                "HTTP/1.1 200 OK", "Content-Type: text/plain", "Content-Length: 5",
                "Connection: keep-alive", "", "",
            ])
    }

    @Test("framing headers set by a handler are replaced by the serializer's own")
    func framingHeadersAreTheSerializers() {
        let headers: HTTPHeaders = ["content-length": "99", "Connection": "upgrade", "Transfer-Encoding": "chunked"]
        let response = HTTPResponse(status: .notFound, headers: headers, body: Array("abc".utf8))
        #expect(
            lines(response.serialized(keepAlive: false)) == [
                "HTTP/1.1 404 Not Found", "Content-Type: application/octet-stream", "Content-Length: 3",
                "Connection: close", "", "abc",
            ])
    }

    @Test("a 204 carries neither body nor Content-Length")
    func noContentHasNoBody() {
        let response = HTTPResponse(status: .noContent, body: Array("ignored".utf8))
        #expect(
            lines(response.serialized(keepAlive: true))
                == ["HTTP/1.1 204 No Content", "Connection: keep-alive", "", ""])
    }

    @Test("headers compare names without regard to case and keep their order")
    func headersAreCaseInsensitive() {
        var headers: HTTPHeaders = ["Content-Type": "a", "X-One": "1"]
        headers.add(name: "x-one", value: "2")
        #expect(headers["CONTENT-TYPE"] == "a")
        #expect(headers.values(for: "X-ONE") == ["1", "2"])
        headers.set(name: "X-One", value: "3")
        #expect(headers.map(\.value) == ["a", "3"])
        headers.remove(name: "content-type")
        #expect(headers.count == 1 && !headers.contains("Content-Type"))
    }

    @Test("a header value with a line break is a programmer error")
    func headerInjectionStops() async {
        await #expect(processExitsWith: .failure) {
            var headers = HTTPHeaders()
            headers.add(name: "X-Evil", value: "a\r\nSet-Cookie: b")
        }
    }
}

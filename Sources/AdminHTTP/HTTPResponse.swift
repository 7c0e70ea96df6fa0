/// A response status: a three-digit code and its reason phrase.
package struct HTTPStatus: Sendable, Hashable, CustomStringConvertible {
    /// The code, 100 through 599.
    package let code: Int
    /// The reason phrase sent after the code.
    package let reasonPhrase: String

    /// Makes a status; a code outside 100...599 or a phrase with control characters is a programmer error.
    package init(code: Int, reasonPhrase: String) {
        precondition((100...599).contains(code), "HTTP status code \(code) is outside 100...599")
        precondition(
            reasonPhrase.utf8.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) },
            "reason phrase \(reasonPhrase.debugDescription) holds control characters")
        self.code = code
        self.reasonPhrase = reasonPhrase
    }

    /// 200 OK.
    package static let ok = HTTPStatus(code: 200, reasonPhrase: "OK")
    /// 204 No Content.
    package static let noContent = HTTPStatus(code: 204, reasonPhrase: "No Content")
    /// 400 Bad Request.
    package static let badRequest = HTTPStatus(code: 400, reasonPhrase: "Bad Request")
    /// 404 Not Found.
    package static let notFound = HTTPStatus(code: 404, reasonPhrase: "Not Found")
    /// 405 Method Not Allowed.
    package static let methodNotAllowed = HTTPStatus(code: 405, reasonPhrase: "Method Not Allowed")
    /// 408 Request Timeout.
    package static let requestTimeout = HTTPStatus(code: 408, reasonPhrase: "Request Timeout")
    /// 411 Length Required.
    package static let lengthRequired = HTTPStatus(code: 411, reasonPhrase: "Length Required")
    /// 413 Content Too Large.
    package static let contentTooLarge = HTTPStatus(code: 413, reasonPhrase: "Content Too Large")
    /// 414 URI Too Long.
    package static let uriTooLong = HTTPStatus(code: 414, reasonPhrase: "URI Too Long")
    /// 431 Request Header Fields Too Large.
    package static let requestHeaderFieldsTooLarge = HTTPStatus(
        code: 431,
        reasonPhrase: "Request Header Fields Too Large")
    /// 500 Internal Server Error.
    package static let internalServerError = HTTPStatus(code: 500, reasonPhrase: "Internal Server Error")
    /// 501 Not Implemented.
    package static let notImplemented = HTTPStatus(code: 501, reasonPhrase: "Not Implemented")
    /// 503 Service Unavailable.
    package static let serviceUnavailable = HTTPStatus(code: 503, reasonPhrase: "Service Unavailable")
    /// 505 HTTP Version Not Supported.
    package static let httpVersionNotSupported = HTTPStatus(code: 505, reasonPhrase: "HTTP Version Not Supported")

    /// The form `404 Not Found`.
    package var description: String { "\(code) \(reasonPhrase)" }

    /// Whether a response with this status may carry a body (not 1xx, 204 or 304; RFC 9110 §6.4.1).
    var allowsBody: Bool { code >= 200 && code != 204 && code != 304 }
}

/// A response: status, header fields and body. The serializer owns the framing fields: it writes
/// `Content-Length` and `Connection` itself (any set here are replaced) and never a `Transfer-Encoding`.
package struct HTTPResponse: Sendable, Equatable {
    /// The status.
    package var status: HTTPStatus
    /// Header fields other than the framing ones, in order.
    package var headers: HTTPHeaders
    /// The body; sent for every method but `HEAD`, whose response announces its length only.
    package var body: [UInt8]

    /// Makes a response.
    package init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Makes a response whose body is `body` as UTF-8, of type `contentType`.
    package init(status: HTTPStatus = .ok, contentType: String, body: String) {
        self.init(status: status, headers: ["Content-Type": contentType], body: Array(body.utf8))
    }

    /// The `text/plain; charset=utf-8` media type.
    package static let plainTextType = "text/plain; charset=utf-8"

    /// A plain-text response.
    package static func text(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, contentType: plainTextType, body: text)
    }

    /// The `Content-Type` field, or nil.
    package var contentType: String? {
        get { headers["Content-Type"] }
        set {
            if let newValue {
                headers.set(name: "Content-Type", value: newValue)
            } else {
                headers.remove(name: "Content-Type")
            }
        }
    }

    /// The response as HTTP/1.1 bytes: status line, the header fields, `Content-Type` (default
    /// `application/octet-stream` when there is a body and no type), `Content-Length` (the body's length,
    /// also for `HEAD`), `Connection: keep-alive` or `close`, then the body unless `includeBody` is false.
    /// Statuses that forbid a body (1xx, 204, 304) get neither body nor `Content-Length`.
    package func serialized(keepAlive: Bool, includeBody: Bool = true) -> [UInt8] {
        var head = "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n"
        for field in headers {
            let name = field.name
            if HTTPHeaders.namesMatch(name, "Content-Length") || HTTPHeaders.namesMatch(name, "Connection")
                || HTTPHeaders.namesMatch(name, "Transfer-Encoding")
            {
                continue
            }
            head += "\(name): \(field.value)\r\n"
        }
        let sendsBody = status.allowsBody
        if sendsBody && !body.isEmpty && !headers.contains("Content-Type") {
            head += "Content-Type: application/octet-stream\r\n"
        }
        if sendsBody { head += "Content-Length: \(body.count)\r\n" }
        head += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        var bytes = Array(head.utf8)
        if sendsBody && includeBody { bytes += body }
        return bytes
    }
}

/// A request method: a case-sensitive token such as `GET` (RFC 9110 §9).
package struct HTTPMethod: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The method's name, as sent.
    package let rawValue: String

    /// Wraps a method name; the parser only makes methods that are tokens.
    package init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// `GET`: read a resource.
    package static let get = HTTPMethod(rawValue: "GET")
    /// `HEAD`: `GET` without the body.
    package static let head = HTTPMethod(rawValue: "HEAD")
    /// `POST`.
    package static let post = HTTPMethod(rawValue: "POST")
    /// `PUT`.
    package static let put = HTTPMethod(rawValue: "PUT")
    /// `DELETE`.
    package static let delete = HTTPMethod(rawValue: "DELETE")
    /// `OPTIONS`.
    package static let options = HTTPMethod(rawValue: "OPTIONS")

    /// The method's name.
    package var description: String { rawValue }
}

/// The HTTP version of a request. The parser accepts 1.0 and 1.1 and answers others with 505.
package struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    /// The major version (1).
    package let major: Int
    /// The minor version (0 or 1).
    package let minor: Int

    /// HTTP/1.0: connections close after each response unless the request asks to keep them alive.
    package static let http1_0 = HTTPVersion(major: 1, minor: 0)
    /// HTTP/1.1: connections stay open unless a request says `Connection: close`.
    package static let http1_1 = HTTPVersion(major: 1, minor: 1)

    /// The form `HTTP/1.1`.
    package var description: String { "HTTP/\(major).\(minor)" }
}

/// One parsed request.
package struct HTTPRequest: Sendable, Equatable {
    /// The method, such as `GET`.
    package let method: HTTPMethod
    /// The request target as sent: usually a path with an optional query (`/metrics?x=1`).
    package let target: String
    /// The protocol version.
    package let version: HTTPVersion
    /// The header fields, in order.
    package let headers: HTTPHeaders
    /// The body (`Content-Length` bytes; empty without one).
    package let body: [UInt8]

    /// Makes a request (the parser's result; also for testing handlers).
    package init(
        method: HTTPMethod, target: String, version: HTTPVersion = .http1_1,
        headers: HTTPHeaders = [:], body: [UInt8] = []
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
    }

    /// The path the server routes by: the target without its query, percent-escapes left as sent. For an
    /// absolute-form target (`http://host/metrics`), the path after the authority (`/` when empty).
    package var path: Substring {
        var rest = Substring(target)
        if let scheme = ["http://", "https://"].first(where: { rest.lowercased().hasPrefix($0) }) {
            rest = rest.dropFirst(scheme.count)
            rest = rest[(rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex)...]
            if rest.isEmpty || rest.first == "?" { return "/" }
        }
        return rest[..<(rest.firstIndex(of: "?") ?? rest.endIndex)]
    }

    /// The query: what follows the first `?` of the target, or nil when there is none.
    package var query: Substring? {
        target.firstIndex(of: "?").map { target[target.index(after: $0)...] }
    }

    /// Whether the connection stays open after the response: HTTP/1.1 unless `Connection` lists `close`;
    /// HTTP/1.0 only when `Connection` lists `keep-alive`.
    package var keepAlive: Bool {
        let options = headers.values(for: "Connection").flatMap { value in
            value.split(separator: ",").map { $0.trimmingWhitespace().lowercased() }
        }
        if options.contains("close") { return false }
        return version == .http1_0 ? options.contains("keep-alive") : true
    }
}

extension Substring {
    /// The substring without leading and trailing spaces and tabs.
    func trimmingWhitespace() -> Substring {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}

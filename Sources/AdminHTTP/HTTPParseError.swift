/// Why the parser refused a request. Every refusal maps to the status the server answers with before it
/// closes the connection (`status`); the parser stays failed afterwards.
package struct HTTPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of input was refused.
    package enum Code: Sendable, Hashable {
        /// The request line is not `method SP target SP HTTP/x.y` (400).
        case malformedRequestLine
        /// The request line is longer than `requestLineBytesMax` (414).
        case requestLineTooLong
        /// The version is well formed but not HTTP/1.0 or HTTP/1.1 (505).
        case unsupportedVersion
        /// A header line is malformed: no colon, whitespace before the colon, a bad name, a control
        /// character, or a folded (obsolete line-folding) continuation (400).
        case malformedHeader
        /// More header fields than `headerCountMax` (431).
        case tooManyHeaders
        /// The header section is larger than `headerBytesMax` (431).
        case headersTooLarge
        /// A bare CR that does not end a line (400).
        case bareCarriageReturn
        /// An HTTP/1.1 request without exactly one `Host` field, or any request with two (400).
        case invalidHost
        /// `Content-Length` is not a decimal number, or repeated with different values (400).
        case invalidContentLength
        /// The announced body is larger than `bodyBytesMax` (413).
        case bodyTooLarge
        /// A chunked body: the admin port wants `Content-Length` (411).
        case chunkedBodyRefused
        /// A transfer coding other than chunked (501).
        case unsupportedTransferCoding
    }

    /// What kind of input was refused.
    package let code: Code
    /// A sentence for the log and the response body, saying what was wrong.
    package let message: String

    /// Makes an error.
    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The status the server answers this refusal with.
    package var status: HTTPStatus {
        switch code {
        case .malformedRequestLine, .malformedHeader, .bareCarriageReturn, .invalidHost, .invalidContentLength:
            .badRequest
        case .requestLineTooLong: .uriTooLong
        case .unsupportedVersion: .httpVersionNotSupported
        case .tooManyHeaders, .headersTooLarge: .requestHeaderFieldsTooLarge
        case .bodyTooLarge: .contentTooLarge
        case .chunkedBodyRefused: .lengthRequired
        case .unsupportedTransferCoding: .notImplemented
        }
    }

    /// The message.
    package var description: String { message }
}

// The request line, header fields and the body's framing (RFC 9112 §3, §5, §6).

private let space = UInt8(ascii: " ")
private let carriageReturn: UInt8 = 0x0D

extension HTTPRequestParser {
    /// `method SP request-target SP HTTP-version`, each part separated by exactly one space.
    func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Head {
        if line.contains(carriageReturn) {
            throw HTTPParseError(.bareCarriageReturn, "a carriage return inside the request line")
        }
        guard let firstSpace = line.firstIndex(of: space), let lastSpace = line.lastIndex(of: space),
            firstSpace < lastSpace
        else {
            throw HTTPParseError(.malformedRequestLine, "the request line is not 'method target version'")
        }
        let method = line[line.startIndex..<firstSpace]
        let target = line[(firstSpace + 1)..<lastSpace]
        let version = line[(lastSpace + 1)...]
        guard HTTPSyntax.isToken(method) else {
            throw HTTPParseError(.malformedRequestLine, "the method is not a token")
        }
        // Visible ASCII only: no spaces (so exactly three parts), no control or non-ASCII bytes.
        guard !target.isEmpty, target.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw HTTPParseError(.malformedRequestLine, "the request target is empty or holds invalid bytes")
        }
        return Head(
            method: HTTPMethod(rawValue: String(decoding: method, as: UTF8.self)),
            target: String(decoding: target, as: UTF8.self), version: try parseVersion(version))
    }

    /// `HTTP/` DIGIT `.` DIGIT; 1.0 and 1.1 are served, other well-formed versions answered with 505.
    private func parseVersion(_ version: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPVersion {
        let bytes = Array(version)
        let isDigit: (UInt8) -> Bool = { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        guard bytes.count == 8, bytes[0..<5].elementsEqual("HTTP/".utf8), isDigit(bytes[5]),
            bytes[6] == UInt8(ascii: "."), isDigit(bytes[7])
        else {
            throw HTTPParseError(.malformedRequestLine, "the version is not 'HTTP/x.y'")
        }
        let parsed = HTTPVersion(major: Int(bytes[5] - UInt8(ascii: "0")), minor: Int(bytes[7] - UInt8(ascii: "0")))
        guard parsed == .http1_0 || parsed == .http1_1 else {
            throw HTTPParseError(.unsupportedVersion, "\(parsed) is not supported; use HTTP/1.1")
        }
        return parsed
    }

    /// `field-name ":" OWS field-value OWS`.
    func parseField(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPField {
        if let first = line.first, HTTPSyntax.isWhitespace(first) {
            throw HTTPParseError(.malformedHeader, "a folded header line (obsolete line folding)")
        }
        if line.contains(carriageReturn) {
            throw HTTPParseError(.bareCarriageReturn, "a carriage return inside a header line")
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw HTTPParseError(.malformedHeader, "a header line without a colon")
        }
        let name = line[line.startIndex..<colon]
        guard HTTPSyntax.isToken(name) else {
            throw HTTPParseError(
                .malformedHeader,
                "a header name that is empty, not a token, or followed by whitespace")
        }
        var value = line[(colon + 1)...]
        while let first = value.first, HTTPSyntax.isWhitespace(first) { value = value.dropFirst() }
        while let last = value.last, HTTPSyntax.isWhitespace(last) { value = value.dropLast() }
        guard value.allSatisfy(HTTPSyntax.isFieldValueByte) else {
            let quotedName = excerpt(String(decoding: name, as: UTF8.self))
            throw HTTPParseError(.malformedHeader, "a control character in the value of header \(quotedName)")
        }
        return HTTPField(name: String(decoding: name, as: UTF8.self), value: HTTPSyntax.latin1String(value))
    }

    /// Checks the completed header section and returns the body's length.
    func bodyLength() throws(HTTPParseError) -> Int {
        guard let headers = head?.headers, let version = head?.version else { return 0 }
        let hosts = headers.values(for: "Host").count
        if hosts > 1 || (version == .http1_1 && hosts == 0) {
            throw HTTPParseError(.invalidHost, "an HTTP/1.1 request needs exactly one Host header, got \(hosts)")
        }
        let codings = headers.values(for: "Transfer-Encoding")
        if !codings.isEmpty {
            let last = codings.joined(separator: ",").split(separator: ",").last?.trimmingWhitespace().lowercased()
            if last == "chunked" {
                throw HTTPParseError(
                    .chunkedBodyRefused,
                    "chunked request bodies are not accepted; send Content-Length")
            }
            throw HTTPParseError(.unsupportedTransferCoding, "transfer codings are not implemented")
        }
        var length: Int?
        for value in headers.values(for: "Content-Length") {
            let parsed = try parseContentLength(value)
            if let length, length != parsed {
                throw HTTPParseError(.invalidContentLength, "Content-Length repeated with different values")
            }
            length = parsed
        }
        return length ?? 0
    }

    /// One `Content-Length` value: decimal digits only, at most `bodyBytesMax`.
    private func parseContentLength(_ value: String) throws(HTTPParseError) -> Int {
        let digits = value.utf8
        guard !digits.isEmpty, digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw HTTPParseError(.invalidContentLength, "Content-Length \(excerpt(value)) is not a decimal number")
        }
        // The bound (at most 64 MiB) is checked digit by digit, so no value can overflow.
        var length = 0
        for digit in digits {
            length = length * 10 + Int(digit - UInt8(ascii: "0"))
            if length > limits.bodyBytesMax {
                throw HTTPParseError(
                    .bodyTooLarge,
                    "a body of \(excerpt(value)) bytes is over the limit of \(limits.bodyBytesMax)")
            }
        }
        return length
    }
}

/// At most 40 characters of a peer's text, quoted, for messages that quote it.
private func excerpt(_ text: String) -> String {
    text.count <= 40 ? "'\(text)'" : "'\(text.prefix(40))…'"
}

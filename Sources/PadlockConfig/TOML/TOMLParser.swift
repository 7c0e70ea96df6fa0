/// One part of a (possibly dotted) key, with where it was written.
struct KeyPart {
    var name: String
    var position: TOMLPosition
}

/// The recursive-descent reader behind ``TOMLDocument``: a cursor over UTF-8 bytes that tracks line and
/// column, and a ``TableBuilder`` that enforces TOML's rules about which tables may be defined where.
///
/// Every loop advances the cursor and every recursion is bounded by ``TOMLLimits/nestingDepthMax``, so no
/// input can hang or overflow the stack; every mistake is a thrown ``ConfigError``.
struct TOMLParser {
    let bytes: [UInt8]
    var offset = 0
    var line = 1
    var column = 1
    var builder = TableBuilder()

    var position: TOMLPosition { TOMLPosition(line: line, column: column) }
    var peek: UInt8? { offset < bytes.count ? bytes[offset] : nil }

    func peek(ahead distance: Int) -> UInt8? {
        offset + distance < bytes.count ? bytes[offset + distance] : nil
    }

    /// Moves past one byte; a column is one Unicode scalar, so continuation bytes do not count.
    mutating func advance() {
        guard offset < bytes.count else { return }
        let byte = bytes[offset]
        offset += 1
        if byte == ASCII.lineFeed {
            line += 1
            column = 1
        } else if byte & 0xC0 != 0x80 {
            column += 1
        }
    }

    /// Reads the whole document into its root table.
    mutating func parseDocument() throws(ConfigError) -> TOMLTable {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { offset = 3 }
        while let byte = peek {
            switch byte {
            case ASCII.space, ASCII.tab:
                advance()
            case ASCII.hash:
                try skipComment()
            case ASCII.lineFeed, ASCII.carriageReturn:
                try consumeNewline()
            case ASCII.openBracket:
                try parseHeader()
                try expectLineEnd(after: "the table header")
            default:
                try parseKeyValue()
                try expectLineEnd(after: "the value")
            }
        }
        return builder.finish()
    }

    // MARK: Lines, comments and whitespace

    mutating func skipWhitespace() {
        while let byte = peek, byte == ASCII.space || byte == ASCII.tab { advance() }
    }

    /// Skips `# …` up to (not including) the end of the line.
    mutating func skipComment() throws(ConfigError) {
        advance()
        while let byte = peek, byte != ASCII.lineFeed, byte != ASCII.carriageReturn {
            if ASCII.isForbiddenControl(byte) {
                throw syntax("\(describeFound()) is not allowed in a comment")
            }
            advance()
        }
    }

    /// Consumes `\n` or `\r\n`.
    mutating func consumeNewline() throws(ConfigError) {
        if peek == ASCII.carriageReturn {
            guard peek(ahead: 1) == ASCII.lineFeed else {
                throw syntax("a carriage return must be followed by a line feed (use \\n or \\r\\n line endings)")
            }
            advance()
        }
        advance()
    }

    /// After a key/value pair or a header only spaces, a comment and the end of the line may follow.
    mutating func expectLineEnd(after what: String) throws(ConfigError) {
        skipWhitespace()
        if peek == ASCII.hash { try skipComment() }
        guard let byte = peek, byte != ASCII.lineFeed, byte != ASCII.carriageReturn else { return }
        throw syntax("expected a comment or the end of the line after \(what), found \(describeFound())")
    }

    /// Skips whitespace, newlines and comments between array elements.
    mutating func skipArraySpace() throws(ConfigError) {
        while let byte = peek {
            switch byte {
            case ASCII.space, ASCII.tab: advance()
            case ASCII.hash: try skipComment()
            case ASCII.lineFeed, ASCII.carriageReturn: try consumeNewline()
            default: return
            }
        }
    }

    // MARK: Headers and key/value pairs

    /// `[a.b]` or `[[a.b]]`.
    mutating func parseHeader() throws(ConfigError) {
        let start = position
        advance()
        let isArrayOfTables = peek == ASCII.openBracket
        if isArrayOfTables { advance() }
        skipWhitespace()
        let key = try parseKey()
        let closing = isArrayOfTables ? "`]]`" : "`]`"
        guard peek == ASCII.closeBracket else {
            throw syntax("expected \(closing) to close the header [\(TOMLPath.join(key))], found \(describeFound())")
        }
        advance()
        if isArrayOfTables {
            guard peek == ASCII.closeBracket else {
                throw syntax("expected `]]` to close the header [[\(TOMLPath.join(key))]], found \(describeFound())")
            }
            advance()
            try builder.openTableArray(key, at: start)
        } else {
            try builder.openTable(key, at: start)
        }
    }

    /// `key = value`, where the key may be dotted.
    mutating func parseKeyValue() throws(ConfigError) {
        let key = try parseKey()
        guard peek == ASCII.equals else {
            throw syntax("expected `=` after the key `\(TOMLPath.join(key))`, found \(describeFound())")
        }
        advance()
        skipWhitespace()
        let depth = builder.currentDepth + key.count
        guard depth <= TOMLLimits.nestingDepthMax else {
            throw ConfigError(
                code: .limitExceeded, position: key[0].position,
                message: "the key `\(TOMLPath.join(key))` nests \(depth) levels deep; at most "
                    + "\(TOMLLimits.nestingDepthMax) are allowed"
            )
        }
        let value = try parseValue(depth: depth)
        try builder.assign(key, value: value)
    }

    /// A simple or dotted key, and the whitespace after it.
    mutating func parseKey() throws(ConfigError) -> [KeyPart] {
        var parts = [try parseSimpleKey()]
        skipWhitespace()
        while peek == ASCII.dot {
            advance()
            skipWhitespace()
            guard parts.count < TOMLLimits.nestingDepthMax else {
                throw ConfigError(
                    code: .limitExceeded, position: position,
                    message: "the key has more than \(TOMLLimits.nestingDepthMax) dotted parts"
                )
            }
            parts.append(try parseSimpleKey())
            skipWhitespace()
        }
        return parts
    }

    /// A bare key (`A-Z a-z 0-9 - _`), a basic-string key or a literal-string key.
    mutating func parseSimpleKey() throws(ConfigError) -> KeyPart {
        let start = position
        switch peek {
        case ASCII.quote:
            return KeyPart(name: try parseBasicString(byteCountMax: TOMLLimits.keyByteCountMax), position: start)
        case ASCII.apostrophe:
            return KeyPart(name: try parseLiteralString(byteCountMax: TOMLLimits.keyByteCountMax), position: start)
        default:
            let begin = offset
            while let byte = peek, ASCII.isBareKeyByte(byte) { advance() }
            guard offset > begin else {
                throw syntax(
                    "expected a key (letters, digits, `-` and `_`, or a quoted key), found \(describeFound())")
            }
            guard offset - begin <= TOMLLimits.keyByteCountMax else {
                throw ConfigError(
                    code: .limitExceeded, position: start,
                    message:
                        "the key is \(offset - begin) bytes long; at most \(TOMLLimits.keyByteCountMax) are allowed"
                )
            }
            return KeyPart(name: String(decoding: bytes[begin..<offset], as: UTF8.self), position: start)
        }
    }

    // MARK: Errors

    /// A syntax error at the cursor (or at `position`).
    func syntax(_ message: String, at position: TOMLPosition? = nil) -> ConfigError {
        ConfigError(code: .syntax, position: position ?? self.position, message: message)
    }

    /// A refusal of valid TOML this parser does not read.
    func unsupported(_ message: String, at position: TOMLPosition) -> ConfigError {
        ConfigError(code: .unsupported, position: position, message: message)
    }

    /// What the cursor is looking at, for "found …" in messages.
    func describeFound() -> String {
        guard let byte = peek else { return "the end of the file" }
        switch byte {
        case ASCII.lineFeed, ASCII.carriageReturn: return "the end of the line"
        case ASCII.tab: return "a tab"
        case ASCII.space: return "a space"
        default: break
        }
        var length = 1
        while offset + length < bytes.count, length < 4, bytes[offset + length] & 0xC0 == 0x80 { length += 1 }
        let text = String(decoding: bytes[offset..<(offset + length)], as: UTF8.self)
        guard let scalar = text.unicodeScalars.first, !ASCII.isControl(scalar) else {
            return "the control character U+\(String(byte, radix: 16, uppercase: true).leftPadded(to: 4))"
        }
        return "`\(text)`"
    }
}

/// The bytes the parser looks for, by name.
package enum ASCII {
    static let tab = UInt8(ascii: "\t")
    package static let lineFeed = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let space = UInt8(ascii: " ")
    static let quote = UInt8(ascii: "\"")
    static let hash = UInt8(ascii: "#")
    static let apostrophe = UInt8(ascii: "'")
    static let plus = UInt8(ascii: "+")
    static let comma = UInt8(ascii: ",")
    static let minus = UInt8(ascii: "-")
    static let dot = UInt8(ascii: ".")
    static let colon = UInt8(ascii: ":")
    static let equals = UInt8(ascii: "=")
    static let openBracket = UInt8(ascii: "[")
    static let backslash = UInt8(ascii: "\\")
    static let closeBracket = UInt8(ascii: "]")
    static let underscore = UInt8(ascii: "_")
    static let openBrace = UInt8(ascii: "{")

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    static func isBareKeyByte(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte) || byte == minus || byte == underscore
    }

    /// Control characters TOML forbids in strings and comments: all but tab (newlines end them instead).
    static func isForbiddenControl(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != tab) || byte == 0x7F
    }

    package static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}

extension String {
    /// The string with zeros in front up to `width` characters.
    package func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

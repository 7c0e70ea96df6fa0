extension TOMLParser {
    /// A value on the right of `=` or inside an array, `depth` levels below the root.
    mutating func parseValue(depth: Int) throws(ConfigError) -> TOMLValue {
        let start = position
        guard let byte = peek else { throw syntax("expected a value, found the end of the file") }
        switch byte {
        case ASCII.quote:
            if peek(ahead: 1) == ASCII.quote, peek(ahead: 2) == ASCII.quote {
                throw unsupported(
                    "multi-line strings (\"\"\"…\"\"\") are not supported; write the string on one line, "
                        + "with \\n for line breaks", at: start)
            }
            return .string(try parseBasicString(byteCountMax: TOMLLimits.stringByteCountMax))
        case ASCII.apostrophe:
            if peek(ahead: 1) == ASCII.apostrophe, peek(ahead: 2) == ASCII.apostrophe {
                throw unsupported(
                    "multi-line literal strings ('''…''') are not supported; write the string on one line", at: start)
            }
            return .string(try parseLiteralString(byteCountMax: TOMLLimits.stringByteCountMax))
        case ASCII.openBracket:
            return .array(try parseArray(elementDepth: depth + 1))
        case ASCII.openBrace:
            throw unsupported(
                "inline tables ({ … }) are not supported; write the keys under a [table] header or as dotted keys",
                at: start)
        case ASCII.plus, ASCII.minus:
            return .integer(try parseNumber())
        default:
            if ASCII.isDigit(byte) { return .integer(try parseNumber()) }
            return .boolean(try parseWord())
        }
    }

    /// `true` or `false`; any other bare word is refused with a hint.
    mutating func parseWord() throws(ConfigError) -> Bool {
        let start = position
        let begin = offset
        while let byte = peek, ASCII.isBareKeyByte(byte) { advance() }
        let word = String(decoding: bytes[begin..<offset], as: UTF8.self)
        switch word {
        case "true": return true
        case "false": return false
        case "inf", "nan":
            throw unsupported("floats (\(word)) are not supported; settings take integers and strings", at: start)
        case "":
            offset = begin
            throw syntax(
                "expected a value (a string, an integer, true, false or an array), found \(describeFound())", at: start)
        default:
            let shown = TOMLPath.abbreviated(word)
            throw syntax(
                "expected a value (a string, an integer, true, false or an array), found `\(shown)`; "
                    + "strings must be quoted, as in \"\(shown)\"", at: start)
        }
    }

    /// `[ value, value, … ]` over any number of lines, with comments and an optional trailing comma.
    mutating func parseArray(elementDepth: Int) throws(ConfigError) -> [TOMLValue] {
        let start = position
        guard elementDepth <= TOMLLimits.nestingDepthMax else {
            throw ConfigError(
                code: .limitExceeded, position: start,
                message: "arrays nest more than \(TOMLLimits.nestingDepthMax) levels deep")
        }
        advance()
        var elements: [TOMLValue] = []
        while true {
            try skipArraySpace()
            guard let byte = peek else { throw unterminatedArray(openedAt: start) }
            if byte == ASCII.closeBracket {
                advance()
                return elements
            }
            guard elements.count < TOMLLimits.arrayElementCountMax else {
                throw ConfigError(
                    code: .limitExceeded, position: position,
                    message: "the array opened at \(start) has more than \(TOMLLimits.arrayElementCountMax) elements")
            }
            elements.append(try parseValue(depth: elementDepth))
            try skipArraySpace()
            guard let next = peek else { throw unterminatedArray(openedAt: start) }
            if next == ASCII.comma {
                advance()
            } else if next != ASCII.closeBracket {
                throw syntax(
                    "expected `,` or `]` after an element of the array opened at \(start), found \(describeFound())")
            }
        }
    }

    func unterminatedArray(openedAt start: TOMLPosition) -> ConfigError {
        syntax("the array opened at \(start) is not closed; expected `]`, found the end of the file")
    }

    // MARK: Strings

    /// `"…"` on one line, with escapes.
    mutating func parseBasicString(byteCountMax: Int) throws(ConfigError) -> String {
        let start = position
        advance()
        var text: [UInt8] = []
        while true {
            guard let byte = peek, byte != ASCII.lineFeed, byte != ASCII.carriageReturn else {
                throw syntax("the string opened at \(start) is not closed on its line; expected `\"`")
            }
            switch byte {
            case ASCII.quote:
                advance()
                return String(decoding: text, as: UTF8.self)
            case ASCII.backslash:
                try parseEscape(into: &text)
            default:
                if ASCII.isForbiddenControl(byte) {
                    throw syntax("\(describeFound()) must be written as an escape such as \\u0001 inside a string")
                }
                text.append(byte)
                advance()
            }
            guard text.count <= byteCountMax else { throw stringTooLong(openedAt: start, byteCountMax: byteCountMax) }
        }
    }

    /// `'…'` on one line, taken as written.
    mutating func parseLiteralString(byteCountMax: Int) throws(ConfigError) -> String {
        let start = position
        advance()
        let begin = offset
        while true {
            guard let byte = peek, byte != ASCII.lineFeed, byte != ASCII.carriageReturn else {
                throw syntax("the literal string opened at \(start) is not closed on its line; expected `'`")
            }
            if byte == ASCII.apostrophe { break }
            if ASCII.isForbiddenControl(byte) {
                throw syntax("\(describeFound()) is not allowed in a literal string; use a basic string with an escape")
            }
            advance()
            guard offset - begin <= byteCountMax else {
                throw stringTooLong(openedAt: start, byteCountMax: byteCountMax)
            }
        }
        let text = String(decoding: bytes[begin..<offset], as: UTF8.self)
        advance()
        return text
    }

    func stringTooLong(openedAt start: TOMLPosition, byteCountMax: Int) -> ConfigError {
        ConfigError(
            code: .limitExceeded, position: start,
            message: "the string opened here is longer than \(byteCountMax) bytes, the most allowed")
    }

    /// One `\…` escape inside a basic string, appended as UTF-8.
    mutating func parseEscape(into text: inout [UInt8]) throws(ConfigError) {
        let start = position
        advance()
        guard let letter = peek, letter != ASCII.lineFeed, letter != ASCII.carriageReturn else {
            throw syntax(
                "a backslash ends the line; strings cannot span lines (multi-line strings are not supported)", at: start
            )
        }
        let simple: UInt8?
        switch letter {
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "t"): simple = ASCII.tab
        case UInt8(ascii: "n"): simple = ASCII.lineFeed
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "r"): simple = ASCII.carriageReturn
        case ASCII.quote: simple = ASCII.quote
        case ASCII.backslash: simple = ASCII.backslash
        case UInt8(ascii: "u"): simple = nil
        case UInt8(ascii: "U"): simple = nil
        default:
            let found = describeFound()
            let shown = found.hasPrefix("`") ? "`\\\(found.trimmingBackticks)`" : "(a backslash followed by \(found))"
            throw syntax(
                "unknown escape \(shown); allowed: \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX", at: start)
        }
        if let simple {
            text.append(simple)
            advance()
            return
        }
        let digitCount = letter == UInt8(ascii: "u") ? 4 : 8
        advance()
        var value: UInt32 = 0
        for _ in 0..<digitCount {
            guard let byte = peek, let digit = ASCII.hexValue(byte) else {
                throw syntax(
                    "\\\(digitCount == 4 ? "u" : "U") needs exactly \(digitCount) hexadecimal digits", at: start)
            }
            value = value << 4 | UInt32(digit)
            advance()
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw syntax(
                "the escape names U+\(String(value, radix: 16, uppercase: true)), which is not a Unicode scalar value "
                    + "(surrogates D800–DFFF and values above 10FFFF are not allowed)", at: start)
        }
        text.append(contentsOf: String(Character(scalar)).utf8)
    }
}

extension ASCII {
    /// The value of a hexadecimal digit, or nil.
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension String {
    /// The text without surrounding backticks, for quoting a found character differently.
    var trimmingBackticks: String {
        guard count >= 2, hasPrefix("`"), hasSuffix("`") else { return self }
        return String(dropFirst().dropLast())
    }
}

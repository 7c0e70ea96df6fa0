/// The bounds every document must respect; the parser refuses anything larger with
/// ``ConfigError/Code/limitExceeded`` before it can use unbounded memory or stack.
package enum TOMLLimits {
    /// Largest document, in UTF-8 bytes (1 MiB).
    package static let documentByteCountMax = 1 << 20
    /// Deepest nesting: key parts of a header or a dotted key below the root, plus arrays inside arrays.
    package static let nestingDepthMax = 32
    /// Longest string value, in UTF-8 bytes after escapes are resolved.
    package static let stringByteCountMax = 16 * 1024
    /// Longest key part (bare or quoted), in UTF-8 bytes.
    package static let keyByteCountMax = 1024
    /// Most elements in one array, and most tables in one array of tables.
    package static let arrayElementCountMax = 10_000
}

/// Padlock's reader for a subset of TOML 1.0, written for exact error positions rather than completeness.
///
/// Supported: comments, bare and quoted keys, dotted keys, `[table]` and `[[array of tables]]` headers,
/// single-line basic strings (escapes `\b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX`), single-line literal strings,
/// decimal integers with `_` separators, booleans, and arrays on one or several lines with an optional
/// trailing comma. Refused as unsupported, saying so: floats, dates and times, inline tables, multi-line
/// strings and hexadecimal, octal or binary integers. Duplicate keys and tables defined twice are errors, as
/// in TOML. See `docs/decisions/0006-config-format.md`.
package enum TOMLDocument {
    /// Parses `text` into its root table, or throws a ``ConfigError`` with the line and column of the first
    /// mistake and what was expected there.
    package static func parse(_ text: String) throws(ConfigError) -> TOMLTable {
        try checkSize(text.utf8.count)
        var parser = TOMLParser(bytes: Array(text.utf8))
        return try parser.parseDocument()
    }

    /// Parses the bytes of a file, refusing invalid UTF-8 with the position of the first bad byte instead of
    /// silently replacing it.
    package static func parse(utf8 bytes: [UInt8]) throws(ConfigError) -> TOMLTable {
        try checkSize(bytes.count)
        try UTF8Check.validate(bytes)
        var parser = TOMLParser(bytes: bytes)
        return try parser.parseDocument()
    }

    static func checkSize(_ byteCount: Int) throws(ConfigError) {
        guard byteCount <= TOMLLimits.documentByteCountMax else {
            throw ConfigError(
                code: .limitExceeded,
                message: "the configuration is \(byteCount) bytes long; at most "
                    + "\(TOMLLimits.documentByteCountMax) bytes (1 MiB) are allowed"
            )
        }
    }
}

/// Finds the first byte that is not part of well-formed UTF-8.
enum UTF8Check {
    /// Throws a syntax error at the first malformed, overlong, surrogate or out-of-range sequence.
    static func validate(_ bytes: [UInt8]) throws(ConfigError) {
        var offset = 0
        var line = 1
        var column = 1
        while offset < bytes.count {
            let length = sequenceLength(bytes, at: offset)
            guard length > 0 else {
                throw ConfigError(
                    code: .syntax, position: TOMLPosition(line: line, column: column),
                    message: "the byte 0x\(hex(bytes[offset])) is not valid UTF-8; save the file as UTF-8"
                )
            }
            if bytes[offset] == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
            offset += length
        }
    }

    /// The length of the well-formed sequence starting at `offset`, or 0 when it is malformed.
    static func sequenceLength(_ bytes: [UInt8], at offset: Int) -> Int {
        let lead = bytes[offset]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xE1...0xEF: length = 3
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        case 0xF1...0xF3: length = 4
        default: return 0
        }
        guard offset + length <= bytes.count, secondRange.contains(bytes[offset + 1]) else { return 0 }
        for index in (offset + 2)..<(offset + length) where !(0x80...0xBF).contains(bytes[index]) { return 0 }
        return length
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}

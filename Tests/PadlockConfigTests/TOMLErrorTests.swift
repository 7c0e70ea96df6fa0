import Testing

@testable import PadlockConfig

/// One malformed document and where and how the parser must refuse it.
struct Malformed: Sendable, CustomTestStringConvertible {
    var text: String
    var line: Int
    var column: Int
    var code: ConfigError.Code
    var says: String

    init(_ text: String, _ line: Int, _ column: Int, _ code: ConfigError.Code, _ says: String) {
        self.text = text
        self.line = line
        self.column = column
        self.code = code
        self.says = says
    }

    var testDescription: String { String(reflecting: text) }
}

@Suite struct TOMLErrorTests {
    static let unsupported: [Malformed] = [
        Malformed("a = 1.5", 1, 5, .unsupported, "floats"),
        Malformed("a = 1e3", 1, 5, .unsupported, "floats"),
        Malformed("a = -2.5E-3", 1, 5, .unsupported, "floats"),
        Malformed("a = inf", 1, 5, .unsupported, "floats"),
        Malformed("a = -nan", 1, 5, .unsupported, "floats"),
        Malformed("d = 1979-05-27", 1, 5, .unsupported, "dates and times"),
        Malformed("d = 1979-05-27T07:32:00Z", 1, 5, .unsupported, "dates and times"),
        Malformed("t = 07:32:00", 1, 5, .unsupported, "dates and times"),
        Malformed("a = {b = 1}", 1, 5, .unsupported, "inline tables"),
        Malformed("a = 0x1F", 1, 5, .unsupported, "hexadecimal"),
        Malformed("a = 0o17", 1, 5, .unsupported, "octal"),
        Malformed("a = 0b101", 1, 5, .unsupported, "binary"),
        Malformed("a = \"\"\"text\"\"\"", 1, 5, .unsupported, "multi-line strings"),
        Malformed("a = '''text'''", 1, 5, .unsupported, "multi-line literal strings"),
    ]

    static let values: [Malformed] = [
        Malformed("a = 01", 1, 5, .syntax, "leading zeros"),
        Malformed("a = 1__0", 1, 5, .syntax, "underscore"),
        Malformed("a = 1_", 1, 5, .syntax, "underscore"),
        Malformed("a = +", 1, 5, .syntax, "digits after the sign"),
        Malformed("a = 9223372036854775808", 1, 5, .syntax, "out of range"),
        Malformed("a = -9223372036854775809", 1, 5, .syntax, "out of range"),
        Malformed("a = 12abc", 1, 5, .syntax, "not a decimal integer"),
        Malformed("a = 10.0.0.1:7401", 1, 5, .syntax, "strings must be quoted"),
        Malformed("a = info", 1, 5, .syntax, "strings must be quoted, as in \"info\""),
        Malformed("a = \"open", 1, 10, .syntax, "the string opened at line 1, column 5 is not closed"),
        Malformed("a = 'open", 1, 10, .syntax, "literal string opened at line 1, column 5 is not closed"),
        Malformed("a = \"x\\qy\"", 1, 7, .syntax, "unknown escape `\\q`"),
        Malformed("a = \"x\\ y\"", 1, 7, .syntax, "a backslash followed by a space"),
        Malformed("a = \"\\u12\"", 1, 6, .syntax, "\\u needs exactly 4 hexadecimal digits"),
        Malformed("a = \"\\U0000001\"", 1, 6, .syntax, "\\U needs exactly 8 hexadecimal digits"),
        Malformed("a = \"\\uD800\"", 1, 6, .syntax, "not a Unicode scalar value"),
        Malformed("a = \"\\U00110000\"", 1, 6, .syntax, "not a Unicode scalar value"),
        Malformed("a = \"x\\", 1, 7, .syntax, "a backslash ends the line"),
        Malformed("a = \"bell\u{7}\"", 1, 10, .syntax, "control character U+0007 must be written as an escape"),
        Malformed("a = 'nul\u{0}'", 1, 9, .syntax, "control character U+0000 is not allowed in a literal string"),
        Malformed("a =", 1, 4, .syntax, "expected a value, found the end of the file"),
        Malformed(
            "a =\nb = 1", 1, 4, .syntax,
            "expected a value (a string, an integer, true, false or an array), found the end of the line"),
        Malformed("a = [1, 2", 1, 10, .syntax, "the array opened at line 1, column 5 is not closed"),
        Malformed(
            "a = [1 2]", 1, 8, .syntax, "expected `,` or `]` after an element of the array opened at line 1, column 5"),
        Malformed("a = [,]", 1, 6, .syntax, "expected a value"),
        Malformed("a = [1,,2]", 1, 8, .syntax, "expected a value"),
    ]

    static let lines: [Malformed] = [
        Malformed("= 1", 1, 1, .syntax, "expected a key"),
        Malformed("a b = 1", 1, 3, .syntax, "expected `=` after the key `a`, found `b`"),
        Malformed("a.= 1", 1, 3, .syntax, "expected a key"),
        Malformed("a\n= 1", 1, 2, .syntax, "expected `=` after the key `a`, found the end of the line"),
        Malformed("a = 1 2", 1, 7, .syntax, "expected a comment or the end of the line after the value, found `2`"),
        Malformed("a = \"x\" \"y\"", 1, 9, .syntax, "end of the line after the value"),
        Malformed("[a", 1, 3, .syntax, "expected `]` to close the header [a]"),
        Malformed("[a b]", 1, 4, .syntax, "expected `]` to close the header [a]"),
        Malformed("[[a]", 1, 5, .syntax, "expected `]]` to close the header [[a]]"),
        Malformed("[[a] ]", 1, 5, .syntax, "expected `]]`"),
        Malformed("[a]]", 1, 4, .syntax, "after the table header, found `]`"),
        Malformed("[]", 1, 2, .syntax, "expected a key"),
        Malformed("a = 1\rb = 2", 1, 6, .syntax, "carriage return must be followed by a line feed"),
        Malformed("# bell \u{7}", 1, 8, .syntax, "control character U+0007 is not allowed in a comment"),
        Malformed("s = \"é€𝄞\" x", 1, 11, .syntax, "found `x`"),
        Malformed("ok = 1\n\n  [t]\n  v = 'é' 'x'", 4, 11, .syntax, "found `'`"),
    ]

    static let duplicates: [Malformed] = [
        Malformed("a = 1\na = 2", 2, 1, .duplicate, "duplicate key `a`; it was first defined at line 1, column 1"),
        Malformed("a = 1\n\"a\" = 2", 2, 1, .duplicate, "duplicate key `a`"),
        Malformed("[t]\nx = 1\n[u]\n[t]\ny = 2", 4, 2, .duplicate, "the table [t] is defined twice"),
        Malformed("[t]\nb = 1\n[t.b]", 3, 4, .duplicate, "`t.b` is already an integer (at line 2, column 1)"),
        Malformed("a.b = 1\n[a]", 2, 2, .duplicate, "the table [a] was already defined by dotted keys"),
        Malformed("[a.b]\nx = 1\n[a]\nb.y = 2", 4, 1, .duplicate, "`a.b` is a table defined by a header"),
        Malformed("[[a]]\n[a]", 2, 2, .duplicate, "`a` is an array of tables"),
        Malformed("[a]\n[[a]]", 2, 3, .duplicate, "`a` is a table (defined at line 1, column 1)"),
        Malformed("a = [1]\n[[a]]", 2, 3, .duplicate, "`a` is already an array"),
        Malformed("a = 1\na.b = 2", 2, 1, .duplicate, "`a` is already an integer"),
        Malformed("[[m]]\nid = 1\nid = 2", 3, 1, .duplicate, "duplicate key `m[0].id`"),
        Malformed("[[m]]\n[[m]]\nx.y = 1\nx.y = 2", 4, 3, .duplicate, "duplicate key `m[1].x.y`"),
    ]

    @Test(arguments: unsupported + values + lines + duplicates)
    func eachMalformedConstructIsRefusedAtItsLineAndColumn(_ malformed: Malformed) {
        let error = configError { () throws(ConfigError) in try TOMLDocument.parse(malformed.text) }
        #expect(error?.code == malformed.code, "\(String(describing: error))")
        #expect(
            error?.position == TOMLPosition(line: malformed.line, column: malformed.column),
            "\(String(describing: error))")
        #expect(error?.message.contains(malformed.says) == true, "\(String(describing: error))")
    }

    @Test func theDescriptionStartsWithTheLineAndColumn() {
        let error = configError { () throws(ConfigError) in try TOMLDocument.parse("a = 1.5") }
        #expect(error?.description.hasPrefix("line 1, column 5: floats (`1.5`) are not supported") == true)
    }

    @Test func aDocumentLargerThanOneMebibyteIsRefusedBeforeItIsRead() {
        let text = "# " + String(repeating: "x", count: TOMLLimits.documentByteCountMax)
        let error = configError { () throws(ConfigError) in try TOMLDocument.parse(text) }
        #expect(error?.code == .limitExceeded)
        #expect(error?.message.contains("at most 1048576 bytes (1 MiB)") == true)
        let bytesError = configError { () throws(ConfigError) in try TOMLDocument.parse(utf8: Array(text.utf8)) }
        #expect(bytesError?.code == .limitExceeded)
    }

    @Test func aDocumentOfExactlyOneMebibyteIsRead() throws {
        let text = "a = 1\n#" + String(repeating: "x", count: TOMLLimits.documentByteCountMax - 7)
        #expect(text.utf8.count == TOMLLimits.documentByteCountMax)
        #expect(try TOMLDocument.parse(text)["a"] == .integer(1))
    }

    @Test func keysNestedDeeperThanTheLimitAreRefused() {
        let deep = (0...TOMLLimits.nestingDepthMax).map { "k\($0)" }.joined(separator: ".")
        #expect(configError { () throws(ConfigError) in try TOMLDocument.parse("\(deep) = 1") }?.code == .limitExceeded)
        #expect(configError { () throws(ConfigError) in try TOMLDocument.parse("[\(deep)]") }?.code == .limitExceeded)
        let header = (1...20).map { "h\($0)" }.joined(separator: ".")
        let dotted = (1...13).map { "d\($0)" }.joined(separator: ".")
        let error = configError { () throws(ConfigError) in try TOMLDocument.parse("[\(header)]\n\(dotted) = 1") }
        #expect(error?.code == .limitExceeded)
        #expect(error?.position == TOMLPosition(line: 2, column: 1))
        let fits = (1...12).map { "d\($0)" }.joined(separator: ".")
        #expect(configError { () throws(ConfigError) in try TOMLDocument.parse("[\(header)]\n\(fits) = 1") } == nil)
    }

    @Test func arraysNestedDeeperThanTheLimitAreRefusedWithoutExhaustingTheStack() {
        let depth = TOMLLimits.nestingDepthMax
        let fits = String(repeating: "[", count: depth - 1) + String(repeating: "]", count: depth - 1)
        #expect(configError { () throws(ConfigError) in try TOMLDocument.parse("a = \(fits)") } == nil)
        let tooDeep = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let error = configError { () throws(ConfigError) in try TOMLDocument.parse("a = \(tooDeep)") }
        #expect(error?.code == .limitExceeded)
        #expect(error?.position == TOMLPosition(line: 1, column: 4 + depth))
        let endless = String(repeating: "[", count: 500_000)
        #expect(
            configError { () throws(ConfigError) in try TOMLDocument.parse("a = \(endless)") }?.code == .limitExceeded)
    }

    @Test func stringsAndKeysLongerThanTheLimitAreRefused() {
        let long = String(repeating: "x", count: TOMLLimits.stringByteCountMax + 1)
        let exact = String(repeating: "x", count: TOMLLimits.stringByteCountMax)
        #expect(
            configError { () throws(ConfigError) in try TOMLDocument.parse("a = \"\(long)\"") }?.code == .limitExceeded)
        #expect(
            configError { () throws(ConfigError) in try TOMLDocument.parse("a = '\(long)'") }?.code == .limitExceeded)
        #expect(configError { () throws(ConfigError) in try TOMLDocument.parse("a = \"\(exact)\"") } == nil)
        let escaped = String(repeating: "\\u00e9", count: TOMLLimits.stringByteCountMax / 2 + 1)
        #expect(
            configError { () throws(ConfigError) in try TOMLDocument.parse("a = \"\(escaped)\"") }?.code
                == .limitExceeded)
        let key = String(repeating: "k", count: TOMLLimits.keyByteCountMax + 1)
        #expect(configError { () throws(ConfigError) in try TOMLDocument.parse("\(key) = 1") }?.code == .limitExceeded)
        #expect(
            configError { () throws(ConfigError) in try TOMLDocument.parse("\"\(key)\" = 1") }?.code == .limitExceeded)
    }

    @Test func arraysAndArraysOfTablesLongerThanTheLimitAreRefused() {
        let count = TOMLLimits.arrayElementCountMax
        let fits = "a = [" + String(repeating: "1,", count: count) + "]"
        #expect(configError { () throws(ConfigError) in try TOMLDocument.parse(fits) } == nil)
        let tooLong = "a = [" + String(repeating: "1,", count: count) + "1]"
        #expect(configError { () throws(ConfigError) in try TOMLDocument.parse(tooLong) }?.code == .limitExceeded)
        let tables = String(repeating: "[[t]]\n", count: count + 1)
        let error = configError { () throws(ConfigError) in try TOMLDocument.parse(tables) }
        #expect(error?.code == .limitExceeded)
        #expect(error?.position?.line == count + 1)
    }

    @Test func invalidUTF8IsRefusedAtTheFirstBadByte() {
        let cases: [([UInt8], TOMLPosition)] = [
            (Array("a = \"".utf8) + [0xFF] + Array("\"".utf8), TOMLPosition(line: 1, column: 6)),
            (Array("a = 1\n# é".utf8) + [0xC3], TOMLPosition(line: 2, column: 4)),
            (Array("x = '".utf8) + [0xC0, 0xAF], TOMLPosition(line: 1, column: 6)),  // overlong "/"
            (Array("x = '".utf8) + [0xED, 0xA0, 0x80], TOMLPosition(line: 1, column: 6)),  // a surrogate
            (Array("x = '".utf8) + [0xF4, 0x90, 0x80, 0x80], TOMLPosition(line: 1, column: 6)),  // above U+10FFFF
        ]
        for (bytes, position) in cases {
            let error = configError { () throws(ConfigError) in try TOMLDocument.parse(utf8: bytes) }
            #expect(error?.code == .syntax)
            #expect(error?.position == position, "\(bytes)")
            #expect(error?.message.contains("is not valid UTF-8") == true)
        }
    }
}

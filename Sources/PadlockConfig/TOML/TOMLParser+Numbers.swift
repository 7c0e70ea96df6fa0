extension TOMLParser {
    /// A decimal integer such as `7401`, `-3` or `1_000_000`; floats, dates, times and other bases are refused
    /// as unsupported, so a value TOML would accept is never misread.
    mutating func parseNumber() throws(ConfigError) -> Int64 {
        let start = position
        let begin = offset
        // Everything a TOML number, date or time can contain, so the whole token is judged at once.
        while let byte = peek,
            ASCII.isBareKeyByte(byte) || byte == ASCII.plus || byte == ASCII.dot || byte == ASCII.colon
        {
            advance()
        }
        let token = Array(bytes[begin..<offset])
        let shown = TOMLPath.abbreviated(String(decoding: token, as: UTF8.self))
        var digits = token[...]
        var isNegative = false
        if let sign = digits.first, sign == ASCII.plus || sign == ASCII.minus {
            isNegative = sign == ASCII.minus
            digits = digits.dropFirst()
        }
        if let problem = Self.unsupportedNumber(digits) {
            throw unsupported(
                "\(problem) (`\(shown)`) are not supported; settings take decimal integers and strings"
                    + (problem == "floats" ? ", and durations are strings such as \"500ms\"" : ""), at: start)
        }
        guard let value = Self.decimalValue(digits, isNegative: isNegative) else {
            throw syntax(Self.integerProblem(digits, shown: shown), at: start)
        }
        return value
    }

    /// What kind of unsupported number `digits` (sign removed) is, or nil when it is none of them.
    static func unsupportedNumber(_ digits: ArraySlice<UInt8>) -> String? {
        let text = Array(digits)
        if text == Array("inf".utf8) || text == Array("nan".utf8) { return "floats" }
        if text.count >= 2, text[0] == UInt8(ascii: "0") {
            switch text[1] {
            case UInt8(ascii: "x"): return "hexadecimal integers"
            case UInt8(ascii: "o"): return "octal integers"
            case UInt8(ascii: "b"): return "binary integers"
            default: break
            }
        }
        let isDate = text.count >= 5 && text[0..<4].allSatisfy(ASCII.isDigit) && text[4] == ASCII.minus
        let isTime = text.count >= 3 && text[0..<2].allSatisfy(ASCII.isDigit) && text[2] == ASCII.colon
        if isDate || isTime { return "dates and times" }
        // Float-shaped: digits with a fraction or an exponent, and nothing a float cannot contain.
        let isExponent = { (byte: UInt8) in byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") }
        let floatBytes = text.allSatisfy {
            ASCII.isDigit($0) || $0 == ASCII.underscore || $0 == ASCII.dot || isExponent($0) || $0 == ASCII.plus
                || $0 == ASCII.minus
        }
        let startsWithDigit = text.first.map(ASCII.isDigit) ?? false
        if startsWithDigit, floatBytes, text.contains(where: { $0 == ASCII.dot || isExponent($0) }) { return "floats" }
        return nil
    }

    /// The value of well-formed decimal digits with single `_` between digits and no leading zero, or nil.
    static func decimalValue(_ digits: ArraySlice<UInt8>, isNegative: Bool) -> Int64? {
        guard let first = digits.first, ASCII.isDigit(first), let last = digits.last, ASCII.isDigit(last) else {
            return nil
        }
        if first == UInt8(ascii: "0"), digits.count > 1 { return nil }
        // Accumulated as a negative number so that Int64.min is reachable.
        var value: Int64 = 0
        var previousWasDigit = false
        for byte in digits {
            if byte == ASCII.underscore {
                guard previousWasDigit else { return nil }
                previousWasDigit = false
                continue
            }
            guard ASCII.isDigit(byte) else { return nil }
            previousWasDigit = true
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.subtractingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            value = next
        }
        if isNegative { return value }
        let (positive, overflow) = Int64(0).subtractingReportingOverflow(value)
        return overflow ? nil : positive
    }

    /// Why well-shaped-looking `digits` are not an integer, for the message.
    static func integerProblem(_ digits: ArraySlice<UInt8>, shown: String) -> String {
        if digits.isEmpty { return "expected digits after the sign in `\(shown)`" }
        let onlyDigits = digits.allSatisfy { ASCII.isDigit($0) || $0 == ASCII.underscore }
        if onlyDigits, digits.first == UInt8(ascii: "0"), digits.count > 1 {
            return "leading zeros are not allowed in integers (`\(shown)`)"
        }
        if onlyDigits, digits.contains(ASCII.underscore) {
            return "`\(shown)`: an underscore in an integer must stand between two digits"
        }
        if onlyDigits {
            return "`\(shown)` is out of range; integers lie within -9223372036854775808...9223372036854775807"
        }
        return "`\(shown)` is not a decimal integer; strings must be quoted"
    }
}

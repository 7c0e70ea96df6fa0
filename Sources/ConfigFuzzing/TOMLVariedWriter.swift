import PadlockConfig
import PadlockTypes

/// Writes a table as TOML with random but equivalent choices the canonical renderer never makes: literal
/// strings, `\u` escapes, `+` signs and `_` separators, multi-line arrays with comments and trailing commas,
/// dotted keys instead of headers, CRLF line ends and blank lines.
struct TOMLVariedWriter {
    var random: SplitMix64
    var output = ""
    var newline = "\n"

    /// `table` as a document, varied with `random`.
    static func document(_ table: TOMLTable, using random: inout SplitMix64) -> String {
        var writer = TOMLVariedWriter(random: random)
        if writer.random.chance(10) { writer.newline = "\r\n" }
        writer.body(table, path: [])
        random = writer.random
        return writer.output
    }

    mutating func line(_ text: String) {
        output += text + (random.chance(10) ? "  # note" : "") + newline
        if random.chance(10) { output += newline }
    }

    mutating func key(_ parts: [String]) -> String {
        var written: [String] = []
        for part in parts {
            let literalAllowed = !part.contains("'") && !part.unicodeScalars.contains(where: ASCII.isControl)
            if literalAllowed && random.chance(15) {
                written.append("'\(part)'")
            } else {
                written.append(random.chance(15) ? TOMLRenderer.quoted(part) : TOMLPath.key(part))
            }
        }
        return written.joined(separator: random.chance(10) ? " . " : ".")
    }

    /// Whether `table` can be written entirely with dotted keys (no arrays of tables, no empty tables).
    static func isDottable(_ table: TOMLTable) -> Bool {
        !table.isEmpty
            && table.keys.allSatisfy { key in
                switch table[key] {
                case .table(let child): isDottable(child)
                case let value?: !TOMLRenderer.isArrayOfTables(value)
                case nil: true
                }
            }
    }

    mutating func body(_ table: TOMLTable, path: [String]) {
        var sections: [String] = []
        for name in table.keys {
            guard let value = table[name] else { continue }
            if case .table(let child) = value, Self.isDottable(child), random.chance(40) {
                dotted(child, prefix: [name])
            } else if value.isTable || TOMLRenderer.isArrayOfTables(value) {
                sections.append(name)
            } else {
                line("\(key([name])) = \(self.value(value))")
            }
        }
        for name in sections {
            switch table[name] {
            case .table(let child):
                output += newline
                line("[\(key(path + [name]))]")
                body(child, path: path + [name])
            case .array(let elements):
                for case .table(let child) in elements {
                    output += newline
                    line("[[\(key(path + [name]))]]")
                    body(child, path: path + [name])
                }
            default:
                break
            }
        }
    }

    mutating func dotted(_ table: TOMLTable, prefix: [String]) {
        for name in table.keys {
            switch table[name] {
            case .table(let child): dotted(child, prefix: prefix + [name])
            case let value?: line("\(key(prefix + [name])) = \(self.value(value))")
            case nil: break
            }
        }
    }

    mutating func value(_ value: TOMLValue) -> String {
        switch value {
        case .string(let text): return string(text)
        case .integer(let number): return integer(number)
        case .boolean(let flag): return String(flag)
        case .array(let elements): return array(elements)
        case .table: return "{}"
        }
    }

    mutating func string(_ text: String) -> String {
        let literalAllowed = !text.contains("'") && !text.unicodeScalars.contains(where: ASCII.isControl)
        if literalAllowed && random.chance(30) { return "'\(text)'" }
        var output = "\""
        for scalar in text.unicodeScalars {
            if scalar.value > 0x7F && random.chance(30) {
                output +=
                    scalar.value > 0xFFFF
                    ? "\\U" + String(scalar.value, radix: 16).leftPadded(to: 8)
                    : "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
            } else {
                output += String(TOMLRenderer.quoted(String(scalar)).dropFirst().dropLast())
            }
        }
        return output + "\""
    }

    mutating func integer(_ number: Int64) -> String {
        var text = String(number)
        if number > 0, random.chance(20) { text = "+" + text }
        if number >= 1_000 || number <= -1_000, random.chance(30) {
            var digits = Array(text)
            var index = digits.count - 3
            while index > 0, digits[index - 1].isNumber {
                digits.insert("_", at: index)
                index -= 3
            }
            text = String(digits)
        }
        return text
    }

    mutating func array(_ elements: [TOMLValue]) -> String {
        let multiLine = random.chance(40)
        var parts: [String] = []
        for element in elements { parts.append(value(element)) }
        let trailing = !parts.isEmpty && random.chance(30) ? "," : ""
        guard multiLine else { return "[" + parts.joined(separator: ", ") + trailing + "]" }
        let inner = parts.map { "  " + $0 }.joined(separator: "," + newline)
        return "[  # elements" + newline + inner + trailing + newline + "]"
    }
}

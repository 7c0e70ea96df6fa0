/// Writes tables back as TOML that ``TOMLDocument`` reads to an equal table: the fuzzer's round trip, and how
/// ``PadlockdSettings/tomlText`` is written.
///
/// Plain values of a table come first, then its tables as `[header]` sections and its arrays of tables as
/// `[[header]]` sections, recursively. An array that mixes tables with other values cannot be written without
/// inline tables; the parser never produces one.
package enum TOMLRenderer {
    /// The whole document for `table` as the root.
    package static func render(_ table: TOMLTable) -> String {
        var output = ""
        renderBody(table, path: [], into: &output)
        return output
    }

    static func renderBody(_ table: TOMLTable, path: [String], into output: inout String) {
        var sections: [(name: String, value: TOMLValue)] = []
        for name in table.keys {
            guard let value = table[name] else { continue }
            if value.isTable || isArrayOfTables(value) {
                sections.append((name, value))
            } else {
                output += "\(TOMLPath.key(name)) = \(value)\n"
            }
        }
        for (name, value) in sections {
            let childPath = path + [name]
            let header = childPath.map(TOMLPath.key).joined(separator: ".")
            switch value {
            case .table(let child):
                output += "\n[\(header)]\n"
                renderBody(child, path: childPath, into: &output)
            case .array(let elements):
                for case .table(let child) in elements {
                    output += "\n[[\(header)]]\n"
                    renderBody(child, path: childPath, into: &output)
                }
            default:
                break
            }
        }
    }

    package static func isArrayOfTables(_ value: TOMLValue) -> Bool {
        guard case .array(let elements) = value, !elements.isEmpty else { return false }
        return elements.allSatisfy(\.isTable)
    }

    /// `text` as a basic string, escaping quotes, backslashes and control characters.
    package static func quoted(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\t": output += "\\t"
            case "\r": output += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    output += "\\u" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        return output + "\""
    }
}

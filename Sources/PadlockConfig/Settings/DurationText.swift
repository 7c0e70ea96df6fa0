/// Why a text is not a duration: the second half of a message that says first what is allowed.
struct ValueProblem: Error {
    var reason: String
}

/// Durations as configuration strings: an integer and a unit, `500ms`, `2s`, `1m` or `1h`.
enum DurationText {
    /// The units, with milliseconds per unit.
    static let units: [(name: String, milliseconds: UInt64)] = [
        ("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000),
    ]

    /// What every duration message says is allowed.
    static let syntaxSummary =
        "a duration: a whole number followed by ms, s, m or h, such as \"500ms\", \"2s\" or \"1m\""

    /// The milliseconds `text` stands for, or why it is not a duration.
    static func milliseconds(_ text: String) throws(ValueProblem) -> UInt64 {
        let digits = text.utf8.prefix(while: ASCII.isDigit)
        let unit = String(decoding: text.utf8.dropFirst(digits.count), as: UTF8.self)
        if text.isEmpty { throw ValueProblem(reason: "it is empty") }
        if text.contains(" ") {
            throw ValueProblem(
                reason: "`\(shown(text))` contains a space; write the number and unit together, as in \"2s\"")
        }
        if text.hasPrefix("-") { throw ValueProblem(reason: "`\(text)` is negative") }
        if digits.isEmpty { throw ValueProblem(reason: "`\(shown(text))` does not start with a number") }
        if unit.hasPrefix(".") || unit.hasPrefix(",") {
            throw ValueProblem(reason: "`\(shown(text))` has a fraction; use a smaller unit, as in \"1500ms\"")
        }
        if unit.isEmpty { throw ValueProblem(reason: "`\(text)` has no unit; write \"\(text)ms\" or \"\(text)s\"") }
        guard let scale = units.first(where: { $0.name == unit })?.milliseconds else {
            let isCompound = unit.utf8.contains(where: ASCII.isDigit)
            throw ValueProblem(
                reason: isCompound
                    ? "`\(shown(text))` combines units; write one, as in \"90s\" for 1m30s"
                    : "`\(shown(text))` has the unit `\(shown(unit))`; the units are ms, s, m and h")
        }
        guard digits.count <= 12, let count = UInt64(String(decoding: digits, as: UTF8.self)) else {
            throw ValueProblem(reason: "`\(shown(text))` is far too long")
        }
        return count * scale
    }

    /// `milliseconds` in the largest unit that divides it: `1h`, `90s`, `500ms`.
    static func text(milliseconds: UInt64) -> String {
        for unit in units.reversed() where milliseconds % unit.milliseconds == 0 && milliseconds > 0 {
            return "\(milliseconds / unit.milliseconds)\(unit.name)"
        }
        return "\(milliseconds)ms"
    }

    /// `2s to 1h`.
    static func text(_ range: ClosedRange<UInt64>) -> String {
        "\(text(milliseconds: range.lowerBound)) to \(text(milliseconds: range.upperBound))"
    }

    static func shown(_ text: String) -> String { TOMLPath.abbreviated(text) }
}

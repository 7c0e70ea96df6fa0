/// A place in a configuration file: a 1-based line and a 1-based column counted in Unicode scalars.
package struct TOMLPosition: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The line, starting at 1.
    package var line: Int
    /// The column, starting at 1, counted in Unicode scalars (what most editors show for text without
    /// combining marks).
    package var column: Int

    /// A position at `line` and `column`, both 1-based.
    package init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// Orders positions as they appear in the file.
    package static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    /// `line 3, column 7`.
    package var description: String { "line \(line), column \(column)" }
}

/// Why a configuration was refused: where, which field, and what is allowed instead.
///
/// Every error the configuration layers raise is one of these, so `padlockd` can print it and exit with
/// status 2. Errors from the TOML layer carry a position; errors from the settings layer carry the field's
/// full dotted path (`members[2].peer`) or the command-line flag (`--node-id`), and the position of the value
/// when it came from a file.
package struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of mistake, for programs that react to it; people read ``message``.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, such as `syntax`.
        package let name: String

        private init(_ name: String) { self.name = name }

        /// The text is not valid TOML.
        package static let syntax = Code("syntax")
        /// Valid TOML that this parser deliberately does not read (floats, dates, inline tables, …).
        package static let unsupported = Code("unsupported")
        /// A bound on the document was exceeded: its size, nesting depth, a string's or an array's length.
        package static let limitExceeded = Code("limitExceeded")
        /// A key defined twice, or a table defined twice or in two incompatible ways.
        package static let duplicate = Code("duplicate")
        /// A field the settings do not know (often a typo).
        package static let unknownField = Code("unknownField")
        /// A required field is absent.
        package static let missingField = Code("missingField")
        /// A field holds the wrong kind of value (a string where an integer belongs, …).
        package static let wrongType = Code("wrongType")
        /// A field's value is of the right kind but outside what is allowed, alone or with other fields.
        package static let invalidValue = Code("invalidValue")

        /// Every code, for tallies.
        package static let all: [Code] = [
            .syntax, .unsupported, .limitExceeded, .duplicate, .unknownField, .missingField, .wrongType,
            .invalidValue,
        ]

        /// The code's name.
        package var description: String { name }
    }

    /// The kind of mistake.
    package var code: Code
    /// Where in the file the mistake is, when it came from a file.
    package var position: TOMLPosition?
    /// The field's full dotted path (`members[2].peer`, `lock-delay.namespaces.acme`) or the command-line flag
    /// (`--node-id`), when the mistake concerns one field.
    package var field: String?
    /// What is wrong and what is allowed; it names the field itself when there is one.
    package var message: String

    /// An error with everything spelled out.
    package init(code: Code, position: TOMLPosition? = nil, field: String? = nil, message: String) {
        self.code = code
        self.position = position
        self.field = field
        self.message = message
    }

    /// `line 12, column 8: members[2].peer must be …`, ready to print after the file name.
    package var description: String {
        guard let position else { return message }
        return "\(position): \(message)"
    }
}

/// One value of the TOML subset Padlock reads.
///
/// An array of tables (`[[members]]`) is an ``array(_:)`` whose elements are all ``table(_:)``; since inline
/// tables are not supported, no other array can hold a table.
package indirect enum TOMLValue: Hashable, Sendable, CustomStringConvertible {
    /// A basic (`"…"`) or literal (`'…'`) string, escapes resolved.
    case string(String)
    /// A decimal integer.
    case integer(Int64)
    /// `true` or `false`.
    case boolean(Bool)
    /// An array; TOML allows its elements to be of different kinds.
    case array([TOMLValue])
    /// A table, from a `[header]`, a dotted key or an element of an array of tables.
    case table(TOMLTable)

    /// What kind of value this is, for messages: `a string`, `an integer`, `an array of tables`, ….
    package var kindDescription: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .boolean: "a boolean"
        case .array(let elements):
            !elements.isEmpty && elements.allSatisfy(\.isTable) ? "an array of tables" : "an array"
        case .table: "a table"
        }
    }

    /// Whether this is a table.
    package var isTable: Bool {
        if case .table = self { return true }
        return false
    }

    /// The value as TOML would write it on the right of `=`; tables are summarised.
    package var description: String {
        switch self {
        case .string(let text): TOMLRenderer.quoted(text)
        case .integer(let number): String(number)
        case .boolean(let flag): String(flag)
        case .array(let elements): "[" + elements.map(\.description).joined(separator: ", ") + "]"
        case .table(let table): "table of \(table.count) keys"
        }
    }
}

/// A TOML table: keys with values, remembering where each key was written.
///
/// Two tables are equal when they hold the same keys with equal values, whatever the order and the positions
/// the keys were written at.
package struct TOMLTable: Hashable, Sendable {
    /// A value with the position of the key that defined it.
    struct Entry: Sendable {
        var value: TOMLValue
        var position: TOMLPosition
    }

    private var entries: [String: Entry] = [:]
    /// The keys in the order they were first defined.
    package private(set) var keys: [String] = []
    /// Where the table was defined: its `[header]` or `[[header]]`, or the first dotted key that created it;
    /// nil for the document's root table.
    package internal(set) var position: TOMLPosition?

    /// An empty table defined at `position`.
    package init(position: TOMLPosition? = nil) { self.position = position }

    /// The number of keys.
    package var count: Int { keys.count }

    /// Whether the table has no keys.
    package var isEmpty: Bool { keys.isEmpty }

    /// The value of `key`, or nil when the table does not have it.
    package subscript(key: String) -> TOMLValue? { entries[key]?.value }

    /// Where `key` was written (its first part, for a dotted key), or nil when the table does not have it.
    package func position(of key: String) -> TOMLPosition? { entries[key]?.position }

    /// Adds or replaces `key`; keys keep the order of their first definition.
    package mutating func set(_ key: String, to value: TOMLValue, at position: TOMLPosition) {
        if entries.updateValue(Entry(value: value, position: position), forKey: key) == nil { keys.append(key) }
    }

    /// Equal keys with equal values; order and positions do not matter.
    package static func == (lhs: TOMLTable, rhs: TOMLTable) -> Bool {
        guard lhs.entries.count == rhs.entries.count else { return false }
        return lhs.entries.allSatisfy { key, entry in rhs.entries[key]?.value == entry.value }
    }

    /// Hashes the keys and values, not their order or positions.
    package func hash(into hasher: inout Hasher) {
        hasher.combine(entries.mapValues(\.value))
    }
}

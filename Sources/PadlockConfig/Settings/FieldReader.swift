/// Reads the fields of one table of the settings, naming each by its full dotted path in errors.
struct FieldReader {
    let table: TOMLTable
    /// The table's own path: empty for the root, `limits`, `members[2]`.
    let path: String

    /// The full path of `key` in this table.
    func field(_ key: String) -> String { TOMLPath.child(path, key) }

    /// Where `key` was written, or the table's header when the key is absent.
    func position(_ key: String) -> TOMLPosition? { table.position(of: key) ?? table.position }

    /// Refuses every key not in `known`, suggesting the closest known one.
    func refuseUnknown(known: [String]) throws(ConfigError) {
        for key in table.keys where !known.contains(key) {
            let suggestion = FieldReader.closest(to: key, in: known).map { "did you mean `\(field($0))`? " } ?? ""
            throw ConfigError(
                code: .unknownField, position: table.position(of: key), field: field(key),
                message: "unknown field `\(field(key))`; \(suggestion)known fields"
                    + (path.isEmpty ? "" : " of `\(path)`") + ": " + known.sorted().joined(separator: ", "))
        }
    }

    /// A wrong-type error: `what` says what the field must be.
    func wrongType(_ key: String, _ value: TOMLValue, must what: String) -> ConfigError {
        ConfigError(
            code: .wrongType, position: position(key), field: field(key),
            message: "`\(field(key))` must be \(what); found \(value.kindDescription)" + Self.shown(value))
    }

    /// An out-of-range or otherwise refused value.
    func invalid(_ key: String, _ message: String) -> ConfigError {
        ConfigError(
            code: .invalidValue, position: position(key), field: field(key), message: "`\(field(key))` \(message)")
    }

    /// The value of a required field, or an error saying what it must be.
    func required<Value>(_ value: Value?, _ key: String, must what: String) throws(ConfigError) -> Value {
        guard let value else {
            throw ConfigError(
                code: .missingField, position: table.position, field: field(key),
                message: "`\(field(key))` is required: \(what)")
        }
        return value
    }

    func integer(_ key: String, must what: String) throws(ConfigError) -> Int64? {
        guard let value = table[key] else { return nil }
        guard case .integer(let number) = value else { throw wrongType(key, value, must: what) }
        return number
    }

    /// An integer within `range`, or nil when absent.
    func integer(_ key: String, in range: ClosedRange<Int64>, must what: String) throws(ConfigError) -> Int64? {
        guard let number = try integer(key, must: what) else { return nil }
        guard range.contains(number) else { throw invalid(key, "must be \(what); found \(number)") }
        return number
    }

    func string(_ key: String, must what: String) throws(ConfigError) -> String? {
        guard let value = table[key] else { return nil }
        guard case .string(let text) = value else { throw wrongType(key, value, must: what) }
        return text
    }

    func boolean(_ key: String) throws(ConfigError) -> Bool? {
        guard let value = table[key] else { return nil }
        guard case .boolean(let flag) = value else { throw wrongType(key, value, must: "true or false") }
        return flag
    }

    /// A duration string within `range` milliseconds, or nil when absent.
    func duration(_ key: String, in range: ClosedRange<UInt64>) throws(ConfigError) -> UInt64? {
        let bounds = DurationText.text(range)
        guard let text = try string(key, must: "\(DurationText.syntaxSummary), from \(bounds)") else { return nil }
        return try SettingCheck.duration(text, in: range, field: field(key), position: position(key))
    }

    /// A sub-table, or nil when absent.
    func table(_ key: String) throws(ConfigError) -> FieldReader? {
        guard let value = table[key] else { return nil }
        guard case .table(let child) = value else {
            throw wrongType(key, value, must: "a table, written [\(field(key))]")
        }
        return FieldReader(table: child, path: field(key))
    }

    /// The elements of a `[[key]]` array of tables, or nil when absent.
    func tableArray(_ key: String) throws(ConfigError) -> [FieldReader]? {
        guard let value = table[key] else { return nil }
        let what = "an array of tables, written as one [[\(field(key))]] section per element"
        guard case .array(let elements) = value else { throw wrongType(key, value, must: what) }
        var readers: [FieldReader] = []
        for (index, element) in elements.enumerated() {
            guard case .table(let child) = element else { throw wrongType(key, value, must: what) }
            readers.append(FieldReader(table: child, path: field(key) + "[\(index)]"))
        }
        return readers
    }

    /// ` 10` or ` "abc"` after a kind in a message, for short scalar values.
    static func shown(_ value: TOMLValue) -> String {
        switch value {
        case .string(let text): " " + TOMLRenderer.quoted(TOMLPath.abbreviated(text))
        case .integer, .boolean: " \(value)"
        case .array, .table: ""
        }
    }

    /// The known name within two edits of `key`, if there is exactly one closest.
    static func closest(to key: String, in known: [String]) -> String? {
        guard key.count <= 64 else { return nil }
        let scored = known.map { ($0, editDistance(Array(key.utf8), Array($0.utf8))) }.filter { $0.1 <= 2 }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return scored.filter { $0.1 == best.1 }.count == 1 ? best.0 : nil
    }

    /// Levenshtein distance between two short byte strings.
    static func editDistance(_ lhs: [UInt8], _ rhs: [UInt8]) -> Int {
        var previous = Array(0...rhs.count)
        for (row, left) in lhs.enumerated() {
            var current = [row + 1] + Array(repeating: 0, count: rhs.count)
            for (column, right) in rhs.enumerated() {
                current[column + 1] = min(
                    previous[column + 1] + 1, current[column] + 1, previous[column] + (left == right ? 0 : 1))
            }
            previous = current
        }
        return previous[rhs.count]
    }
}

import PadlockTypes

/// The checks of single values, shared by the file and the command line so both refuse the same values with
/// the same words; `field` is the dotted path or the flag.
enum SettingCheck {
    static let identifierSummary = "an integer greater than 0"
    static let dataDirectorySummary = "a non-empty path of at most 4096 bytes without control characters"
    static let logLevelSummary =
        "one of " + PadlockdSettings.LogLevel.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")

    /// The error for a value of `field` that breaks its rule; `rule` follows the field's name.
    static func invalid(_ field: String, _ position: TOMLPosition?, _ rule: String) -> ConfigError {
        ConfigError(code: .invalidValue, position: position, field: field, message: "`\(field)` \(rule)")
    }

    /// A cluster or node id: an integer greater than 0.
    static func identifier(_ number: Int64, field: String, position: TOMLPosition?) throws(ConfigError) -> UInt64 {
        guard number > 0 else {
            throw invalid(field, position, "must be \(identifierSummary); found \(number)")
        }
        return UInt64(number)
    }

    /// A node id from the command line: decimal digits, greater than 0.
    static func identifier(text: String, field: String) throws(ConfigError) -> UInt64 {
        guard let number = TOMLParser.decimalValue(ArraySlice(text.utf8), isNegative: false) else {
            throw ConfigError(
                code: .wrongType, field: field,
                message: "`\(field)` must be \(identifierSummary); found `\(TOMLPath.abbreviated(text))`")
        }
        return try identifier(number, field: field, position: nil)
    }

    /// The data directory: non-empty, no control characters (a NUL would cut the path short in C calls).
    static func dataDirectory(_ text: String, field: String, position: TOMLPosition?) throws(ConfigError) -> String {
        let problem: String? =
            if text.isEmpty { "is empty" } else if text.utf8.count > 4096 {
                "is \(text.utf8.count) bytes long"
            } else if text.unicodeScalars.contains(where: ASCII.isControl) { "contains a control character" } else {
                nil
            }
        if let problem {
            throw invalid(field, position, "must be \(dataDirectorySummary); it \(problem)")
        }
        return text
    }

    /// An address; member addresses must not be wildcards, since other nodes and clients connect to them.
    static func address(
        _ text: String, field: String, position: TOMLPosition?, allowsWildcard: Bool
    ) throws(ConfigError) -> SocketAddress {
        let address: SocketAddress
        do {
            address = try SocketAddress.parsing(text)
        } catch {
            throw invalid(field, position, "must be \(SocketAddress.syntaxSummary); \(error.reason)")
        }
        if !allowsWildcard && address.isWildcard {
            throw invalid(
                field, position,
                "is \(address), a wildcard; give the address others connect to, such as "
                    + "10.0.0.11:\(address.port)")
        }
        return address
    }

    /// A log level name.
    static func logLevel(
        _ text: String, field: String, position: TOMLPosition?
    ) throws(ConfigError)
        -> PadlockdSettings.LogLevel
    {
        guard let level = PadlockdSettings.LogLevel(rawValue: text) else {
            throw invalid(field, position, "must be \(logLevelSummary); found \"\(TOMLPath.abbreviated(text))\"")
        }
        return level
    }

    /// A duration string within `range` milliseconds.
    static func duration(
        _ text: String, in range: ClosedRange<UInt64>, field: String, position: TOMLPosition?
    ) throws(ConfigError) -> UInt64 {
        let bounds = DurationText.text(range)
        let milliseconds: UInt64
        do {
            milliseconds = try DurationText.milliseconds(text)
        } catch {
            throw invalid(field, position, "must be \(DurationText.syntaxSummary), from \(bounds); \(error.reason)")
        }
        guard range.contains(milliseconds) else {
            throw invalid(field, position, "must lie within \(bounds); found \"\(text)\"")
        }
        return milliseconds
    }

    /// A lock-delay namespace: one valid key segment, as `LockKey` defines it.
    static func namespace(_ name: String, field: String, position: TOMLPosition?) throws(ConfigError) {
        let problem: String?
        if name.contains("/") {
            problem = "a namespace is a key's first segment and cannot contain `/`"
        } else {
            do {
                _ = try LockKey(name)
                problem = nil
            } catch {
                problem = "it is not a valid key segment: \(error)"
            }
        }
        if let problem {
            throw invalid(
                field, position, "names the namespace \(TOMLRenderer.quoted(TOMLPath.abbreviated(name))); \(problem)")
        }
    }
}

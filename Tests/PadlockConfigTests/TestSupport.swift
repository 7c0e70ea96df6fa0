@testable import PadlockConfig

/// A table from key/value pairs, in order, for comparing with what the parser read.
func table(_ pairs: KeyValuePairs<String, TOMLValue>) -> TOMLTable {
    var table = TOMLTable()
    for (key, value) in pairs { table.set(key, to: value, at: TOMLPosition(line: 1, column: 1)) }
    return table
}

/// The error `body` throws, or nil when it throws none.
func configError<Value>(_ body: () throws(ConfigError) -> Value) -> ConfigError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// A valid three-node document, to be changed one field at a time by the tests.
let validDocument = """
    cluster-id = 7401
    node-id = 1
    data-dir = "/var/lib/padlock/node-1"
    client-listen = "127.0.0.1:7401"
    peer-listen = "127.0.0.1:7501"

    [[members]]
    id = 1
    peer = "127.0.0.1:7501"
    client = "127.0.0.1:7401"

    [[members]]
    id = 2
    peer = "127.0.0.2:7501"
    client = "127.0.0.2:7401"

    [[members]]
    id = 3
    peer = "127.0.0.3:7501"
    client = "127.0.0.3:7401"

    """

/// `validDocument` with `line` replaced by `replacement` (or removed when nil), or with `extra` appended.
func document(replacing line: String? = nil, with replacement: String? = nil, appending extra: String = "") -> String {
    var lines = validDocument.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if let line {
        guard let index = lines.firstIndex(of: line) else { return "missing line \(line) in the test document" }
        if let replacement { lines[index] = replacement } else { lines.remove(at: index) }
    }
    return lines.joined(separator: "\n") + extra
}
